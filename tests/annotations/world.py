"""Annotations in every visibility, owned by a member of team a1, on a dataset of org A."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World, build_world
from tests.sharing.world import register_dataset
from voxelhub.annotations import service
from voxelhub.annotations.models import Annotation
from voxelhub.datasets import service as datasets
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM


@dataclass
class AnnotationWorld:
    accounts: World
    dataset_id: str
    annotation_ids: dict[str, str]  # visibility -> id


def build_annotation_world(
    factory: sessionmaker[Session], *, dataset_public: bool = False
) -> AnnotationWorld:
    world = build_world(factory)
    with transaction(factory) as session:
        dataset_id = register_dataset(session, world.org_ids["a"], "l4-sample", is_public=dataset_public)
        datasets.set_allowed_teams(
            session=session, actor=SYSTEM, dataset_id=dataset_id, team_ids=[world.team_ids["a1"]]
        )
        owner = world.actor(session, "team_a")
        ids = {}
        for visibility in ("Private", "Internal", "Public"):
            annotation = service.create(session=session, actor=owner, dataset_id=dataset_id, name=visibility)
            annotation.visibility = visibility
            if visibility != "Private":
                annotation.shared_team_links = []
                service.set_shared_teams(
                    session=session, actor=owner, annotation_id=annotation.id, team_ids=[world.team_ids["a2"]]
                )
            ids[visibility] = annotation.id
    return AnnotationWorld(accounts=world, dataset_id=dataset_id, annotation_ids=ids)


def load(session: Session, annotation_id: str) -> Annotation:
    annotation = session.get(Annotation, annotation_id)
    assert annotation is not None
    return annotation
