"""Who is asking: anonymous, a user with roles, a share-link holder (or a user holding a link), or SYSTEM."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass(frozen=True)
class Principal:
    """A logged-in user and the roles that matter to access decisions."""

    user_id: str
    organization_id: str
    is_admin: bool = False
    is_dataset_manager: bool = False
    team_ids: frozenset[str] = frozenset()
    managed_team_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ShareGrant:
    """What a presented share token grants: read access to one object, while valid.

    Validity (revocation, expiry) is judged by the policy at decision time, never by the caller.
    """

    object_kind: str  # "dataset" | "annotation"
    object_id: str
    link_id: str
    expires_at: datetime | None = None
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Actor:
    user: Principal | None = None
    grants: tuple[ShareGrant, ...] = field(default=())
    is_system: bool = False

    @property
    def is_anonymous(self) -> bool:
        return self.user is None and not self.is_system

    def with_grants(self, grants: tuple[ShareGrant, ...]) -> Actor:
        return Actor(user=self.user, grants=self.grants + grants, is_system=self.is_system)


ANONYMOUS = Actor()
# The one bypass of every access rule, for the CLI and start-up work. Grep for it.
SYSTEM = Actor(is_system=True)
