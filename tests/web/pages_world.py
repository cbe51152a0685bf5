"""Datasets with layers for the page tests, on top of the shared dataset world."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from tests.sharing.world import DATA_SOURCE, DatasetWorld, build_dataset_world, register_dataset
from voxelhub.db import transaction


def layered_source(name: str) -> dict[str, Any]:
    box = {"topLeft": [0, 0, 0], "width": 512, "height": 256, "depth": 64}
    return dict(
        DATA_SOURCE,
        id={"name": name, "team": "org-a"},
        dataLayers=[
            {
                "name": "color",
                "category": "color",
                "elementClass": "uint8",
                "boundingBox": box,
                "mags": [{"mag": [1, 1, 1]}, {"mag": [2, 2, 1]}],
            },
            {
                "name": "segmentation",
                "category": "segmentation",
                "elementClass": "uint32",
                "boundingBox": box,
                "mags": [{"mag": [1, 1, 1]}],
            },
        ],
    )


def add_dataset(factory: sessionmaker[Session], org_id: str, name: str, **fields: Any) -> str:
    with transaction(factory) as session:
        return register_dataset(session, org_id, name, data_source=layered_source(name), **fields)


def world_with_layers(factory: sessionmaker[Session], *, is_public: bool = False) -> DatasetWorld:
    """The dataset world ("fly-brain" in org A, team a1 allowed) with two layers on the dataset."""
    world = build_dataset_world(factory, is_public=is_public)
    with transaction(factory) as session:
        from voxelhub.datasets.models import Dataset

        dataset = session.get(Dataset, world.dataset_id)
        assert dataset is not None
        dataset.data_source = layered_source("fly-brain")
    return world
