"""A new annotation, ready to open: its row, version 0 of its skeleton, and an empty volume layer when asked.

Apart from `service.create` (the row alone) because the skeleton versions and the volume layers build on the
row service (`versions` and `volume_service` import it)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from voxelhub.annotations import service, versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.volume import service as volume_service
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.policy import Actor
from voxelhub.settings import Settings


def create_annotation(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    dataset_id: str,
    name: str = "",
    layers: list[str] | None = None,
    description: str = "",
    caches: AppCaches = NO_CACHES,
) -> Annotation:
    """An annotation owned by the caller on a dataset the caller may read, with the layers asked for
    ("skeleton", "volume"; the skeleton alone by default)."""
    annotation = service.create(
        session=session, actor=actor, dataset_id=dataset_id, name=name, layers=layers, description=description
    )
    versions.initialise(session=session, annotation=annotation, settings=settings, caches=caches)
    if layers and "volume" in layers:
        volume_service.add_layer(session=session, settings=settings, actor=actor, annotation_id=annotation.id)
    return annotation
