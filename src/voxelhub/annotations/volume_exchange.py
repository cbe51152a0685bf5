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

import json
import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import zarr
from sqlalchemy.orm.attributes import flag_modified
from zarr.core.sync import sync

from voxelhub.annotations import volumes
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.skeleton import Skeleton, VolumeLayer
from voxelhub.annotations.small_parts import segment_from_json, segment_to_json
from voxelhub.annotations.volume_archive import (
    VolumeArchiveError,
    VolumeArchiveInfo,
    inspect_volume_archive,
    open_zarr3_mags,
)
from voxelhub.annotations.wkw_archive import WkwError, mag_dtype, mag_files, parse_header, read_mag
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput
from voxelhub.settings import Settings

MAX_CHUNK_VOXELS = 256**3
MAX_WKW_FILE_BYTES = 1 << 30
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


class DecodedArchive:
    """One `data_<layer>.zip` on disk: its voxel type, mags, extent, and the blocks of each mag."""

    def __init__(self, path: Path) -> None:
        self.path = path
        try:
            self.info: VolumeArchiveInfo = inspect_volume_archive(path)
        except VolumeArchiveError as exc:
            raise BadInput(f"volume data: {exc}") from None
        if self.info.format == "wkw" and not self.info.mags:
            raise BadInput("volume data: WKW files without the header.wkw of their mag")
        try:
            self.mags = {m.mag: parse_mag(m.mag) for m in self.info.mags}
        except VolumeArchiveError as exc:
            raise BadInput(f"volume data: {exc}") from None
        self._arrays: dict[str, Any] = {}
        if self.info.format == "zarr3":
            self._arrays = open_zarr3_mags(path)
            for name, array in self._arrays.items():
                if array.ndim not in (3, 4) or (array.ndim == 4 and array.shape[0] != 1):
                    raise BadInput(f"volume data: mag {name} has shape {array.shape}, not (1, x, y, z)")
                if int(np.prod(array.chunks)) > MAX_CHUNK_VOXELS:
                    raise BadInput(f"volume data: mag {name} has chunks of {array.chunks} voxels")

    @property
    def dtype(self) -> np.dtype | None:
        if self._arrays:
            return next(iter(self._arrays.values())).dtype
        with zipfile.ZipFile(self.path) as zf:
            for m in self.info.mags:
                found = mag_dtype(zf, m.path)
                if found is not None:
                    return found
        return None

    @property
    def bounding_box(self) -> dict[str, Any] | None:
        layers = (self.info.datasource or {}).get("dataLayers") or []
        box = layers[0].get("boundingBox") if layers and isinstance(layers[0], dict) else None
        return box if _is_box(box) else None

    def _chunks(self, folder: str, array: Any) -> Iterator[tuple[int, int, int]]:
        with zipfile.ZipFile(self.path) as zf:
            names = zf.namelist()
        for name in names:
            if not name.startswith(folder + "/"):
                continue
            match = _CHUNK_KEY.match(name[len(folder) + 1:])
            if not match:
                continue
            parts = [int(v) for v in match.groups() if v is not None]
            if len(parts) != array.ndim:
                continue
            yield parts[-3], parts[-2], parts[-1]

    def extent(self) -> tuple[list[int], list[int]] | None:
        """The smallest box (mag-1 voxels) holding every stored block of every mag, from file names only."""
        lows, highs = [], []
        with zipfile.ZipFile(self.path) as zf:
            names = zf.namelist()
            for m in self.info.mags:
                mag = self.mags[m.mag]
                for index, size in self._block_indices(zf, names, m.path, m.mag):
                    lows.append([i * s * f for i, s, f in zip(index, size, mag, strict=True)])
                    highs.append([(i + 1) * s * f for i, s, f in zip(index, size, mag, strict=True)])
        if not lows:
            return None
        return np.min(lows, axis=0).tolist(), np.max(highs, axis=0).tolist()

    def _block_indices(self, zf: zipfile.ZipFile, names: list[str], folder: str,
                       mag_name: str) -> Iterator[tuple[tuple[int, int, int], tuple[int, int, int]]]:
        if self.info.format == "zarr3":
            array = self._arrays[mag_name]
            size = tuple(array.chunks[-3:])
            for index in self._chunks(folder, array):
                yield index, size  # type: ignore[misc]
            return
        files = mag_files(names, folder)
        if not files:
            return
        with zf.open(files[0][0]) as first:
            header = parse_header(first.read(16), files[0][0])
        span = header.block_len * header.file_len
        for _, position in files:
            yield position, (span, span, span)

    def blocks(self, mag_name: str) -> Iterator[Block]:
        folder = next(m.path for m in self.info.mags if m.mag == mag_name)
        if self.info.format == "wkw":
            with zipfile.ZipFile(self.path) as zf:
                for block in read_mag(zf, folder, max_file_bytes=MAX_WKW_FILE_BYTES):
                    yield Block(block.offset, block.voxels)
            return
        array = self._arrays[mag_name]
        size = array.chunks[-3:]
        for index in self._chunks(folder, array):
            start = [i * s for i, s in zip(index, size, strict=True)]
            stop = [min(a + s, dim) for a, s, dim in zip(start, size, array.shape[-3:], strict=True)]
            if any(a >= b for a, b in zip(start, stop, strict=True)):
                continue
            region = tuple(slice(a, b) for a, b in zip(start, stop, strict=True))
            voxels = array[(0, *region)] if array.ndim == 4 else array[region]
            yield Block((start[0], start[1], start[2]), np.asarray(voxels))


def _is_box(box: Any) -> bool:
    return (isinstance(box, dict) and isinstance(box.get("topLeft"), list) and len(box["topLeft"]) == 3
            and all(isinstance(box.get(k), int) and box[k] > 0 for k in ("width", "height", "depth"))
            and all(isinstance(v, int) and v >= 0 for v in box["topLeft"]))


def _union(box: dict[str, Any], extent: tuple[list[int], list[int]] | None) -> dict[str, Any]:
    low = list(box["topLeft"])
    high = [low[0] + box["width"], low[1] + box["height"], low[2] + box["depth"]]
    if extent is not None:
        low = [min(a, b) for a, b in zip(low, extent[0], strict=True)]
        high = [max(a, b) for a, b in zip(high, extent[1], strict=True)]
    return {"topLeft": low, "width": high[0] - low[0], "height": high[1] - low[1], "depth": high[2] - low[2]}


# ---- upload ------------------------------------------------------------------------------------------------

def layer_name_for(volume: VolumeLayer, taken: set[str]) -> str:
    """A valid, unused voxelhub layer name for an NML `<volume>` (its name made safe, else `Volume_<id>`)."""
    base = _UNSAFE_LAYER_CHARS.sub("_", volume.name or "").strip("_.-")[:90] or f"Volume_{volume.id}"
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    return name


def import_layers(*, settings: Settings, annotation: Annotation, dataset: Dataset, skeleton: Skeleton,
                  archives: dict[int, Path]) -> None:
    """One volume layer per `<volume>` with data in the upload (`archives`: volume id -> archive on disk)."""
    taken = {layer["name"] for layer in annotation.volume_layers}
    for volume in skeleton.volumes:
        path = archives.get(volume.id)
        if path is None:
            continue
        layer = _import_one(settings, annotation, dataset, volume, DecodedArchive(path), taken)
        taken.add(layer["name"])
        annotation.volume_layers = [*annotation.volume_layers, layer]
    flag_modified(annotation, "volume_layers")


def _reference(dataset: Dataset) -> dict[str, Any] | None:
    layers = dataset.data_source.get("dataLayers") or []
    return next((l for l in layers if l.get("category") == "segmentation"), layers[0] if layers else None)  # noqa: E741


def _import_one(settings: Settings, annotation: Annotation, dataset: Dataset, volume: VolumeLayer,
                archive: DecodedArchive, taken: set[str]) -> dict[str, Any]:
    reference = _reference(dataset)
    declared = (reference or {}).get("elementClass")
    dtype = archive.dtype or np.dtype(declared if declared in volumes.ELEMENT_CLASSES else "uint32")
    if dtype.name not in volumes.ELEMENT_CLASSES:
        raise BadInput(f"volume {volume.name or volume.id}: voxel type {dtype.name} is not a segmentation type")
    base_box = archive.bounding_box or (reference or {}).get("boundingBox")
    try:
        extent = archive.extent()
    except WkwError as exc:
        raise BadInput(f"volume data: {exc}") from None
    if base_box is None and extent is None:
        raise BadInput(f"volume {volume.name or volume.id}: no bounding box (the dataset has no layers)")
    box = _union(base_box, extent) if base_box else _union(
        {"topLeft": extent[0], "width": 1, "height": 1, "depth": 1}, extent)  # type: ignore[index]
    mags = list(archive.mags.values()) or [m["mag"] for m in (reference or {}).get("mags", [{"mag": [1, 1, 1]}])]
    layer = volumes.new_layer(
        settings, annotation_id=annotation.id, name=layer_name_for(volume, taken), bounding_box=box, mags=mags,
        element_class=dtype.name, fallback_layer=volume.fallback_layer,
        largest_segment_id=volume.largest_segment_id or 0,
        segments=[segment_to_json(s) for s in volume.segments],
    )
    layer["largestSegmentId"] = volume.largest_segment_id
    layer["nml"] = {"id": volume.id, "name": volume.name, "groups": _groups_json(volume), "extra": list(volume.extra)}
    for mag_name, mag in archive.mags.items():
        _copy_blocks(settings, layer, mag, archive, mag_name)
    return layer


def _groups_json(volume: VolumeLayer) -> list[dict[str, Any]]:
    from voxelhub.annotations.small_parts import group_to_json

    return [group_to_json(g) for g in volume.groups]


def _copy_blocks(settings: Settings, layer: dict[str, Any], mag: list[int], archive: DecodedArchive,
                 mag_name: str) -> None:
    target = volumes.open_mag(settings, layer, mag, writable=True)
    try:
        for block in archive.blocks(mag_name):
            start = block.offset
            stop = [min(a + s, dim) for a, s, dim in zip(start, block.voxels.shape, target.shape, strict=True)]
            if any(a >= b for a, b in zip(start, stop, strict=True)):
                raise BadInput(f"volume data: a block of mag {mag_name} lies outside the layer")
            region = tuple(slice(a, b) for a, b in zip(start, stop, strict=True))
            target[region] = block.voxels[tuple(slice(0, b - a) for a, b in zip(start, stop, strict=True))]
    except WkwError as exc:
        raise BadInput(f"volume data: {exc}") from None


def remove_layer_files(settings: Settings, annotation_id: str) -> None:
    """What an import wrote before it failed (the annotation's own volume folder or prefix)."""
    volumes.volumes_location(settings).remove(annotation_id)


# ---- download ----------------------------------------------------------------------------------------------

def volume_descriptors(annotation: Annotation, skeleton: Skeleton) -> tuple[VolumeLayer, ...]:
    """The `<volume>` elements of the download: one per volume layer (segments as the layer has them now),
    then the NML's own descriptors that have no layer (their data never reached voxelhub)."""
    from voxelhub.annotations.small_parts import group_from_json

    used: set[int] = set()
    out: list[VolumeLayer] = []
    next_id = max([v.id for v in skeleton.volumes] + [-1]) + 1
    for layer in annotation.volume_layers:
        nml = layer.get("nml") or {}
        volume_id = nml.get("id")
        if volume_id is None or volume_id in used:
            volume_id, next_id = next_id, next_id + 1
        used.add(volume_id)
        out.append(VolumeLayer(
            id=volume_id, name=nml["name"] if "name" in nml else layer["name"], format="zarr3",
            fallback_layer=layer.get("fallbackLayer"), largest_segment_id=layer.get("largestSegmentId"),
            segments=tuple(segment_from_json(s) for s in layer.get("segments") or ()),
            groups=tuple(group_from_json(g) for g in nml.get("groups") or ()),
            extra=tuple(tuple(kv) for kv in nml.get("extra") or ()),
        ))
    out += [replace(v, location=None) for v in skeleton.volumes if v.id not in used]
    return tuple(out)


def write_layer_archive(settings: Settings, layer: dict[str, Any], out: Path, scale: Any) -> None:
    """The layer as a webKnossos zarr3 volume archive at `out`: only stored buckets, blosc/lz4 like webKnossos."""
    from zarr.codecs import BloscCodec

    with tempfile.TemporaryDirectory(prefix="voxelhub-volume-") as tmp:
        root = Path(tmp)
        store = zarr.storage.LocalStore(root)
        dtype = np.dtype(layer["elementClass"])
        for mag in layer["mags"]:
            source = volumes.open_mag(settings, layer, mag)
            array = zarr.create_array(
                store, name=f"{ARCHIVE_LAYER}/{volumes.mag_key(mag)}", shape=(1, *source.shape),
                chunks=(1, volumes.BUCKET, volumes.BUCKET, volumes.BUCKET), dtype=dtype, fill_value=0,
                dimension_names=["c", "x", "y", "z"], chunk_key_encoding={"name": "default", "separator": "."},
                compressors=BloscCodec(cname="lz4", clevel=5, shuffle="shuffle"),
            ).with_config({"write_empty_chunks": True})
            for bucket in _stored_buckets(settings, layer, mag):
                voxels = volumes.read_bucket(settings, layer, mag, bucket)
                start = [b * volumes.BUCKET for b in bucket]
                stop = [min(a + volumes.BUCKET, dim) for a, dim in zip(start, source.shape, strict=True)]
                region = tuple(slice(a, b) for a, b in zip(start, stop, strict=True))
                array[(0, *region)] = voxels[tuple(slice(0, b - a) for a, b in zip(start, stop, strict=True))]
        (root / "datasource-properties.json").write_text(json.dumps(_datasource(layer, scale), indent=2))
        _zip_folder(root, out)


def _stored_buckets(settings: Settings, layer: dict[str, Any], mag: list[int]) -> list[tuple[int, int, int]]:
    store = volumes.layer_store(settings, layer)
    prefix = f"{volumes.mag_key(mag)}/c/"

    async def collect() -> list[str]:
        return [key async for key in store.list_prefix(prefix)]

    found = set()
    for key in sync(collect()):
        parts = key[len(prefix):].split("/")
        if len(parts) == 3 and all(p.isdigit() for p in parts):
            found.add((int(parts[0]), int(parts[1]), int(parts[2])))
    return sorted(found)


def _datasource(layer: dict[str, Any], scale: Any) -> dict[str, Any]:
    axis_order = {"x": 1, "y": 2, "z": 3, "c": 0}
    return {
        "id": {"name": "", "team": ""},
        "dataLayers": [{
            "name": ARCHIVE_LAYER, "category": "segmentation", "boundingBox": layer["boundingBox"],
            "elementClass": layer["elementClass"], "largestSegmentId": layer.get("largestSegmentId"),
            "mags": [{"mag": list(m), "axisOrder": axis_order} for m in layer["mags"]],
            "numChannels": 1, "dataFormat": "zarr3",
        }],
        "scale": scale,
    }


def _zip_folder(root: Path, out: Path) -> None:
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as zf:
        for path in sorted(root.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(root).as_posix())
