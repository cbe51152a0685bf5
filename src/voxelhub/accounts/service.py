"""Account services: organizations, users and teams. Keyword-only functions that take the actor."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization, Team, TeamMembership, User
from voxelhub.accounts.passwords import hash_password
from voxelhub.errors import BadInput, Conflict, NotFound
from voxelhub.policy import Action, Actor, Principal, authorize

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$")
MIN_PASSWORD_LENGTH = 8


@dataclass(frozen=True)
class TeamAssignment:
    team_id: str
    is_team_manager: bool = False


def principal_for(user: User) -> Principal:
    """The access-relevant view of a user, loaded once per request."""
    return Principal(
        user_id=user.id,
        organization_id=user.organization_id,
        is_admin=user.is_admin,
        is_dataset_manager=user.is_dataset_manager,
        team_ids=frozenset(m.team_id for m in user.memberships),
        managed_team_ids=frozenset(m.team_id for m in user.memberships if m.is_team_manager),
    )


def get_organization(session: Session, organization_id: str) -> Organization:
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("organization not found")
    return org


def find_organization(session: Session, name: str) -> Organization | None:
    return session.scalar(select(Organization).where(Organization.name == name))


def create_organization(
    *, session: Session, actor: Actor, name: str, admin_email: str, admin_password: str
) -> tuple[Organization, User]:
    """A new organization with its first admin (the CLI calls this as SYSTEM)."""
    if not actor.is_system:
        raise NotFound()
    if not _NAME.match(name):
        raise BadInput("organization name: 1-100 letters, digits, spaces, '.', '_' or '-'")
    if find_organization(session, name) is not None:
        raise Conflict(f"organization {name!r} already exists")
    org = Organization(name=name, display_name=name)
    session.add(org)
    session.flush()
    admin = _new_user(
        session, org=org, email=admin_email, password=admin_password, first_name="Admin", last_name=name
    )
    admin.is_admin = True
    session.flush()
    return org, admin


def create_user(
    *,
    session: Session,
    actor: Actor,
    organization_id: str,
    email: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    is_admin: bool = False,
    is_dataset_manager: bool = False,
    teams: Sequence[TeamAssignment] = (),
) -> User:
    org = get_organization(session, organization_id)
    authorize(actor, Action.MANAGE_USERS, org)
    user = _new_user(
        session, org=org, email=email, password=password, first_name=first_name, last_name=last_name
    )
    user.is_admin, user.is_dataset_manager = is_admin, is_dataset_manager
    _set_memberships(session, user, teams)
    session.flush()
    return user


def update_user(
    *,
    session: Session,
    actor: Actor,
    user_id: str,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    password: str | None = None,
    is_admin: bool | None = None,
    is_dataset_manager: bool | None = None,
    is_active: bool | None = None,
    teams: Sequence[TeamAssignment] | None = None,
) -> User:
    user = get_user(session=session, actor=actor, user_id=user_id)
    authorize(actor, Action.UPDATE, user)
    if email is not None:
        user.email = _checked_email(session, email, except_user_id=user.id)
    if password is not None:
        user.password_hash = hash_password(_checked_password(password))
    for attr, value in (
        ("first_name", first_name),
        ("last_name", last_name),
        ("is_admin", is_admin),
        ("is_dataset_manager", is_dataset_manager),
        ("is_active", is_active),
    ):
        if value is not None:
            setattr(user, attr, value)
    if teams is not None:
        _set_memberships(session, user, teams)
    session.flush()
    return user


def get_user(*, session: Session, actor: Actor, user_id: str) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("user not found")
    authorize(actor, Action.READ, user)
    return user


def list_users(*, session: Session, actor: Actor, organization_id: str) -> list[User]:
    authorize(actor, Action.MANAGE_USERS, get_organization(session, organization_id))
    stmt = select(User).where(User.organization_id == organization_id).order_by(User.email)
    return list(session.scalars(stmt))


def list_teams(*, session: Session, actor: Actor, organization_id: str) -> list[Team]:
    authorize(actor, Action.READ, get_organization(session, organization_id))
    stmt = select(Team).where(Team.organization_id == organization_id).order_by(Team.name)
    return list(session.scalars(stmt))


def create_team(*, session: Session, actor: Actor, organization_id: str, name: str) -> Team:
    authorize(actor, Action.MANAGE_TEAMS, get_organization(session, organization_id))
    name = name.strip()
    if not _NAME.match(name):
        raise BadInput("team name: 1-100 letters, digits, spaces, '.', '_' or '-'")
    exists = select(Team.id).where(Team.organization_id == organization_id, Team.name == name)
    if session.scalar(exists) is not None:
        raise Conflict(f"team {name!r} already exists")
    team = Team(organization_id=organization_id, name=name)
    session.add(team)
    session.flush()
    return team


def delete_team(*, session: Session, actor: Actor, team_id: str) -> None:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("team not found")
    authorize(actor, Action.DELETE, team)  # 404 when the actor may not even read the team
    session.delete(team)
    session.flush()


def _new_user(
    session: Session, *, org: Organization, email: str, password: str, first_name: str, last_name: str
) -> User:
    user = User(
        organization_id=org.id,
        email=_checked_email(session, email),
        password_hash=hash_password(_checked_password(password)),
        first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100],
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same email
        raise Conflict("a user with this email already exists") from exc
    return user


def _checked_email(session: Session, email: str, except_user_id: str | None = None) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise BadInput("email: not a valid address")
    existing = session.scalar(select(User.id).where(User.email == email))
    if existing is not None and existing != except_user_id:
        raise Conflict("a user with this email already exists")
    return email


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise BadInput(f"password: at least {MIN_PASSWORD_LENGTH} characters")
    return password


def _set_memberships(session: Session, user: User, teams: Sequence[TeamAssignment]) -> None:
    wanted = {t.team_id: t.is_team_manager for t in teams}
    if wanted:
        found = session.scalars(select(Team).where(Team.id.in_(wanted))).all()
        if len(found) != len(wanted) or any(t.organization_id != user.organization_id for t in found):
            raise BadInput("teams: every team must exist in the user's organization")
    user.memberships = [
        TeamMembership(team_id=team_id, is_team_manager=manager) for team_id, manager in wanted.items()
    ]
