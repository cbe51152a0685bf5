"""Access to an annotation's voxel data: it needs read access to the annotation AND to its dataset."""

from __future__ import annotations

from voxelhub.annotations.models import Annotation
from voxelhub.errors import Forbidden, NotFound
from voxelhub.policy.actors import Actor
from voxelhub.policy.annotations_rules import (
    VOLUME_DATA_NEEDS_DATASET,
    AnnotationOnDataset,
    can_read_annotation,
)
from voxelhub.policy.core import can
from voxelhub.policy.datasets_rules import DatasetLike
from voxelhub.policy.registry import Action


def can_read_volume_data(actor: Actor, annotation: Annotation, dataset: DatasetLike) -> bool:
    """May the actor read the annotation's voxel data (buckets, coarse mags, the volume part of downloads)?
    Only with read access to the annotation AND its dataset (spec: "no data leaks")."""
    return can(actor, Action.READ_VOLUME_DATA, AnnotationOnDataset(annotation, dataset))


def authorize_volume_data(actor: Actor, annotation: Annotation, dataset: DatasetLike) -> None:
    """404 when the annotation is not readable (never reveal it exists); a 403 naming the reason when it is
    readable but its dataset is not: the reader may know the annotation exists, so saying why helps them."""
    if can_read_volume_data(actor, annotation, dataset):
        return
    if not can_read_annotation(actor, annotation):
        raise NotFound()
    raise Forbidden(
        VOLUME_DATA_NEEDS_DATASET, reason="dataset_access_needed", datasetId=annotation.dataset_id
    )
