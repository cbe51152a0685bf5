"""Copy to my account. The skeleton is copied as one snapshot; volume layers are not copied at all: each
gets a new node whose base is the original's layer at its current version (O(1) whatever the size of the
volume data). Chunk objects are immutable, so neither side's later saves ever show in the other."""

from __future__ import annotations

from sqlalchemy.orm import Session

from voxelhub.annotations import service, versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.policy import Action, Actor
from voxelhub.settings import Settings


def fork(
    *, session: Session, actor: Actor, annotation_id: str, settings: Settings, caches: AppCaches = NO_CACHES
) -> Annotation:
    original = service.get(session=session, actor=actor, annotation_id=annotation_id, action=Action.FORK)
    service.authorize_fork(session, actor, original)
    copy = service.new_fork_row(session, actor, original)
    copy.volume_layers = [
        volume_layers.fork_layer(session, layer, copy.id, original.version)
        for layer in original.volume_layers
    ]
    if original.has_skeleton:
        versions.copy_for_fork(session, original, copy, caches=caches)
    else:
        versions.initialise(session=session, annotation=copy, caches=caches)
    session.flush()
    return copy
