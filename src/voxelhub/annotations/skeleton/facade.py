"""The small facade the versioning layer (`annotations.versions`) uses: snapshots in and out, actions, viewer JSON.

Kept as plain functions so storage code does not depend on the skeleton's internals.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from voxelhub.annotations.skeleton.actions import UpdateActionError, apply_actions
from voxelhub.annotations.skeleton.model import Skeleton
from voxelhub.annotations.skeleton.snapshot import from_snapshot_bytes, to_snapshot_bytes
from voxelhub.annotations.skeleton.viewer_json import to_json_bytes as _to_json_bytes

ActionError = UpdateActionError

__all__ = ["ActionError", "apply", "dump", "empty", "load", "to_json_bytes"]


def empty() -> Skeleton:
    return Skeleton()


def dump(skeleton: Skeleton) -> bytes:
    """Compact binary snapshot (see `snapshot`)."""
    return to_snapshot_bytes(skeleton)


def load(data: bytes) -> Skeleton:
    return from_snapshot_bytes(data)


# Volume saves record their bucket writes in the same version chain; they do not change the skeleton.
VOLUME_ACTIONS = frozenset({"updateBucket"})


def apply(skeleton: Skeleton, actions: Sequence[dict[str, Any]]) -> Skeleton:
    """A new skeleton with `actions` applied; the input is never modified. Raises ActionError(index, …)
    with the index in the caller's list."""
    positions = [i for i, a in enumerate(actions) if a.get("name") not in VOLUME_ACTIONS]
    if not positions:
        return skeleton
    try:
        return apply_actions(skeleton, [actions[i] for i in positions])
    except UpdateActionError as exc:
        raise UpdateActionError(positions[exc.index], exc.message) from exc


def to_json_bytes(skeleton: Skeleton, *, version: int | None = None) -> bytes:
    return _to_json_bytes(skeleton, version=version)
