"""Meshes of single segments of an annotation's volume layer, as painted (with its fallback segmentation where
nothing was painted): the same mesher and bounds as a dataset layer's (`voxelhub.datasets.meshes`), reading
the layer's buckets as the bucket route does, so the same access rules apply."""

from __future__ import annotations

from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from voxelhub.annotations import service
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.annotations.volume.service import layer_of, merged_buckets, volume_data_source
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.datasets import meshes
from voxelhub.datasets.layout import BoundingBox, Layer, MagInfo
from voxelhub.policy import Actor
from voxelhub.settings import Settings

B = volume_layers.BUCKET


def annotation_segment_mesh(
    *,
    session: Session,
    settings: Settings,
    actor: Actor,
    annotation_id: str,
    layer_name: str,
    segment_id: int,
    mag_text: str | None,
    caches: AppCaches = NO_CACHES,
) -> meshes.Mesh:
    """The mesh of `segment_id` in the annotation's volume layer at its current version."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    target = volume_data_source(session, actor, annotation, caches, settings.storage_profiles)
    described = layer_of(annotation, layer_name)
    layer = _as_layer(described)
    mag = meshes.choose_mag(layer, mag_text)
    version = annotation.version

    def read(offset: tuple[int, int, int], shape: tuple[int, int, int]) -> np.ndarray:
        start = [offset[i] // mag.mag[i] for i in range(3)]
        first = [s // B for s in start]
        last = [(start[i] + shape[i] - 1) // B for i in range(3)]
        grid = [range(first[i], last[i] + 1) for i in range(3)]
        positions = [(x, y, z) for z in grid[2] for y in grid[1] for x in grid[0]]
        parts = merged_buckets(
            session, settings, described, target, list(mag.mag), positions, version, caches
        )
        block = np.zeros([len(g) * B for g in grid], dtype=parts[0].dtype if parts else layer.dtype)
        for (x, y, z), part in zip(positions, parts, strict=True):
            at = ((x - first[0]) * B, (y - first[1]) * B, (z - first[2]) * B)
            block[at[0] : at[0] + B, at[1] : at[1] + B, at[2] : at[2] + B] = part
        lo = [start[i] - first[i] * B for i in range(3)]
        return block[lo[0] : lo[0] + shape[0], lo[1] : lo[1] + shape[1], lo[2] : lo[2] + shape[2]]

    return meshes.mesh_from_reader(layer, mag, segment_id, read, deadline_seconds=meshes.DEADLINE_SECONDS)


def _as_layer(described: dict[str, Any]) -> Layer:
    """The volume layer's description as a dataset layer, for the mesher's box, mags and bounds."""
    box = described["boundingBox"]
    return Layer(
        name=described["name"],
        category="segmentation",
        element_class=described["elementClass"],
        bounding_box=BoundingBox(
            top_left=tuple(box["topLeft"]),
            size=(box["width"], box["height"], box["depth"]),
        ),
        mags=tuple(MagInfo(mag=tuple(m), path="", axes=("c", "x", "y", "z")) for m in described["mags"]),
    )
