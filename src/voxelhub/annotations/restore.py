"""Restore an earlier version of a whole annotation (skeleton and every volume layer) as a new version.

Nothing is copied: the skeleton of the old version is stored as the new version's snapshot, and each volume
layer gets refs, at the new version, to the very chunk objects it held at the old one (or NULL refs where the
bucket then came from the layer's base). History stays whole: the versions in between still read back.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from voxelhub.annotations import service, versions
from voxelhub.annotations.models import SkeletonVersion
from voxelhub.annotations.skeleton import facade as skeleton_facade
from voxelhub.annotations.volume import bucket_refs
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.errors import NotFound
from voxelhub.policy import Action, Actor, authorize, require_user


def restore(*, session: Session, actor: Actor, annotation_id: str, version: int) -> int:
    """Make `version` the content of a new version (owner only); answers the new version. A layer added after
    `version` stays, empty of paint. Segment lists and names are not versioned and stay as they are."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.WRITE, annotation)
    if version < 0 or version > annotation.version:
        raise NotFound(f"version {version} does not exist (current: {annotation.version})")
    skeleton = versions.load(session, annotation, version)
    new_version = versions.claim_next_version(session, annotation, annotation.version)
    for layer in annotation.volume_layers:
        bucket_refs.restore_refs(
            session, volume_layers.node_id(layer), to_version=version, at_version=new_version
        )
    session.add(
        SkeletonVersion(
            annotation_id=annotation.id,
            version=new_version,
            snapshot=skeleton_facade.dump(skeleton),
            actions=[{"name": "revertToVersion", "value": {"sourceVersion": version}}],
            author_id=require_user(actor).user_id,
        )
    )
    session.flush()
    return new_version
