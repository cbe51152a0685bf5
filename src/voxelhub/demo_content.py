"""Demo datasets and annotations, added to the demo organization by `voxelhub demo` (idempotent):
a public dataset from the real TEMCA2 electron-microscopy tiles, and a private generated EM-like volume with
a segmentation, shared with the Connectomics team and through a sharing link that the command prints."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization, Team, User
from voxelhub.accounts.service import principal_for
from voxelhub.datasets import service as datasets
from voxelhub.datasets.demo_data import build_synthetic, build_temca2
from voxelhub.datasets.models import Dataset
from voxelhub.demo import USERS, DemoReport
from voxelhub.policy import SYSTEM, Actor
from voxelhub.settings import Settings
from voxelhub.sharing import service as sharing

TEMCA2 = "temca2-fly-brain"
SYNTHETIC = "synthetic-em"


def fixtures_dir() -> Path:
    default = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "webknossos-libs"
    return Path(os.environ.get("VOXELHUB_FIXTURES_DIR", default))


def admin_actor(session: Session, organization: Organization) -> Actor:
    admin = session.scalar(select(User).where(User.email == USERS[0].email))
    assert admin is not None and admin.organization_id == organization.id
    return Actor(user=principal_for(admin))


def add_demo_datasets(*, session: Session, settings: Settings, organization: Organization, report: DemoReport) -> None:
    folder = settings.datasets_dir / organization.name
    folder.mkdir(parents=True, exist_ok=True)
    admin = admin_actor(session, organization)
    source = fixtures_dir() / "temca2"
    if source.is_dir():
        temca2 = _ensure(session, organization, TEMCA2, lambda: build_temca2(folder / TEMCA2, source))
        if not temca2.is_public and not temca2.description:
            datasets.update_settings(
                session=session, actor=admin, dataset_id=temca2.id, is_public=True,
                display_name="TEMCA2 fly brain", description=(
                    "Serial-section transmission EM of the adult Drosophila brain (TEMCA2, Zheng et al. 2018), "
                    "a few sections converted into a multi-magnification dataset."),
            )
        report.lines.append(f"Public dataset:  {report.base_url}/datasets/{temca2.name}-{temca2.id}/view")
    else:
        report.lines.append(f"(TEMCA2 tiles not found at {source}; skipped that demo dataset)")
    synthetic = _ensure(session, organization, SYNTHETIC, lambda: build_synthetic(folder / SYNTHETIC))
    if not synthetic.allowed_team_ids:
        connectomics = session.scalar(
            select(Team.id).where(Team.organization_id == organization.id, Team.name == "Connectomics")
        )
        datasets.set_allowed_teams(session=session, actor=admin, dataset_id=synthetic.id, team_ids=[connectomics])
        datasets.update_settings(session=session, actor=admin, dataset_id=synthetic.id,
                                 display_name="Synthetic EM with cell segmentation",
                                 description="Generated EM-like volume (512×512×256) with a matching segmentation.")
    link = sharing.get_or_create_default_link(session=session, actor=admin, dataset=synthetic)
    report.lines.append(
        f"Private dataset, sharing link: {report.base_url}/datasets/{synthetic.name}-{synthetic.id}/view?token={link.token}"
    )


def _ensure(session: Session, organization: Organization, name: str, build) -> Dataset:  # type: ignore[no-untyped-def]
    existing = session.scalar(
        select(Dataset).where(Dataset.organization_id == organization.id, Dataset.name == name)
    )
    if existing is not None:
        return existing
    path = build()
    return datasets.register_folder(
        session=session, actor=SYSTEM, organization_id=organization.id, location_url=str(Path(path).resolve()),
        name=name,
    )
