"""Wire shapes of the accounts API (docs/api.md, "Accounts")."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from voxelhub.accounts.models import ApiToken, User
from voxelhub.schemas import StrictInput, WireModel


class LoginInput(StrictInput):
    email: str = Field(max_length=254)
    password: str = Field(max_length=1000)


class UserTeam(WireModel):
    id: str
    name: str
    is_team_manager: bool


class UserPublic(WireModel):
    id: str
    email: str
    first_name: str
    last_name: str
    organization: str
    organization_id: str
    is_admin: bool
    is_dataset_manager: bool
    is_active: bool
    teams: list[UserTeam]
    created: int
    last_activity: int
    experiences: dict[str, int] = {}

    @classmethod
    def of(cls, user: User) -> UserPublic:
        return cls(
            id=user.id,
            email=user.email,
            first_name=user.first_name,
            last_name=user.last_name,
            organization=user.organization.name,
            organization_id=user.organization_id,
            is_admin=user.is_admin,
            is_dataset_manager=user.is_dataset_manager,
            is_active=user.is_active,
            created=int(user.created_at.timestamp() * 1000),
            last_activity=int(user.created_at.timestamp() * 1000),
            teams=[
                UserTeam(id=m.team_id, name=m.team.name, is_team_manager=m.is_team_manager)
                for m in sorted(user.memberships, key=lambda m: m.team.name)
            ],
        )


class LoginAnswer(WireModel):
    user: UserPublic
    csrf_token: str


class TokenAnswer(WireModel):
    token: str


class PasswordChange(StrictInput):
    old_password: str = Field(max_length=1000)
    new_password: str = Field(max_length=1000)


class ApiTokenCreate(StrictInput):
    name: str = Field(max_length=100)


class ApiTokenPublic(WireModel):
    """A token as listed: never its secret."""

    id: str
    name: str
    is_default: bool
    created_at: datetime
    last_used_at: datetime | None

    @classmethod
    def of(cls, row: ApiToken) -> ApiTokenPublic:
        return cls(
            id=row.id,
            name=row.name,
            is_default=row.is_default,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
        )


class ApiTokenCreated(ApiTokenPublic):
    """A token just made: its secret, shown this once."""

    token: str


class TeamAssignmentInput(StrictInput):
    id: str
    is_team_manager: bool = False


class UserCreate(StrictInput):
    email: str = Field(max_length=254)
    first_name: str = Field(default="", max_length=100)
    last_name: str = Field(default="", max_length=100)
    password: str = Field(max_length=1000)
    is_admin: bool = False
    is_dataset_manager: bool = False
    teams: list[TeamAssignmentInput] = Field(default_factory=list)


class UserUpdate(StrictInput):
    email: str | None = Field(default=None, max_length=254)
    first_name: str | None = Field(default=None, max_length=100)
    last_name: str | None = Field(default=None, max_length=100)
    password: str | None = Field(default=None, max_length=1000)
    is_admin: bool | None = None
    is_dataset_manager: bool | None = None
    is_active: bool | None = None
    teams: list[TeamAssignmentInput] | None = None


class TeamPublic(WireModel):
    id: str
    name: str
    organization: str = ""


class TeamCreate(StrictInput):
    name: str = Field(max_length=100)
