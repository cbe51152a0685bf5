"""Volume data in annotation zips, both ways.

Upload: each `<volume>` of the NML whose `data_<layer>.zip` is in the upload becomes a voxelhub volume layer
(zarr v3, `annotations.volumes`) holding every bucket of every mag of the archive, whether webKnossos wrote it
as zarr3 or as WKW. The layer remembers the `<volume>` it came from (id, original name, segment groups, unknown
attributes), and its segments, so the download writes them back.

Download: each volume layer becomes a zarr3 archive the way webKnossos writes them (`datasource-properties.json`
plus `volumeAnnotationData/<mag>/` arrays of shape (c, x, y, z) in 32³ chunks), next to the NML in one zip.
Only buckets that were painted (or imported) are written, so the archive is as small as the annotation.
"""

from __future__ import annotations

import itertools
import json
import re
import struct
import tempfile
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from voxelhub.annotations.models import Annotation
from voxelhub.annotations.skeleton.model import Skeleton, VolumeLayer
from voxelhub.annotations.skeleton.plain_json import (
    group_from_json,
    group_to_json,
    segment_from_json,
    segment_to_json,
)
from voxelhub.annotations.volume import layers as volume_layers
from voxelhub.annotations.volume.archive_contents import (
    VolumeArchiveError,
    VolumeArchiveInfo,
    default_budget,
    inspect_volume_archive,
    open_archive,
    read_json,
)
from voxelhub.annotations.volume.chunk_codecs import (
    STORED_OVERHEAD,
    ChunkError,
    ChunkLayout,
    chunk_layout,
    decode_chunk,
)
from voxelhub.annotations.volume.wkw_reader import WkwError, mag_dtype, read_mag
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput
from voxelhub.settings import Settings
from voxelhub.storage.archives import ArchiveError, ByteBudget, read_member

MAX_CHUNK_VOXELS = 256**3
ARCHIVE_LAYER = "volumeAnnotationData"
_CHUNK_KEY = re.compile(r"^c[./](\d{1,9})[./](\d{1,9})[./](\d{1,9})(?:[./](\d{1,9}))?$")
_MAG_NAME = re.compile(r"^(\d{1,5})(?:-(\d{1,5})-(\d{1,5}))?$")
_UNSAFE_LAYER_CHARS = re.compile(r"[^A-Za-z0-9_.\-]+")


# ---- reading archives ---------------------------------------------------------------------------------------


def parse_mag(name: str) -> list[int]:
    """`1` -> [1, 1, 1], `2-2-1` -> [2, 2, 1]."""
    match = _MAG_NAME.match(name)
    if not match:
        raise VolumeArchiveError(f"{name!r} is not a mag folder name")
    x, y, z = match.groups()
    mag = [int(x)] * 3 if y is None else [int(x), int(y), int(z)]
    if min(mag) < 1:
        raise VolumeArchiveError(f"mag {name!r} has a zero factor")
    return mag


@dataclass
class Block:
    offset: tuple[int, int, int]  # voxels of its mag
    voxels: np.ndarray  # x, y, z


@dataclass(frozen=True)
class Zarr3Mag:
    layout: ChunkLayout
    shape: tuple[int, ...]


@contextmanager
def archive_errors(label: str) -> Iterator[None]:
    """Whatever a volume archive does wrong, as a 400 naming it (and, inside it, the member)."""
    try:
        yield
    except (VolumeArchiveError, WkwError, ChunkError) as exc:
        raise BadInput(f"volume data {label}: {exc}") from None
    except (struct.error, zlib.error, KeyError, IndexError) as exc:  # whatever else a hostile file provokes
        raise BadInput(f"volume data {label}: cannot be read ({type(exc).__name__}: {exc})") from None
    except ArchiveError as exc:
        raise BadInput(f"volume data {label}: {exc.message}") from None


class DecodedArchive:
    """One `data_<layer>.zip` on disk: its voxel type, mags, and the blocks of each mag. Every member read and
    every chunk decoded counts against `budget` (the upload's); chunks decode into at most their own size."""

    def __init__(self, path: Path, budget: ByteBudget | None = None, label: str = "") -> None:
        self.path, self.label = path, label
        self.budget = budget or default_budget()
        with archive_errors(label):
            self.info: VolumeArchiveInfo = inspect_volume_archive(path, self.budget)
            if self.info.format == "wkw" and not self.info.mags:
                raise VolumeArchiveError("WKW files without the header.wkw of their mag")
            self.mags = {m.mag: parse_mag(m.mag) for m in self.info.mags}
            self._zarr3: dict[str, Zarr3Mag] = {}
            if self.info.format == "zarr3":
                with open_archive(path, self.budget) as zf:
                    self._zarr3 = {m.mag: self._zarr3_mag(zf, m.path) for m in self.info.mags}

    def _zarr3_mag(self, zf: zipfile.ZipFile, folder: str) -> Zarr3Mag:
        name = f"{folder}/zarr.json"
        meta = read_json(zf, name, self.budget)
        layout = chunk_layout(meta, name)
        shape = meta.get("shape")
        if not isinstance(shape, list) or not all(isinstance(v, int) and v >= 0 for v in shape):
            raise VolumeArchiveError(f"{name}: shape must be non-negative integers")
        if (
            len(shape) != len(layout.chunk_shape)
            or len(shape) not in (3, 4)
            or (len(shape) == 4 and (shape[0] != 1 or layout.chunk_shape[0] != 1))
        ):
            raise VolumeArchiveError(f"{name}: shape {shape}, not (1, x, y, z)")
        if int(np.prod(layout.chunk_shape)) > MAX_CHUNK_VOXELS:
            raise VolumeArchiveError(f"{name}: chunks of {layout.chunk_shape} voxels")
        return Zarr3Mag(layout=layout, shape=tuple(shape))

    @property
    def dtype(self) -> np.dtype | None:
        if self._zarr3:
            return np.dtype(next(iter(self._zarr3.values())).layout.dtype.name)
        with archive_errors(self.label), open_archive(self.path, self.budget) as zf:
            for m in self.info.mags:
                found = mag_dtype(zf, m.path, self.budget)
                if found is not None:
                    return found
        return None

    @property
    def bounding_box(self) -> dict[str, Any] | None:
        layers = (self.info.datasource or {}).get("dataLayers") or []
        box = layers[0].get("boundingBox") if layers and isinstance(layers[0], dict) else None
        return box if _is_box(box) else None

    def _chunks(self, names: list[str], folder: str, ndim: int) -> Iterator[tuple[str, tuple[int, int, int]]]:
        for name in names:
            if not name.startswith(folder + "/"):
                continue
            match = _CHUNK_KEY.match(name[len(folder) + 1 :])
            if not match:
                continue
            parts = [int(v) for v in match.groups() if v is not None]
            if len(parts) != ndim or (ndim == 4 and parts[0] != 0):
                continue
            yield name, (parts[-3], parts[-2], parts[-1])

    def blocks(self, mag_name: str) -> Iterator[Block]:
        folder = next(m.path for m in self.info.mags if m.mag == mag_name)
        with archive_errors(self.label), open_archive(self.path, self.budget) as zf:
            if self.info.format == "wkw":
                for block in read_mag(zf, folder, self.budget):
                    yield Block(block.offset, block.voxels)
                return
            yield from self._zarr3_blocks(zf, folder, self._zarr3[mag_name])

    def _zarr3_blocks(self, zf: zipfile.ZipFile, folder: str, mag: Zarr3Mag) -> Iterator[Block]:
        size = mag.layout.chunk_shape[-3:]
        stored_cap = mag.layout.chunk_bytes + STORED_OVERHEAD  # a stored chunk larger than this is no chunk
        for name, index in self._chunks(zf.namelist(), folder, len(mag.shape)):
            start = [i * s for i, s in zip(index, size, strict=True)]
            stop = [min(a + s, dim) for a, s, dim in zip(start, size, mag.shape[-3:], strict=True)]
            if any(a >= b for a, b in zip(start, stop, strict=True)):
                continue
            self.budget.spend(mag.layout.chunk_bytes, name)
            voxels = decode_chunk(read_member(zf, name, self.budget, max_bytes=stored_cap), mag.layout, name)
            voxels = voxels.reshape(voxels.shape[-3:])
            crop = tuple(slice(0, b - a) for a, b in zip(start, stop, strict=True))
            yield Block((start[0], start[1], start[2]), np.ascontiguousarray(voxels[crop]))


def _is_box(box: Any) -> bool:
    return (
        isinstance(box, dict)
        and isinstance(box.get("topLeft"), list)
        and len(box["topLeft"]) == 3
        and all(isinstance(box.get(k), int) and box[k] > 0 for k in ("width", "height", "depth"))
        and all(isinstance(v, int) and v >= 0 for v in box["topLeft"])
    )


# ---- upload ------------------------------------------------------------------------------------------------


def layer_name_for(volume: VolumeLayer, taken: set[str]) -> str:
    """A valid, unused voxelhub layer name for an NML `<volume>` (its name made safe, else `Volume_<id>`)."""
    base = _UNSAFE_LAYER_CHARS.sub("_", volume.name or "").strip("_.-")[:90] or f"Volume_{volume.id}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def import_layers(
    *,
    session: Session,
    settings: Settings,
    annotation: Annotation,
    dataset: Dataset,
    skeleton: Skeleton,
    archives: dict[int, Path],
    budget: ByteBudget | None = None,
    labels: dict[int, str] | None = None,
) -> None:
    """One volume layer per `<volume>` with data in the upload (`archives`: volume id -> archive on disk;
    `labels`: volume id -> the archive's name in the upload, for messages). Every layer gets only mags the
    dataset has and covers the dataset's box; `budget` bounds what all archives together may decode."""
    budget = budget or default_budget()
    with_data = [v for v in skeleton.volumes if v.id in archives]
    if len(with_data) > settings.annotation_max_volume_layers:  # also when the caller did not count them
        raise BadInput(
            f"the annotation brings {len(with_data)} volume layers; at most "
            f"{settings.annotation_max_volume_layers} are allowed"
        )
    taken = {layer["name"] for layer in annotation.volume_layers}
    for volume in skeleton.volumes:
        path = archives.get(volume.id)
        if path is None:
            continue
        archive = DecodedArchive(path, budget, (labels or {}).get(volume.id, path.name))
        layer = _import_one(session, settings, annotation, dataset, volume, archive, taken)
        taken.add(layer["name"])
        annotation.volume_layers = [*annotation.volume_layers, layer]
    flag_modified(annotation, "volume_layers")


def _reference(dataset: Dataset) -> dict[str, Any] | None:
    layers = dataset.data_source.get("dataLayers") or []
    return next((l for l in layers if l.get("category") == "segmentation"), layers[0] if layers else None)  # noqa: E741


def _mag_sources(dataset: Dataset, volume: VolumeLayer) -> list[dict[str, Any]]:
    """The dataset layers whose mags and box an imported volume layer may have: its fallback layer when the
    dataset has it, else every layer of the dataset (a viewer shows the volume over any of them)."""
    layers = [layer for layer in dataset.data_source.get("dataLayers") or [] if isinstance(layer, dict)]
    fallback = [layer for layer in layers if layer.get("name") == volume.fallback_layer]
    return fallback or layers


def dataset_mags(sources: list[dict[str, Any]]) -> list[list[int]]:
    found = {tuple(m["mag"]) for layer in sources for m in layer.get("mags") or ()}
    return [list(m) for m in sorted(found, key=lambda m: (m[0] * m[1] * m[2], m))]


def _dataset_box(sources: list[dict[str, Any]]) -> dict[str, Any] | None:
    boxes = [layer["boundingBox"] for layer in sources if _is_box(layer.get("boundingBox"))]
    if not boxes:
        return None
    low = [min(b["topLeft"][i] for b in boxes) for i in range(3)]
    high = [max(b["topLeft"][i] + b[k] for b in boxes) for i, k in enumerate(("width", "height", "depth"))]
    return {"topLeft": low, "width": high[0] - low[0], "height": high[1] - low[1], "depth": high[2] - low[2]}


def _checked_mags(archive: DecodedArchive, allowed: list[list[int]], what: str) -> list[list[int]]:
    """The archive's mags, each one the dataset has (a mag it lacks would make every paint build a huge
    block: a 16× mag is a (32·16)³ block per bucket)."""
    if len({tuple(m) for m in archive.mags.values()}) != len(archive.mags):
        raise BadInput(
            f"volume {what}: the archive holds one mag under two names ({', '.join(archive.mags)})"
        )
    for name, mag in archive.mags.items():
        if mag not in allowed:
            have = ", ".join(volume_layers.mag_key(m) for m in allowed) or "none"
            raise BadInput(f"volume {what}: mag {name} is not a mag of the dataset (it has {have})")
    return list(archive.mags.values()) or allowed


def _import_one(
    session: Session,
    settings: Settings,
    annotation: Annotation,
    dataset: Dataset,
    volume: VolumeLayer,
    archive: DecodedArchive,
    taken: set[str],
) -> dict[str, Any]:
    what = volume.name or str(volume.id)
    reference = _reference(dataset)
    declared = (reference or {}).get("elementClass")
    dtype = archive.dtype or np.dtype(declared if declared in volume_layers.ELEMENT_CLASSES else "uint32")
    if dtype.name not in volume_layers.ELEMENT_CLASSES:
        raise BadInput(f"volume {what}: voxel type {dtype.name} is not a segmentation type")
    sources = _mag_sources(dataset, volume)
    box = _dataset_box(sources)
    if box is None:
        raise BadInput(f"volume {what}: no bounding box (the dataset has no layers)")
    mags = _checked_mags(archive, dataset_mags(sources), what)
    layer = volume_layers.new_layer(
        session,
        annotation_id=annotation.id,
        name=layer_name_for(volume, taken),
        bounding_box=box,
        mags=mags,
        element_class=dtype.name,
        fallback_layer=volume.fallback_layer,
        largest_segment_id=volume.largest_segment_id or 0,
        segments=[segment_to_json(s) for s in volume.segments],
    )
    layer["largestSegmentId"] = volume.largest_segment_id
    layer["nml"] = {
        "id": volume.id,
        "name": volume.name,
        "groups": _groups_json(volume),
        "extra": list(volume.extra),
    }
    for mag_name, mag in archive.mags.items():
        _copy_blocks(session, settings, layer, mag, archive, mag_name, annotation.version)
    return layer


def _groups_json(volume: VolumeLayer) -> list[dict[str, Any]]:

    return [group_to_json(g) for g in volume.groups]


def _copy_blocks(
    session: Session,
    settings: Settings,
    layer: dict[str, Any],
    mag: list[int],
    archive: DecodedArchive,
    mag_name: str,
    version: int,
) -> None:
    """Write every block of one mag into the layer (as its buckets at `version`); a block beyond the dataset's
    box (the layer's extent) at that mag is refused, one that overlaps its edge is cut to it."""
    shape = volume_layers.mag_shape(layer, mag)
    dtype = np.dtype(layer["elementClass"])
    buckets: dict[tuple[int, int, int], np.ndarray] = {}
    for block in archive.blocks(mag_name):
        if block.voxels.dtype.name != dtype.name:  # mags of one layer hold one voxel type
            raise BadInput(
                f"volume data {archive.label}: mag {mag_name} holds {block.voxels.dtype.name}, "
                f"the layer {dtype.name}"
            )
        start = block.offset
        stop = [min(a + s, dim) for a, s, dim in zip(start, block.voxels.shape, shape, strict=True)]
        if any(a >= b for a, b in zip(start, stop, strict=True)):
            raise BadInput(
                f"volume data {archive.label}: a block of mag {mag_name} at {list(start)} lies "
                f"outside the dataset"
            )
        _into_buckets(buckets, block.voxels, start, stop)
    volume_layers.write_buckets(session, settings, layer, mag, buckets, version)


def _into_buckets(
    buckets: dict[tuple[int, int, int], np.ndarray],
    voxels: np.ndarray,
    start: Sequence[int],
    stop: Sequence[int],
) -> None:
    """Spread the part [start, stop) of a block (whose first voxel is at `start`) over the 32³ buckets it covers."""
    size = volume_layers.BUCKET
    ranges = [range(a // size, -(-b // size)) for a, b in zip(start, stop, strict=True)]
    for bucket in itertools.product(*ranges):
        low = [max(a, b * size) for a, b in zip(start, bucket, strict=True)]
        high = [min(e, (b + 1) * size) for e, b in zip(stop, bucket, strict=True)]
        target = buckets.setdefault(bucket, np.zeros((size,) * 3, dtype=voxels.dtype))  # type: ignore[arg-type]
        target[
            tuple(slice(lo - b * size, hi - b * size) for lo, hi, b in zip(low, high, bucket, strict=True))
        ] = voxels[tuple(slice(lo - a, hi - a) for lo, hi, a in zip(low, high, start, strict=True))]


def remove_layer_files(settings: Settings, annotation_id: str) -> None:
    """What an import wrote before it failed (the annotation's own volume folder or prefix: its chunk objects
    all have keys below it, and no other annotation can refer to them yet)."""
    volume_layers.volumes_location(settings).remove(annotation_id)


# ---- download ----------------------------------------------------------------------------------------------


def volume_descriptors(annotation: Annotation, skeleton: Skeleton) -> tuple[VolumeLayer, ...]:
    """The `<volume>` elements of the download: one per volume layer (segments as the layer has them now),
    then the NML's own descriptors that have no layer (their data never reached voxelhub)."""

    used: set[int] = set()
    out: list[VolumeLayer] = []
    next_id = max([v.id for v in skeleton.volumes] + [-1]) + 1
    for layer in annotation.volume_layers:
        nml = layer.get("nml") or {}
        volume_id = nml.get("id")
        if volume_id is None or volume_id in used:
            volume_id, next_id = next_id, next_id + 1
        used.add(volume_id)
        out.append(
            VolumeLayer(
                id=volume_id,
                name=nml["name"] if "name" in nml else layer["name"],
                format="zarr3",
                fallback_layer=layer.get("fallbackLayer"),
                largest_segment_id=layer.get("largestSegmentId"),
                segments=tuple(segment_from_json(s) for s in layer.get("segments") or ()),
                groups=tuple(group_from_json(g) for g in nml.get("groups") or ()),
                extra=tuple(tuple(kv) for kv in nml.get("extra") or ()),
            )
        )
    out += [replace(v, location=None) for v in skeleton.volumes if v.id not in used]
    return tuple(out)


def write_layer_archive(
    session: Session, settings: Settings, layer: dict[str, Any], out: Path, scale: Any, version: int
) -> None:
    """The layer at `version` as a webKnossos zarr3 volume archive at `out`: only stored buckets, blosc/lz4
    like webKnossos."""
    from zarr.codecs import BloscCodec

    with tempfile.TemporaryDirectory(prefix="voxelhub-volume-") as tmp:
        root = Path(tmp)
        store = zarr.storage.LocalStore(root)
        dtype = np.dtype(layer["elementClass"])
        for mag in layer["mags"]:
            shape = volume_layers.mag_shape(layer, mag)
            array = zarr.create_array(
                store,
                name=f"{ARCHIVE_LAYER}/{volume_layers.mag_key(mag)}",
                shape=(1, *shape),
                chunks=(1, volume_layers.BUCKET, volume_layers.BUCKET, volume_layers.BUCKET),
                dtype=dtype,
                fill_value=0,
                dimension_names=["c", "x", "y", "z"],
                chunk_key_encoding={"name": "default", "separator": "."},
                compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
            ).with_config({"write_empty_chunks": True})
            for bucket, voxels in _layer_buckets(session, settings, layer, mag, version):
                start = [b * volume_layers.BUCKET for b in bucket]
                stop = [min(a + volume_layers.BUCKET, dim) for a, dim in zip(start, shape, strict=True)]
                if any(a >= b for a, b in zip(start, stop, strict=True)):
                    continue
                region = tuple(slice(a, b) for a, b in zip(start, stop, strict=True))
                index: tuple[int | slice, ...] = (0, *region)
                array[index] = voxels[tuple(slice(0, b - a) for a, b in zip(start, stop, strict=True))]
        (root / "datasource-properties.json").write_text(json.dumps(_datasource(layer, scale), indent=2))
        _zip_folder(root, out)


def _layer_buckets(
    session: Session, settings: Settings, layer: dict[str, Any], mag: list[int], version: int
) -> Iterator[tuple[tuple[int, int, int], np.ndarray]]:
    """Every stored bucket of one mag at `version` with its voxels, read 256 at a time."""
    positions = volume_layers.stored_buckets(session, settings, layer, mag, version)
    for start in range(0, len(positions), 256):
        batch = positions[start : start + 256]
        for bucket, voxels in zip(
            batch, volume_layers.read_buckets(session, settings, layer, mag, batch, version), strict=True
        ):
            if voxels is not None:
                yield bucket, voxels


def _datasource(layer: dict[str, Any], scale: Any) -> dict[str, Any]:
    axis_order = {"x": 1, "y": 2, "z": 3, "c": 0}
    return {
        "id": {"name": "", "team": ""},
        "dataLayers": [
            {
                "name": ARCHIVE_LAYER,
                "category": "segmentation",
                "boundingBox": layer["boundingBox"],
                "elementClass": layer["elementClass"],
                "largestSegmentId": layer.get("largestSegmentId"),
                "mags": [{"mag": list(m), "axisOrder": axis_order} for m in layer["mags"]],
                "numChannels": 1,
                "dataFormat": "zarr3",
            }
        ],
        "scale": scale,
    }


def _zip_folder(root: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
