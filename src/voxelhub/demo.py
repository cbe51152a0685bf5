"""Demo content: everything needed to click around (DESIGN.md, "One machine"). Idempotent."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts import service
from voxelhub.accounts.models import Organization, Team, User
from voxelhub.demo_content import add_demo_annotations, add_demo_datasets
from voxelhub.demo_users import DEMO_ORG, TEAMS, USERS, DemoReport, DemoUser
from voxelhub.policy import SYSTEM
from voxelhub.settings import Settings


def create_demo(*, session: Session, settings: Settings) -> DemoReport:
    org = _ensure_org(session)
    team_ids = {name: _ensure_team(session, org.id, name) for name in TEAMS}
    for demo_user in USERS:
        _ensure_user(session, org.id, demo_user, team_ids)
    session.flush()
    report = DemoReport(base_url=settings.public_url)
    for extend in (add_demo_datasets, add_demo_annotations):
        extend(session=session, settings=settings, organization=org, report=report)
    return report


def _ensure_org(session: Session) -> Organization:
    org = service.find_organization(session, DEMO_ORG)
    if org is None:
        admin = USERS[0]
        org, admin_user = service.create_organization(
            session=session,
            actor=SYSTEM,
            name=DEMO_ORG,
            admin_email=admin.email,
            admin_password=admin.password,
        )
        admin_user.first_name, admin_user.last_name = admin.first_name, admin.last_name
    return org


def _ensure_team(session: Session, org_id: str, name: str) -> str:
    team_id = session.scalar(select(Team.id).where(Team.organization_id == org_id, Team.name == name))
    if team_id is None:
        team_id = service.create_team(session=session, actor=SYSTEM, organization_id=org_id, name=name).id
    return str(team_id)


def _ensure_user(session: Session, org_id: str, demo_user: DemoUser, team_ids: dict[str, str]) -> None:
    if session.scalar(select(User.id).where(User.email == demo_user.email)) is not None:
        return
    teams = [service.TeamAssignment(team_ids[t], t in demo_user.manages) for t in demo_user.teams]
    service.create_user(
        session=session,
        actor=SYSTEM,
        organization_id=org_id,
        email=demo_user.email,
        password=demo_user.password,
        first_name=demo_user.first_name,
        last_name=demo_user.last_name,
        is_admin=demo_user.is_admin,
        is_dataset_manager=demo_user.is_dataset_manager,
        teams=teams,
    )
