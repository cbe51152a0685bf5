"""Test data builders: two organizations with every role, and logged-in HTTP clients."""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.accounts import service
from voxelhub.accounts.models import User
from voxelhub.accounts.service import TeamAssignment, principal_for
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM, Actor

PASSWORD = "correct horse battery"


@dataclass
class World:
    """Org A with admin, dataset manager, team manager and member of team A1, plain member; org B likewise."""

    org_ids: dict[str, str] = field(default_factory=dict)
    team_ids: dict[str, str] = field(default_factory=dict)
    users: dict[str, str] = field(default_factory=dict)  # role name -> email

    def actor(self, session: Session, role: str) -> Actor:
        user = session.query(User).filter_by(email=self.users[role]).one()
        return Actor(user=principal_for(user))

    def user_id(self, session: Session, role: str) -> str:
        return session.query(User).filter_by(email=self.users[role]).one().id


def build_world(factory: sessionmaker[Session]) -> World:
    world = World()
    with transaction(factory) as session:
        for org in ("a", "b"):
            organization, _ = service.create_organization(
                session=session,
                actor=SYSTEM,
                name=f"org-{org}",
                admin_email=f"admin@{org}.org",
                admin_password=PASSWORD,
            )
            world.org_ids[org] = organization.id
            world.users[f"admin_{org}"] = f"admin@{org}.org"
            for team in ("1", "2"):
                world.team_ids[f"{org}{team}"] = service.create_team(
                    session=session, actor=SYSTEM, organization_id=organization.id, name=f"team {org}{team}"
                ).id
            _add(session, world, org, "dsm", is_dataset_manager=True)
            _add(session, world, org, "tm", teams=[TeamAssignment(world.team_ids[f"{org}1"], True)])
            _add(session, world, org, "team", teams=[TeamAssignment(world.team_ids[f"{org}1"], False)])
            _add(session, world, org, "member")
    return world


def _add(session: Session, world: World, org: str, role: str, **kwargs) -> None:  # type: ignore[no-untyped-def]
    email = f"{role}@{org}.org"
    service.create_user(
        session=session,
        actor=SYSTEM,
        organization_id=world.org_ids[org],
        email=email,
        password=PASSWORD,
        first_name=role,
        last_name=org,
        **kwargs,
    )
    world.users[f"{role}_{org}"] = email


def login(client: TestClient, email: str, password: str = PASSWORD) -> str:
    """Logs the client in; sets the CSRF header for later requests and returns the CSRF token."""
    answer = client.post("/api/auth/login", json={"email": email, "password": password})
    assert answer.status_code == 200, answer.text
    csrf = answer.json()["csrfToken"]
    client.headers["X-CSRF-Token"] = csrf
    return csrf


def logged_in_client(app, email: str, password: str = PASSWORD) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url="http://127.0.0.1")
    login(client, email, password)
    return client


def token_client(app, token: str) -> TestClient:  # type: ignore[no-untyped-def]
    """A script's client: API token header, no cookies, no CSRF header."""
    return TestClient(app, base_url="http://127.0.0.1", headers={"X-Auth-Token": token})
