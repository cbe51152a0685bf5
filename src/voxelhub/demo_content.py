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
from voxelhub.demo_users import USERS, DemoReport
from voxelhub.policy import SYSTEM, Actor
from voxelhub.settings import Settings
from voxelhub.sharing import service as sharing

TEMCA2 = "temca2-fly-brain"
SYNTHETIC = "synthetic-em"


# Real TEMCA2 tiles (webknossos-libs test data, see NOTICE), shipped inside the package so that the demo works
# from any installation; VOXELHUB_TEMCA2_TILES points at another copy of the same `{z}/{y}/{x}.jpg` layout.
TEMCA2_TILES = Path(__file__).resolve().parent / "demo_assets" / "temca2"


def temca2_tiles_dir() -> Path:
    return Path(os.environ.get("VOXELHUB_TEMCA2_TILES", TEMCA2_TILES))


def _size() -> tuple[int, int, int]:
    """512×512×256 voxels; VOXELHUB_DEMO_SIZE=x,y,z makes a smaller one (the test suite's demo run)."""
    text = os.environ.get("VOXELHUB_DEMO_SIZE", "512,512,256")
    x, y, z = (int(v) for v in text.split(","))
    return x, y, z


def admin_actor(session: Session, organization: Organization) -> Actor:
    admin = session.scalar(select(User).where(User.email == USERS[0].email))
    assert admin is not None and admin.organization_id == organization.id
    return Actor(user=principal_for(admin))


def add_demo_datasets(
    *, session: Session, settings: Settings, organization: Organization, report: DemoReport
) -> None:
    folder = settings.datasets_dir / organization.name
    folder.mkdir(parents=True, exist_ok=True)
    admin = admin_actor(session, organization)
    source = temca2_tiles_dir()
    if source.is_dir():
        temca2 = _ensure(session, organization, TEMCA2, lambda: build_temca2(folder / TEMCA2, source))
        if not temca2.is_public and not temca2.description:
            datasets.update_settings(
                session=session,
                actor=admin,
                dataset_id=temca2.id,
                is_public=True,
                display_name="TEMCA2 fly brain",
                description=(
                    "Serial-section transmission EM of the adult Drosophila brain (TEMCA2, Zheng et al. 2018), "
                    "a few sections converted into a multi-magnification dataset."
                ),
            )
        report.lines.append(f"Public dataset:  {report.base_url}/datasets/{temca2.name}-{temca2.id}/view")
    else:
        report.lines.append(f"(TEMCA2 tiles not found at {source}; skipped that demo dataset)")
    synthetic = _ensure(
        session, organization, SYNTHETIC, lambda: build_synthetic(folder / SYNTHETIC, size=_size())
    )
    if not synthetic.allowed_team_ids:
        connectomics = session.scalars(
            select(Team.id).where(Team.organization_id == organization.id, Team.name == "Connectomics")
        ).one()
        datasets.set_allowed_teams(
            session=session, actor=admin, dataset_id=synthetic.id, team_ids=[connectomics]
        )
        datasets.update_settings(
            session=session,
            actor=admin,
            dataset_id=synthetic.id,
            display_name="Synthetic EM with cell segmentation",
            description="Generated EM-like volume (512×512×256) with a matching segmentation.",
        )
    link = sharing.get_or_create_default_link(session=session, actor=admin, dataset=synthetic)
    report.lines.append(
        f"Private dataset, sharing link: {report.base_url}/datasets/{synthetic.name}-{synthetic.id}/view?token={link.token}"
    )


def _ensure(session: Session, organization: Organization, name: str, build) -> Dataset:
    existing = session.scalar(
        select(Dataset).where(Dataset.organization_id == organization.id, Dataset.name == name)
    )
    if existing is not None:
        return existing
    path = build()
    return datasets.register_folder(
        session=session,
        actor=SYSTEM,
        organization_id=organization.id,
        location_url=str(Path(path).resolve()),
        name=name,
    )


def _user_actor(session: Session, email: str) -> Actor:
    user = session.scalar(select(User).where(User.email == email))
    assert user is not None
    return Actor(user=principal_for(user))


def _demo_tree_actions(tree_id: int, first_node: int, start: tuple[int, int, int], steps: int) -> list[dict]:
    """A wavy neurite: a chain of nodes through the volume, with one comment and one branchpoint."""
    import math

    color = [[0.9, 0.3, 0.2, 1.0], [0.2, 0.6, 0.9, 1.0], [0.3, 0.8, 0.3, 1.0]][tree_id % 3]
    actions: list[dict] = [
        {
            "name": "createTree",
            "value": {
                "id": tree_id,
                "name": f"neurite {tree_id}",
                "color": color,
                "comments": [],
                "branchPoints": [],
            },
        }
    ]
    for i in range(steps):
        node_id = first_node + i
        x = start[0] + 12 * i
        y = int(start[1] + 30 * math.sin(i / 3))
        actions.append(
            {
                "name": "createNode",
                "value": {
                    "id": node_id,
                    "treeId": tree_id,
                    "position": [x, y, start[2] + 4 * i],
                    "radius": 3.0,
                },
            }
        )
        if i:
            actions.append(
                {"name": "createEdge", "value": {"treeId": tree_id, "source": node_id - 1, "target": node_id}}
            )
    actions.append(
        {
            "name": "updateTree",
            "value": {
                "id": tree_id,
                "comments": [{"nodeId": first_node, "content": "soma side"}],
                "branchPoints": [{"nodeId": first_node + steps // 2, "timestamp": 0}],
            },
        }
    )
    return actions


def add_demo_annotations(
    *, session: Session, settings: Settings, organization: Organization, report: DemoReport
) -> None:
    from voxelhub.annotations import forks, versions
    from voxelhub.annotations import service as annotations
    from voxelhub.annotations.models import Annotation

    synthetic = session.scalar(
        select(Dataset).where(Dataset.organization_id == organization.id, Dataset.name == SYNTHETIC)
    )
    if synthetic is None or session.scalar(
        select(Annotation.id).where(Annotation.dataset_id == synthetic.id)
    ):
        return
    tracer = _user_actor(session, "tracer@demo.voxelhub.org")
    connectomics = session.scalars(
        select(Team.id).where(Team.organization_id == organization.id, Team.name == "Connectomics")
    ).one()
    made = {}
    for visibility, name in (
        ("Internal", "Axon tracing"),
        ("Private", "Private notes"),
        ("Public", "Published reconstruction"),
    ):
        annotation = annotations.create(session=session, actor=tracer, dataset_id=synthetic.id, name=name)
        versions.initialise(session=session, annotation=annotation, settings=settings)
        actions = [
            a for t in range(3) for a in _demo_tree_actions(t + 1, 1 + 100 * t, (60 + 40 * t, 200, 40), 30)
        ]
        versions.save(
            session=session, actor=tracer, annotation_id=annotation.id, base_version=0, actions=actions
        )
        annotations.update(session=session, actor=tracer, annotation_id=annotation.id, visibility=visibility)
        made[visibility] = annotation
    annotations.set_shared_teams(
        session=session, actor=tracer, annotation_id=made["Internal"].id, team_ids=[connectomics]
    )
    lead = _user_actor(session, "lead@demo.voxelhub.org")
    fork = forks.fork(session=session, actor=lead, annotation_id=made["Internal"].id, settings=settings)
    report.lines.append(
        f"Annotations: {len(made)} by tracer@ (one shared with Connectomics), "
        f"one copied by lead@: {report.base_url}/annotations/{fork.id}"
    )
