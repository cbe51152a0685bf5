"""Which chunk object each bucket of a volume layer holds at each version: the database half of a layer.

A layer is a node (`VolumeLayerNode`): its own refs, then its base. A bucket at version N is the newest own ref
with `from_version <= N`; with none (or a NULL-key ref, written by a restore), it is the base's bucket: first
the node's old-layout prefixes (frozen since the refs replaced them), then the parent node at the version the
copy was made from — recursively, so copies of copies need nothing else. Refs are only ever added, in the
transaction that also claims the annotation's new version: a save is all there or not there at all.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from voxelhub.annotations.models import VolumeBucketRef, VolumeLayerNode

Bucket = tuple[int, int, int]
_IN_BATCH = 400


@dataclass(frozen=True)
class Source:
    """Where a painted bucket's voxels are: a chunk object, or an old-layout array (prefixes, own first)."""

    key: str | None = None
    legacy: tuple[str, ...] = ()


def create_node(
    session: Session,
    *,
    annotation_id: str | None,
    parent_id: str | None = None,
    parent_version: int | None = None,
    legacy_prefixes: Sequence[str] = (),
) -> str:
    node = VolumeLayerNode(
        annotation_id=annotation_id,
        parent_id=parent_id,
        parent_version=parent_version,
        legacy_prefixes=list(legacy_prefixes),
    )
    session.add(node)
    session.flush()
    return node.id


def node(session: Session, node_id: str) -> VolumeLayerNode:
    found = session.get(VolumeLayerNode, node_id)
    if found is None:
        raise LookupError(f"volume layer node {node_id} does not exist")
    return found


def own_refs(
    session: Session, node_id: str, mag: str, buckets: Sequence[Bucket], version: int
) -> dict[Bucket, str | None]:
    """The node's own ref of each bucket at `version` (a NULL key = read the base); buckets without one are absent."""
    newest: dict[Bucket, tuple[int, str | None]] = {}
    unique = sorted(set(buckets))
    for start in range(0, len(unique), _IN_BATCH):
        stmt = select(
            VolumeBucketRef.x,
            VolumeBucketRef.y,
            VolumeBucketRef.z,
            VolumeBucketRef.from_version,
            VolumeBucketRef.key,
        ).where(
            VolumeBucketRef.layer_id == node_id,
            VolumeBucketRef.mag == mag,
            VolumeBucketRef.from_version <= version,
            tuple_(VolumeBucketRef.x, VolumeBucketRef.y, VolumeBucketRef.z).in_(
                unique[start : start + _IN_BATCH]
            ),
        )
        for x, y, z, from_version, key in session.execute(stmt):
            if (x, y, z) not in newest or from_version > newest[(x, y, z)][0]:
                newest[(x, y, z)] = (from_version, key)
    return {bucket: key for bucket, (_, key) in newest.items()}


def all_own_refs(session: Session, node_id: str, mag: str | None = None) -> list[VolumeBucketRef]:
    stmt = select(VolumeBucketRef).where(VolumeBucketRef.layer_id == node_id)
    if mag is not None:
        stmt = stmt.where(VolumeBucketRef.mag == mag)
    return list(session.scalars(stmt.order_by(VolumeBucketRef.from_version)))


def newest_at(refs: Iterable[VolumeBucketRef], version: int) -> dict[tuple[str, int, int, int], str | None]:
    """(mag, x, y, z) -> key of the newest ref at `version`, from refs ordered by from_version."""
    out: dict[tuple[str, int, int, int], str | None] = {}
    for ref in refs:
        if ref.from_version <= version:
            out[(ref.mag, ref.x, ref.y, ref.z)] = ref.key
    return out


def add_ref(
    session: Session, *, node_id: str, mag: str, bucket: Bucket, version: int, key: str | None
) -> None:
    """Record `key` for a bucket from `version` on. Within one save a bucket written twice (a client's
    coarse bucket, then the recomputed one) keeps the last key: the pending ref is updated in place."""
    pending: dict[tuple[str, str, Bucket, int], VolumeBucketRef] = session.info.setdefault("volume_refs", {})
    pk = (node_id, mag, bucket, version)
    if pk in pending and pending[pk] in session:
        pending[pk].key = key
        return
    ref = VolumeBucketRef(
        layer_id=node_id, mag=mag, x=bucket[0], y=bucket[1], z=bucket[2], from_version=version, key=key
    )
    session.add(ref)
    pending[pk] = ref


def restore_refs(session: Session, node_id: str, *, to_version: int, at_version: int) -> int:
    """Make the node's buckets at `at_version` what they were at `to_version` by adding refs to the same
    objects (nothing is copied); answers how many buckets changed."""
    refs = all_own_refs(session, node_id)
    then, now = newest_at(refs, to_version), newest_at(refs, at_version)
    changed = 0
    for (mag, x, y, z), key in now.items():
        wanted = then.get((mag, x, y, z))
        if wanted != key:
            add_ref(session, node_id=node_id, mag=mag, bucket=(x, y, z), version=at_version, key=wanted)
            changed += 1
    session.flush()
    return changed
