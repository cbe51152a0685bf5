"""A dataset world for access tests: the accounts world plus datasets and share links in every state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World, build_world, logged_in_client
from voxelhub.datasets import service as datasets
from voxelhub.db import transaction, utcnow
from voxelhub.ids import new_secret_token, token_digest
from voxelhub.policy import SYSTEM
from voxelhub.sharing.models import ShareLink

DATA_SOURCE = {
    "id": {"name": "x", "team": "org-a"},
    "scale": {"factor": [11.24, 11.24, 28.0], "unit": "nanometer"},
    "dataLayers": [],
}


@dataclass
class DatasetWorld:
    accounts: World
    dataset_id: str
    tokens: dict[str, str]  # link state -> token


def register_dataset(session: Session, org_id: str, name: str, **kwargs) -> str:  # type: ignore[no-untyped-def]
    dataset = datasets.register(
        session=session,
        actor=SYSTEM,
        organization_id=org_id,
        name=name,
        location="/nowhere",
        data_source=dict(DATA_SOURCE, id={"name": name, "team": "org"}),
    )
    for key, value in kwargs.items():
        setattr(dataset, key, value)
    session.flush()
    return dataset.id


def add_link(session: Session, dataset_id: str, org_id: str, state: str) -> str:
    token = new_secret_token()
    now = utcnow()
    session.add(
        ShareLink(
            object_kind="dataset",
            object_id=dataset_id,
            organization_id=org_id,
            name=state,
            is_default=state == "valid",
            token=token,
            token_digest=token_digest(token),
            revoked_at=now if state == "revoked" else None,
            expires_at=now - timedelta(minutes=1) if state == "expired" else now + timedelta(days=1),
        )
    )
    return token


def build_dataset_world(factory: sessionmaker[Session], *, is_public: bool = False) -> DatasetWorld:
    world = build_world(factory)
    with transaction(factory) as session:
        dataset_id = register_dataset(session, world.org_ids["a"], "fly-brain", is_public=is_public)
        datasets.set_allowed_teams(
            session=session, actor=SYSTEM, dataset_id=dataset_id, team_ids=[world.team_ids["a1"]]
        )
        tokens = {
            state: add_link(session, dataset_id, world.org_ids["a"], state)
            for state in ("valid", "revoked", "expired")
        }
    return DatasetWorld(accounts=world, dataset_id=dataset_id, tokens=tokens)


# Actor names used by the table tests, mapped to how an HTTP client of theirs is made.
ACTORS = (
    "anonymous",
    "link_valid",
    "link_revoked",
    "link_expired",
    "outsider",
    "member",
    "team_member",
    "team_manager",
    "dataset_manager",
    "admin",
)
USER_OF_ACTOR = {
    "outsider": "admin_b",
    "member": "member_a",
    "team_member": "team_a",
    "team_manager": "tm_a",
    "dataset_manager": "dsm_a",
    "admin": "admin_a",
}


def client_for(app, world: DatasetWorld, actor: str):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    if actor in USER_OF_ACTOR:
        return logged_in_client(app, world.accounts.users[USER_OF_ACTOR[actor]])
    client = TestClient(app, base_url="http://127.0.0.1")
    if actor.startswith("link_"):
        client.params = {"token": world.tokens[actor.removeprefix("link_")]}
    return client
