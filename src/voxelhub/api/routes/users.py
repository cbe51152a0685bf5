"""Users and teams of the caller's organization (admins manage them)."""

from __future__ import annotations

from fastapi import APIRouter

from voxelhub.accounts import service
from voxelhub.accounts.schemas import TeamCreate, TeamPublic, UserCreate, UserPublic, UserUpdate
from voxelhub.api.deps import LoggedInDep, SessionDep, UserDep
from voxelhub.policy import require_user

router = APIRouter(tags=["accounts"])


def _assignments(teams: list | None) -> list[service.TeamAssignment] | None:
    if teams is None:
        return None
    return [service.TeamAssignment(team_id=t.id, is_team_manager=t.is_team_manager) for t in teams]


@router.get("/users")
def list_users(caller: LoggedInDep, session: SessionDep) -> list[UserPublic]:
    org_id = require_user(caller.actor).organization_id
    users = service.list_users(session=session, actor=caller.actor, organization_id=org_id)
    return [UserPublic.of(u) for u in users]


@router.post("/users", status_code=201)
def create_user(body: UserCreate, caller: LoggedInDep, session: SessionDep) -> UserPublic:
    user = service.create_user(
        session=session,
        actor=caller.actor,
        organization_id=require_user(caller.actor).organization_id,
        email=body.email,
        password=body.password,
        first_name=body.first_name,
        last_name=body.last_name,
        is_admin=body.is_admin,
        is_dataset_manager=body.is_dataset_manager,
        teams=_assignments(body.teams) or (),
    )
    session.refresh(user)
    return UserPublic.of(user)


@router.get("/users/{user_id}")
def get_user(user_id: str, caller: LoggedInDep, session: SessionDep) -> UserPublic:
    return UserPublic.of(service.get_user(session=session, actor=caller.actor, user_id=user_id))


@router.patch("/users/{user_id}")
def update_user(user_id: str, body: UserUpdate, caller: LoggedInDep, session: SessionDep) -> UserPublic:
    fields = body.model_dump(exclude_unset=True, exclude={"teams"})
    user = service.update_user(
        session=session, actor=caller.actor, user_id=user_id, teams=_assignments(body.teams), **fields
    )
    session.refresh(user)
    return UserPublic.of(user)


@router.get("/teams")
def list_teams(caller: LoggedInDep, user: UserDep, session: SessionDep) -> list[TeamPublic]:
    principal = require_user(caller.actor)
    teams = service.list_teams(session=session, actor=caller.actor, organization_id=principal.organization_id)
    return [TeamPublic(id=t.id, name=t.name, organization=user.organization.name) for t in teams]


@router.post("/teams", status_code=201)
def create_team(body: TeamCreate, caller: LoggedInDep, user: UserDep, session: SessionDep) -> TeamPublic:
    principal = require_user(caller.actor)
    team = service.create_team(
        session=session, actor=caller.actor, organization_id=principal.organization_id, name=body.name
    )
    return TeamPublic(id=team.id, name=team.name, organization=user.organization.name)


@router.delete("/teams/{team_id}", status_code=204)
def delete_team(team_id: str, caller: LoggedInDep, session: SessionDep) -> None:
    service.delete_team(session=session, actor=caller.actor, team_id=team_id)
