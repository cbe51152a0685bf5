"""THE place that decides access (CONVENTIONS.md 1-3; spec/permissions.md is the contract).

`can(actor, action, obj)` answers every "may X do Y on Z?"; `readable_*` functions add the same rules
to SQL listings. Unknown actions or object kinds are denied.
"""

from __future__ import annotations

from voxelhub.policy.actors import ANONYMOUS, SYSTEM, Actor, Principal, ShareGrant
from voxelhub.policy.core import Action, authorize, can, require_user

__all__ = [
    "ANONYMOUS",
    "SYSTEM",
    "Action",
    "Actor",
    "Principal",
    "ShareGrant",
    "authorize",
    "can",
    "require_user",
]
