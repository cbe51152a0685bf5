"""What a reader gets of an annotation's skeleton: any version, as the viewer's JSON.

The skeleton carries the volume layers' descriptions too; their largest segment ids come from the dataset, so
a reader who may read the annotation but not its dataset gets the skeleton without them."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.orm import Session

from voxelhub.annotations import service, versions
from voxelhub.annotations.skeleton import facade as skeleton_facade
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.policy import Actor


def skeleton_json(
    *,
    session: Session,
    actor: Actor,
    annotation_id: str,
    version: int | None = None,
    caches: AppCaches = NO_CACHES,
) -> bytes:
    """The skeleton at `version` (default: the current one), as JSON bytes built without pydantic (a million
    nodes must stay fast). 404 when the actor may not read the annotation or the version does not exist."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    wanted = annotation.version if version is None else version
    loaded = versions.load(session, annotation, wanted, caches=caches)
    if loaded.volumes and not service.volume_data_readable(session, actor, annotation):
        loaded = replace(loaded, volumes=())
    return skeleton_facade.to_json_bytes(loaded, version=wanted)
