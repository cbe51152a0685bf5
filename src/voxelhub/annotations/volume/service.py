"""Volume layers of annotations: create, read buckets (with the dataset's segmentation as fallback for
buckets never painted), paint buckets (a versioned save), name segments."""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Mapping
from typing import Any

import numpy as np
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from voxelhub.annotations import service, versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.skeleton.plain_json import segment_from_json, segment_to_json
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.datasets import access
from voxelhub.datasets.volume import read_buckets
from voxelhub.errors import BadInput, Forbidden, NotFound
from voxelhub.policy import Action, Actor, authorize, authorize_volume_data
from voxelhub.settings import Settings

MAX_BUCKETS_PER_SAVE = 1024


def add_layer(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    annotation_id: str,
    name: str = "Volume",
    fallback_layer: str | None = None,
    use_fallback: bool = True,
) -> dict[str, Any]:
    """A new, empty volume layer covering the dataset; on top of its segmentation layer by default (owner only).
    Its bounding box, mags and largest segment id are the dataset's, so the caller must read the dataset."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.WRITE, annotation)
    dataset = service.dataset_of(session, annotation)
    authorize_volume_data(actor, annotation, dataset)
    layers = dataset.data_source.get("dataLayers") or []
    segmentation = next((l for l in layers if l.get("category") == "segmentation"), None)  # noqa: E741
    if fallback_layer is None and use_fallback and segmentation is not None:
        fallback_layer = segmentation["name"]
    reference = segmentation or (layers[0] if layers else None)
    if reference is None:
        raise BadInput("the dataset has no layers to annotate")
    if any(layer["name"] == name for layer in annotation.volume_layers):
        raise BadInput(f"a volume layer named {name!r} exists already")
    element_class = (
        segmentation["elementClass"]
        if segmentation and segmentation["elementClass"] in volume_layers.ELEMENT_CLASSES
        else "uint32"
    )
    layer = volume_layers.new_layer(
        session,
        annotation_id=annotation.id,
        name=name,
        bounding_box=reference["boundingBox"],
        mags=[m["mag"] for m in reference["mags"]],
        element_class=element_class,
        fallback_layer=fallback_layer,
        largest_segment_id=int((segmentation or {}).get("largestSegmentId") or 0),
    )
    annotation.volume_layers = [*annotation.volume_layers, layer]
    session.flush()
    return layer


def layer_of(annotation: Annotation, name: str) -> dict[str, Any]:
    for layer in annotation.volume_layers:
        if layer["name"] == name:
            return layer
    raise NotFound(f"no volume layer named {name!r}")


def read(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    annotation_id: str,
    layer_name: str,
    mag: list[int],
    buckets: list[list[int]],
    caches: AppCaches = NO_CACHES,
    version: int | None = None,
) -> bytes:
    """Buckets of a volume layer at `version` (default: the current one), concatenated like the dataset
    bucket route. Unpainted buckets come from the fallback segmentation layer of the dataset (the reader
    needs dataset access, as for all data)."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    target = volume_data_source(session, actor, annotation, caches, settings.storage_profiles)
    layer = layer_of(annotation, layer_name)
    version = annotation.version if version is None else version
    if version < 0 or version > annotation.version:
        raise NotFound(f"version {version} does not exist (current: {annotation.version})")
    for index, bucket in enumerate(buckets):  # after the access check: the answers trace the dataset's box
        problem = volume_layers.bucket_problem(layer, mag, bucket, slack=1)
        if problem:
            raise BadInput(f"bucket {index}: {problem}", bucketIndex=index)
    parts = merged_buckets(
        session,
        settings,
        layer,
        target,
        mag,
        [tuple(b) for b in buckets],  # type: ignore[misc]
        version,
        caches,
    )
    return b"".join(part.tobytes(order="F") for part in parts)


def volume_data_source(
    session: Session,
    actor: Actor,
    annotation: Annotation,
    caches: AppCaches = NO_CACHES,
    profiles: Mapping[str, Mapping[str, Any]] | None = None,
) -> access.ReadableDataset:
    """The annotation's dataset, ready to read fallback voxels from, once the policy allows the actor the
    annotation's volume data (a 403 naming the reason when only the annotation is readable)."""
    facts = access.read_facts(session, annotation.dataset_id)
    if facts is None:
        raise NotFound()
    authorize_volume_data(actor, annotation, facts)
    return access.readable(
        session=session, actor=actor, dataset_id=annotation.dataset_id, caches=caches, profiles=profiles
    )


def _dataset_if_readable(
    session: Session,
    actor: Actor,
    annotation: Annotation,
    caches: AppCaches,
    profiles: Mapping[str, Mapping[str, Any]],
) -> access.ReadableDataset | None:
    """The annotation's dataset for fallback data, or None when the painter may no longer read it (the
    paint is still saved; coarser mags are then computed from the painted layer alone)."""
    try:
        return access.readable(
            session=session, actor=actor, dataset_id=annotation.dataset_id, caches=caches, profiles=profiles
        )
    except (NotFound, Forbidden):
        return None


def merged_buckets(
    session: Session,
    settings: Settings,
    layer: dict[str, Any],
    target: access.ReadableDataset | None,
    mag: list[int],
    buckets: list[tuple[int, int, int]],
    version: int,
    caches: AppCaches = NO_CACHES,
) -> list[np.ndarray]:
    """32³ buckets (x, y, z; little-endian of the layer's element class) at `version`: painted ones from the
    layer, the others from the dataset's fallback segmentation layer when it has one (else zeros)."""
    dtype = np.dtype(layer["elementClass"]).newbyteorder("<")
    stored = volume_layers.read_buckets(session, settings, layer, mag, buckets, version)
    painted = [voxels is not None for voxels in stored]
    fallback = _fallback_layer(layer, target, mag)
    unpainted = [i for i, done in enumerate(painted) if not done]
    from_fallback: dict[int, np.ndarray] = {}
    if fallback is not None and target is not None and unpainted:
        with access.data_errors():
            # The caller bounded the request (the route's `max_buckets_per_request`; a coarse-mag refresh its ratio).
            raw = read_buckets(
                target.location,
                target.source,
                fallback.name,
                mag,
                [buckets[i] for i in unpainted],
                max_buckets=len(unpainted),
                arrays=caches.arrays,
                chunks=caches.chunks,
            )
        size = len(raw) // len(unpainted)
        source_dtype = fallback.dtype.newbyteorder("<")
        for k, i in enumerate(unpainted):
            voxels = np.frombuffer(raw[k * size : (k + 1) * size], dtype=source_dtype)
            from_fallback[i] = voxels.reshape((volume_layers.BUCKET,) * 3, order="F").astype(dtype)
    out = []
    for i, own in enumerate(stored):
        if i in from_fallback:
            out.append(from_fallback[i])
        elif own is not None:
            out.append(own.astype(dtype))
        else:
            out.append(np.zeros((volume_layers.BUCKET,) * 3, dtype=dtype))
    return out


def _fallback_layer(layer: dict[str, Any], target: access.ReadableDataset | None, mag: list[int]) -> Any:
    """The dataset layer unpainted buckets come from, if the layer names one the dataset has at this mag
    (an imported layer may name a fallback this dataset does not have)."""
    name = layer.get("fallbackLayer")
    source_layer = target.source.layer(name) if name and target is not None else None
    if source_layer is None or not any(list(m.mag) == list(mag) for m in source_layer.mags):
        return None
    return source_layer


def refresh_coarser_mags(
    session: Session,
    settings: Settings,
    layer: dict[str, Any],
    target: access.ReadableDataset | None,
    mag: list[int],
    positions: list[tuple[int, int, int]],
    version: int,
    caches: AppCaches = NO_CACHES,
) -> None:
    """After painting buckets of `mag`, recompute the buckets of every coarser mag that cover them, one mag
    from the next (so each step reads a few buckets, not a 16³ block of mag 1). Each coarse voxel takes the
    first voxel of its block (segment ids cannot be averaged); unpainted fine buckets contribute their
    fallback data, so zoomed-out views keep the dataset's segmentation around the paint."""
    fine, touched = list(mag), set(positions)
    for coarse in sorted((list(m) for m in layer["mags"]), key=lambda m: (m[0] * m[1] * m[2], m)):
        ratio = [c // f for c, f in zip(coarse, fine, strict=True)]
        if any(c % f for c, f in zip(coarse, fine, strict=True)) or ratio == [1, 1, 1]:
            continue
        coarse_touched = {tuple(p // r for p, r in zip(pos, ratio, strict=True)) for pos in touched}
        for bucket in sorted(coarse_touched):
            offsets = list(itertools.product(*(range(r) for r in ratio)))
            fine_buckets = [
                tuple(b * r + d for b, r, d in zip(bucket, ratio, offset, strict=True)) for offset in offsets
            ]
            block = np.zeros(
                tuple(volume_layers.BUCKET * r for r in ratio), dtype=np.dtype(layer["elementClass"])
            )
            parts = merged_buckets(session, settings, layer, target, fine, fine_buckets, version, caches)
            for offset, part in zip(offsets, parts, strict=True):
                x, y, z = (d * volume_layers.BUCKET for d in offset)
                block[
                    x : x + volume_layers.BUCKET, y : y + volume_layers.BUCKET, z : z + volume_layers.BUCKET
                ] = part
            volume_layers.write_buckets(
                session,
                settings,
                layer,
                coarse,
                {bucket: block[:: ratio[0], :: ratio[1], :: ratio[2]]},
                version,
            )
        fine, touched = coarse, coarse_touched


def paint(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    annotation_id: str,
    layer_name: str,
    base_version: int,
    buckets: list[dict[str, Any]],
    caches: AppCaches = NO_CACHES,
) -> int:
    """Store painted buckets as one versioned save (owner only; 409 on a stale version). The new chunk
    objects are written first; their refs, the new version and its history row commit in the caller's one
    transaction, so a crash leaves either the old version or the new one (and at worst orphan objects)."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.WRITE, annotation)
    layer = layer_of(annotation, layer_name)
    if len(buckets) > MAX_BUCKETS_PER_SAVE:
        raise BadInput(f"at most {MAX_BUCKETS_PER_SAVE} buckets per save")
    decoded = [_decode_bucket(layer, b, index) for index, b in enumerate(buckets)]
    new_version = versions.claim_next_version(session, annotation, base_version)
    layer = layer_of(annotation, layer_name)  # the claim reloaded the row
    for painted_mag in sorted({tuple(m) for m, _, _ in decoded}):
        volume_layers.write_buckets(
            session,
            settings,
            layer,
            list(painted_mag),
            {p: v for m, p, v in decoded if tuple(m) == painted_mag},
            new_version,
        )
    target = _dataset_if_readable(session, actor, annotation, caches, settings.storage_profiles)
    for painted_mag in sorted({tuple(m) for m, _, _ in decoded}):
        positions = [p for m, p, _ in decoded if tuple(m) == painted_mag]
        refresh_coarser_mags(
            session, settings, layer, target, list(painted_mag), positions, new_version, caches
        )
    largest = max([layer.get("largestSegmentId") or 0] + [int(v.max()) for _, _, v in decoded])
    layer["largestSegmentId"] = largest
    flag_modified(annotation, "volume_layers")
    actions = [
        {"name": "updateBucket", "value": {"layer": layer_name, "mag": m, "position": list(p)}}
        for m, p, _ in decoded
    ]
    base = versions.load(session, annotation, base_version, caches=caches)
    versions.record(session, actor, annotation, new_version, actions, base, caches=caches)
    return new_version


def _decode_bucket(
    layer: dict[str, Any], bucket: dict[str, Any], index: int
) -> tuple[list[int], tuple[int, int, int], np.ndarray]:
    try:
        mag = [int(v) for v in bucket["mag"]]
        position = tuple(int(v) for v in bucket["position"])
        raw = base64.b64decode(bucket["data"], validate=True)
    except (KeyError, TypeError, ValueError, binascii.Error) as exc:
        raise BadInput(f"bucket {index}: needs mag, position and base64 data", actionIndex=index) from exc
    dtype = np.dtype(layer["elementClass"]).newbyteorder("<")
    if len(mag) != 3 or len(position) != 3 or len(raw) != volume_layers.BUCKET**3 * dtype.itemsize:
        raise BadInput(f"bucket {index}: 32³ voxels of {layer['elementClass']} expected", actionIndex=index)
    problem = volume_layers.bucket_problem(
        layer, mag, position, slack=0
    )  # checked before any bucket is written
    if problem:
        raise BadInput(f"bucket {index}: {problem}", actionIndex=index)
    voxels = np.frombuffer(raw, dtype=dtype).reshape((volume_layers.BUCKET,) * 3, order="F")
    return mag, position, voxels


def set_segments(
    *, session: Session, actor: Actor, annotation_id: str, layer_name: str, segments: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.WRITE, annotation)
    layer = layer_of(annotation, layer_name)
    segments = checked_segments(segments)
    layer["segments"] = segments
    flag_modified(annotation, "volume_layers")
    session.flush()
    return segments


def checked_segments(raw: list[Any]) -> list[dict[str, Any]]:
    """Segments in their JSON form ({id, name, anchorPosition, color, created, groupId, metadata}), checked
    and normalised; anything else is a 400 naming the segment."""
    out, seen = [], set()
    for index, item in enumerate(raw):
        problem = _segment_problem(item)
        if problem is None and item["id"] in seen:
            problem = "its id is used twice"
        if problem:
            raise BadInput(f"segment {index}: {problem}", segmentIndex=index)
        seen.add(item["id"])
        out.append(segment_to_json(segment_from_json(item)))
    return out


def _numbers(value: Any, count: int) -> bool:
    return (
        isinstance(value, list)
        and len(value) == count
        and all(isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) for v in value)
    )


def _segment_problem(item: Any) -> str | None:
    if not isinstance(item, dict):
        return "an object expected"
    unknown = set(item) - {"id", "name", "anchorPosition", "color", "created", "groupId", "metadata"}
    if unknown:
        return f"unknown fields {sorted(unknown)}"
    if not isinstance(item.get("id"), int) or isinstance(item["id"], bool) or item["id"] < 0:
        return "id must be a non-negative integer"
    if item.get("name") is not None and (not isinstance(item["name"], str) or len(item["name"]) > 1000):
        return "name must be text (at most 1000 characters)"
    if item.get("anchorPosition") is not None and not _numbers(item["anchorPosition"], 3):
        return "anchorPosition must be three numbers"
    if item.get("color") is not None and not _numbers(item["color"], 4):
        return "color must be four numbers (r, g, b, a)"
    for key in ("created", "groupId"):
        if item.get(key) is not None and (not isinstance(item[key], int) or isinstance(item[key], bool)):
            return f"{key} must be an integer"
    metadata = item.get("metadata", [])
    if not isinstance(metadata, list) or not all(
        isinstance(m, dict) and all(isinstance(k, str) and isinstance(v, str) for k, v in m.items())
        for m in metadata
    ):
        return "metadata must be a list of objects of text values"
    return None
