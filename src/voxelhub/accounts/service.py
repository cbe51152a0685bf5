"""Account services: organizations, users and teams. Keyword-only functions that take the actor."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from voxelhub.accounts.credentials import end_all_credentials
from voxelhub.accounts.models import LoginFailure, Organization, Team, TeamMembership, User
from voxelhub.accounts.passwords import checked_password, hash_password
from voxelhub.db import utcnow
from voxelhub.errors import BadInput, Conflict, NotFound, TooManyRequests
from voxelhub.policy import Action, Actor, Principal, authorize

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\- ]{0,99}$")


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


def organization_names(session: Session, organization_ids: Iterable[str]) -> dict[str, str]:
    """Organization id -> name, for many organizations in one query (listings show the names)."""
    ids = set(organization_ids)
    if not ids:
        return {}
    stmt = select(Organization.id, Organization.name).where(Organization.id.in_(ids))
    return {org_id: name for org_id, name in session.execute(stmt)}


def user_names(session: Session, user_ids: Iterable[str]) -> dict[str, str]:
    """User id -> "first last", for many users in one query (the audit log names who did what)."""
    ids = set(user_ids)
    if not ids:
        return {}
    stmt = select(User.id, User.first_name, User.last_name).where(User.id.in_(ids))
    return {user_id: f"{first} {last}".strip() for user_id, first, last in session.execute(stmt)}


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
        session,
        actor=actor,
        org=org,
        email=admin_email,
        password=admin_password,
        first_name="Admin",
        last_name=name,
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
        session,
        actor=actor,
        org=org,
        email=email,
        password=password,
        first_name=first_name,
        last_name=last_name,
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
        user.email = _checked_email(session, actor, email, except_user_id=user.id)
    if password is not None:
        user.password_hash = hash_password(checked_password(password))
    if password is not None or is_active is False:
        # A reset password or a deactivated account: whoever held a session or token of it is out, in every
        # process, and stays out after a reactivation (the rows are gone).
        end_all_credentials(session, user.id)
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
        raise NotFound()
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
        raise NotFound()
    authorize(actor, Action.DELETE, team)  # 404 when the actor may not even read the team
    session.delete(team)
    session.flush()


def _new_user(
    session: Session,
    *,
    actor: Actor,
    org: Organization,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
) -> User:
    user = User(
        organization_id=org.id,
        email=_checked_email(session, actor, email),
        password_hash=hash_password(checked_password(password)),
        first_name=first_name.strip()[:100],
        last_name=last_name.strip()[:100],
    )
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent insert of the same email: the same answer as any taken one
        raise Conflict(EMAIL_IN_USE) from exc
    return user


def _checked_email(session: Session, actor: Actor, email: str, except_user_id: str | None = None) -> str:
    email = email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise BadInput("email: not a valid address")
    _check_email_refusals(session, actor)
    existing = session.scalar(select(User.id).where(User.email == email))
    if existing is not None and existing != except_user_id:
        _refuse_email(session, actor)
    return email


# Emails are unique across organizations, because a login is by email alone. So an admin who creates a user (or
# changes an email) with an address another organization uses must be refused, and any refusal says "in use
# somewhere". What is left to do: answer exactly as for an address of the admin's own organization (one status,
# one message, nothing about the other organization; the admin sees their own users anyway), and count these
# refusals per admin, so that probing a list of addresses goes slowly: past the limit, 429 for an hour's quarter.
EMAIL_REFUSALS_PER_ADMIN = 20
EMAIL_REFUSAL_WINDOW_SECONDS = 900
EMAIL_IN_USE = "this email address cannot be used"


def _refuse_email(session: Session, actor: Actor) -> NoReturn:
    if actor.is_system:  # the command line's operator sees every organization anyway
        raise Conflict("a user with this email already exists")
    if actor.user is not None:
        session.add(LoginFailure(key=f"email-refused:{actor.user.user_id}"))
        session.commit()  # the refusal ends in an error, whose rollback must not undo the count
    raise Conflict(EMAIL_IN_USE)


def _check_email_refusals(session: Session, actor: Actor) -> None:
    if actor.user is None:
        return
    since = utcnow() - timedelta(seconds=EMAIL_REFUSAL_WINDOW_SECONDS)
    count = session.scalar(
        select(func.count())
        .select_from(LoginFailure)
        .where(LoginFailure.key == f"email-refused:{actor.user.user_id}", LoginFailure.at >= since)
    )
    if (count or 0) >= EMAIL_REFUSALS_PER_ADMIN:
        raise TooManyRequests(
            "too many refused email addresses; try again later", retry_after=EMAIL_REFUSAL_WINDOW_SECONDS
        )


def _set_memberships(session: Session, user: User, teams: Sequence[TeamAssignment]) -> None:
    wanted = {t.team_id: t.is_team_manager for t in teams}
    if wanted:
        found = session.scalars(select(Team).where(Team.id.in_(wanted))).all()
        if len(found) != len(wanted) or any(t.organization_id != user.organization_id for t in found):
            raise BadInput("teams: every team must exist in the user's organization")
    user.memberships = [
        TeamMembership(team_id=team_id, is_team_manager=manager) for team_id, manager in wanted.items()
    ]
