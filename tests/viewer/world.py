"""A real (synthetic) dataset for the viewer tests: registered in org A, team a1 allowed, with a sharing link."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from tests.datasets.helpers import register_folder
from tests.factories import World, build_world
from tests.sharing.world import add_link
from voxelhub.datasets import service as datasets
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM

SIZE = (128, 128, 64)


@dataclass
class ViewerWorld:
    accounts: World
    dataset_id: str
    token: str
    folder: Path

    @property
    def slug(self) -> str:
        return f"synthetic-{self.dataset_id}"


def build_viewer_world(factory: sessionmaker[Session], tmp_path: Path) -> ViewerWorld:
    accounts = build_world(factory)
    folder = build_synthetic(tmp_path / "synthetic", size=SIZE)
    dataset_id = register_folder(factory, accounts.org_ids["a"], folder, name="synthetic")
    with transaction(factory) as session:
        datasets.set_allowed_teams(
            session=session, actor=SYSTEM, dataset_id=dataset_id, team_ids=[accounts.team_ids["a1"]]
        )
        token = add_link(session, dataset_id, accounts.org_ids["a"], "valid")
    return ViewerWorld(accounts=accounts, dataset_id=dataset_id, token=token, folder=folder)
