"""What a dataset folder holds: layers, magnifications, voxel size — as plain dataclasses.

`scan_dataset(location)` reads either the webKnossos layout (`datasource-properties.json`) or OME-Zarr
(NGFF 0.4 / 0.5) and opens every magnification's zarr array once to check it really is there and matches
the metadata. The result renders to the webKnossos `dataSource` JSON (`to_wk_json`), which the database
stores; `DataSource.from_wk_json` rebuilds it per request without touching storage.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from voxelhub.caches import NO_CACHE
from voxelhub.storage import ArrayCache, InvalidKey, Location, normalize_relative_path, open_array

Vec3 = tuple[int, int, int]

PROPERTIES_FILE = "datasource-properties.json"
CATEGORIES = ("color", "segmentation")
DATA_FORMATS = ("zarr", "zarr3")

# elementClass -> (numpy dtype, channels per voxel)
ELEMENT_CLASSES: dict[str, tuple[str, int]] = {
    "uint8": ("uint8", 1),
    "uint16": ("uint16", 1),
    "uint24": ("uint8", 3),
    "uint32": ("uint32", 1),
    "uint64": ("uint64", 1),
    "int8": ("int8", 1),
    "int16": ("int16", 1),
    "int32": ("int32", 1),
    "int64": ("int64", 1),
    "float": ("float32", 1),
    "double": ("float64", 1),
}


class DatasetFormatError(ValueError):
    """A dataset folder that cannot be read; `path` is the offending file (relative key), `problem` why."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path
        self.problem = problem


@dataclass(frozen=True)
class VoxelSize:
    """Physical size of one mag-1 voxel along x, y, z."""

    factor: tuple[float, float, float]
    unit: str = "nanometer"


@dataclass(frozen=True)
class BoundingBox:
    """Extent of a layer in mag-1 voxels."""

    top_left: Vec3
    size: Vec3

    @property
    def end(self) -> Vec3:
        return (
            self.top_left[0] + self.size[0],
            self.top_left[1] + self.size[1],
            self.top_left[2] + self.size[2],
        )


@dataclass(frozen=True)
class MagInfo:
    """One magnification: its array's key below the dataset root and what each array axis means.

    `axes` names every array dimension in storage order: 'c' (channel), 'x', 'y', 'z', or any other
    name (e.g. 't'), which is read at index 0. webKnossos arrays are ('c','x','y','z'); OME-Zarr arrays
    usually (..., 'z', 'y', 'x').
    """

    mag: Vec3
    path: str
    axes: tuple[str, ...]
    zarr_format: int = 3

    @property
    def literal(self) -> str:
        """webKnossos' name for the mag: '2' when isotropic, '2-2-1' otherwise."""
        return mag_literal(self.mag)


@dataclass(frozen=True)
class Layer:
    name: str
    category: str  # "color" | "segmentation"
    element_class: str
    bounding_box: BoundingBox
    mags: tuple[MagInfo, ...]
    data_format: str = "zarr3"
    largest_segment_id: int | None = None

    @property
    def dtype(self) -> np.dtype[Any]:
        return np.dtype(ELEMENT_CLASSES[self.element_class][0])

    @property
    def num_channels(self) -> int:
        return ELEMENT_CLASSES[self.element_class][1]

    def find_mag(self, mag: Vec3) -> MagInfo | None:
        return next((m for m in self.mags if m.mag == tuple(mag)), None)


@dataclass(frozen=True)
class DataSource:
    """A scanned dataset. `scale` is None when the metadata has no voxel size (see `notes`)."""

    name: str
    layers: tuple[Layer, ...]
    scale: VoxelSize | None
    team: str = ""
    notes: tuple[str, ...] = field(default=())
    source_format: str = "webknossos"  # "webknossos" | "ome-zarr"

    def layer(self, name: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.name == name), None)

    def to_wk_json(self) -> dict[str, Any]:
        """The webKnossos `dataSource` JSON (also the shape of datasource-properties.json)."""
        return {
            "id": {"name": self.name, "team": self.team},
            "dataLayers": [_layer_to_json(layer) for layer in self.layers],
            "scale": None
            if self.scale is None
            else {"factor": list(self.scale.factor), "unit": self.scale.unit},
            "voxelhub": {"sourceFormat": self.source_format, "notes": list(self.notes)},
        }

    @classmethod
    def from_wk_json(cls, data: dict[str, Any]) -> DataSource:
        """Rebuild from `to_wk_json` output (or a datasource-properties.json) without any I/O."""
        extra = data.get("voxelhub") or {}
        scale = parse_scale(data.get("scale"), PROPERTIES_FILE)
        layers = tuple(parse_wk_layer(raw, PROPERTIES_FILE) for raw in data.get("dataLayers", []))
        ident = data.get("id") or {}
        return cls(
            name=str(ident.get("name", "")),
            team=str(ident.get("team", "")),
            layers=layers,
            scale=scale,
            notes=tuple(extra.get("notes", ())),
            source_format=str(extra.get("sourceFormat", "webknossos")),
        )


def mag_literal(mag: Vec3) -> str:
    return str(mag[0]) if mag[0] == mag[1] == mag[2] else "-".join(str(v) for v in mag)


def _layer_to_json(layer: Layer) -> dict[str, Any]:
    out: dict[str, Any] = {
        "name": layer.name,
        "category": layer.category,
        "elementClass": layer.element_class,
        "boundingBox": {
            "topLeft": list(layer.bounding_box.top_left),
            "width": layer.bounding_box.size[0],
            "height": layer.bounding_box.size[1],
            "depth": layer.bounding_box.size[2],
        },
        "mags": [
            {"mag": list(m.mag), "path": f"./{m.path}", "axisOrder": axis_order_json(m.axes)}
            for m in layer.mags
        ],
        "dataFormat": layer.data_format,
        "numChannels": layer.num_channels,
    }
    if layer.category == "segmentation":
        out["largestSegmentId"] = layer.largest_segment_id
    return out


def axis_order_json(axes: tuple[str, ...]) -> dict[str, int]:
    return {name: index for index, name in enumerate(axes)}


# ---------------------------------------------------------------- parsing JSON pieces


def parse_scale(raw: Any, file: str) -> VoxelSize | None:
    """`{factor, unit}` or legacy `[x, y, z]` (nanometers); None when absent."""
    if raw is None:
        return None
    factor, unit = (
        (raw.get("factor"), raw.get("unit", "nanometer")) if isinstance(raw, dict) else (raw, "nanometer")
    )
    if not isinstance(factor, list | tuple) or len(factor) != 3:
        raise DatasetFormatError(file, f"scale must be [x, y, z] or {{factor, unit}}, got {raw!r}")
    try:
        values = tuple(float(v) for v in factor)
    except (TypeError, ValueError) as exc:
        raise DatasetFormatError(file, f"scale factor is not numeric: {factor!r}") from exc
    if not all(v > 0 for v in values):
        raise DatasetFormatError(file, f"scale factor must be positive: {factor!r}")
    return VoxelSize((values[0], values[1], values[2]), str(unit))


def _vec3(raw: Any, file: str, what: str, *, positive: bool = False) -> Vec3:
    if (
        not isinstance(raw, list | tuple)
        or len(raw) != 3
        or not all(isinstance(v, int | float) and float(v).is_integer() for v in raw)
    ):
        raise DatasetFormatError(file, f"{what} must be three integers, got {raw!r}")
    vec = (int(raw[0]), int(raw[1]), int(raw[2]))
    if positive and min(vec) < 1:
        raise DatasetFormatError(file, f"{what} must be positive, got {raw!r}")
    return vec


def _parse_bbox(raw: Any, file: str, layer: str) -> BoundingBox:
    if not isinstance(raw, dict):
        raise DatasetFormatError(file, f"layer {layer!r}: boundingBox missing")
    top_left = _vec3(raw.get("topLeft"), file, f"layer {layer!r} boundingBox.topLeft")
    size = _vec3(
        [raw.get("width"), raw.get("height"), raw.get("depth")],
        file,
        f"layer {layer!r} boundingBox width/height/depth",
    )
    if min(size) < 0:
        raise DatasetFormatError(file, f"layer {layer!r}: negative bounding box size")
    return BoundingBox(top_left, size)


def _parse_axes(raw: Any, file: str, layer: str) -> tuple[str, ...] | None:
    """`axisOrder` {x: 1, y: 2, z: 3, c: 0} -> axis names in storage order; None when absent."""
    if raw is None:
        return None
    if (
        not isinstance(raw, dict)
        or not {"x", "y", "z"} <= set(raw)
        or not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v < 8 for v in raw.values())
    ):
        raise DatasetFormatError(file, f"layer {layer!r}: axisOrder must map x, y, z to indices, got {raw!r}")
    ndim = max(raw.values()) + 1
    names = ["?"] * ndim
    for name, index in raw.items():
        if not isinstance(index, int) or index < 0 or names[index] != "?":
            raise DatasetFormatError(file, f"layer {layer!r}: bad axisOrder {raw!r}")
        names[index] = str(name)
    if "?" in names:
        raise DatasetFormatError(file, f"layer {layer!r}: axisOrder has gaps {raw!r}")
    return tuple(names)


def parse_wk_layer(raw: Any, file: str) -> Layer:
    """One `dataLayers[]` entry. Mags without `path` get path '' (resolved later by the scanner)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str) or not raw["name"]:
        raise DatasetFormatError(file, f"data layer without a name: {str(raw)[:80]}")
    name = raw["name"]
    try:
        normalize_relative_path(name)
    except InvalidKey as exc:
        raise DatasetFormatError(file, f"layer name {name!r} is not a safe path segment") from exc
    if "/" in name:
        raise DatasetFormatError(file, f"layer name {name!r} must not contain '/'")
    category = raw.get("category")
    if category not in CATEGORIES:
        raise DatasetFormatError(file, f"layer {name!r}: unknown category {category!r}")
    element_class = raw.get("elementClass")
    if not isinstance(element_class, str) or element_class not in ELEMENT_CLASSES:
        raise DatasetFormatError(file, f"layer {name!r}: unknown elementClass {element_class!r}")
    data_format = raw.get("dataFormat", "zarr")
    if data_format not in DATA_FORMATS:
        raise DatasetFormatError(file, f"layer {name!r}: unsupported dataFormat {data_format!r}")
    mags_raw = raw.get("mags") or raw.get("wkwResolutions")
    if not isinstance(mags_raw, list) or not mags_raw:
        raise DatasetFormatError(file, f"layer {name!r}: no mags")
    zarr_format = 3 if data_format == "zarr3" else 2
    mags = tuple(_parse_wk_mag(m, file, name, zarr_format) for m in mags_raw)
    return Layer(
        name=name,
        category=category,
        element_class=element_class,
        bounding_box=_parse_bbox(raw.get("boundingBox"), file, name),
        mags=mags,
        data_format=data_format,
        largest_segment_id=_parse_largest(raw.get("largestSegmentId"), file, name),
    )


def _parse_largest(raw: Any, file: str, layer: str) -> int | None:
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not float(raw).is_integer() or raw < 0:
        raise DatasetFormatError(
            file, f"layer {layer!r}: largestSegmentId must be a non-negative integer, got {raw!r}"
        )
    return int(raw)


def _parse_wk_mag(raw: Any, file: str, layer: str, zarr_format: int) -> MagInfo:
    if not isinstance(raw, dict):
        raise DatasetFormatError(file, f"layer {layer!r}: mag entry must be an object")
    mag_raw = raw.get("mag", raw.get("resolution"))
    mag = _vec3(
        [mag_raw] * 3 if isinstance(mag_raw, int) else mag_raw, file, f"layer {layer!r} mag", positive=True
    )
    path = raw.get("path")
    if path is not None:
        if not isinstance(path, str) or "://" in path:
            raise DatasetFormatError(file, f"layer {layer!r}: mag path {path!r} must be relative")
        try:
            path = normalize_relative_path(path)
        except InvalidKey as exc:
            raise DatasetFormatError(file, f"layer {layer!r}: unsafe mag path {path!r}") from exc
    axes = _parse_axes(raw.get("axisOrder"), file, layer)
    return MagInfo(mag=mag, path=path or "", axes=axes or (), zarr_format=zarr_format)


def read_json(location: Location, key: str) -> Any:
    """Parsed JSON of a file; DatasetFormatError naming the file when missing or not JSON."""
    data = location.read(key)
    if data is None:
        raise DatasetFormatError(key, "file not found")
    try:
        return json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise DatasetFormatError(key, f"not valid JSON ({exc})") from exc


# ---------------------------------------------------------------- scanning


def scan_wk_layout(location: Location) -> DataSource:
    raw = read_json(location, PROPERTIES_FILE)
    if not isinstance(raw, dict) or not isinstance(raw.get("dataLayers"), list) or not raw["dataLayers"]:
        raise DatasetFormatError(PROPERTIES_FILE, "no dataLayers")
    notes: list[str] = []
    scale = parse_scale(raw.get("scale"), PROPERTIES_FILE)
    if scale is None:
        notes.append("no voxel size (scale) in datasource-properties.json; physical size unknown")
    layers = [parse_wk_layer(entry, PROPERTIES_FILE) for entry in raw["dataLayers"]]
    if len({layer.name for layer in layers}) != len(layers):
        raise DatasetFormatError(PROPERTIES_FILE, "duplicate layer names")
    layers = [_verify_wk_layer(location, layer) for layer in layers]
    ident = raw.get("id")
    if not isinstance(ident, dict):
        ident = {}
    return DataSource(
        name=str(ident.get("name") or location.url.rstrip("/").rsplit("/", 1)[-1]),
        team=str(ident.get("team") or ""),
        layers=tuple(layers),
        scale=scale,
        notes=tuple(notes),
        source_format="webknossos",
    )


def _verify_wk_layer(location: Location, layer: Layer) -> Layer:
    mags = tuple(_verify_wk_mag(location, layer, m) for m in layer.mags)
    return replace(layer, mags=mags)


def _mag_path_candidates(layer: Layer, mag: MagInfo) -> list[str]:
    if mag.path:
        return [mag.path]
    x, y, z = mag.mag
    names = [mag_literal(mag.mag), f"{x}-{y}-{z}"]
    return [f"{layer.name}/{n}" for n in dict.fromkeys(names)]


def array_metadata_key(path: str, zarr_format: int) -> str:
    return f"{path}/zarr.json" if zarr_format == 3 else f"{path}/.zarray"


def _verify_wk_mag(location: Location, layer: Layer, mag: MagInfo) -> MagInfo:
    candidates = _mag_path_candidates(layer, mag)
    path = next((p for p in candidates if location.exists(array_metadata_key(p, mag.zarr_format))), None)
    if path is None:
        raise DatasetFormatError(
            array_metadata_key(candidates[0], mag.zarr_format),
            f"layer {layer.name!r} mag {mag.literal}: zarr array not found",
        )
    array = open_verified(location, path, mag.zarr_format)
    axes = mag.axes or _default_wk_axes(array)
    checked = replace(mag, path=path, axes=axes)
    check_array(array, layer, checked, array_metadata_key(path, mag.zarr_format))
    return checked


def _default_wk_axes(array: Any) -> tuple[str, ...]:
    names = getattr(array.metadata, "dimension_names", None)
    if names and all(isinstance(n, str) for n in names) and {"x", "y", "z"} <= set(names):
        return tuple(names)
    return ("c", "x", "y", "z") if array.ndim == 4 else ("x", "y", "z")


def open_verified(location: Location, path: str, zarr_format: int, arrays: ArrayCache = NO_CACHE) -> Any:
    """Open an array (from `arrays` when it holds it), turning zarr's errors into DatasetFormatError naming the
    metadata file."""
    key = array_metadata_key(path, zarr_format)
    try:
        return open_array(location, path, zarr_format, cache=arrays)
    except FileNotFoundError as exc:
        raise DatasetFormatError(key, "zarr array not found") from exc
    except (ValueError, TypeError, KeyError, NotImplementedError) as exc:
        raise DatasetFormatError(key, f"cannot open zarr array ({exc})") from exc


def check_array(array: Any, layer: Layer, mag: MagInfo, key: str) -> None:
    """The array's dtype, rank and channel count must agree with the layer metadata."""
    if array.ndim != len(mag.axes):
        raise DatasetFormatError(key, f"array has {array.ndim} dimensions, axes are {mag.axes}")
    if not {"x", "y", "z"} <= set(mag.axes):
        raise DatasetFormatError(key, f"axes {mag.axes} lack x, y or z")
    if np.dtype(array.dtype) != layer.dtype:
        raise DatasetFormatError(
            key, f"array dtype {array.dtype} does not match elementClass {layer.element_class}"
        )
    channels = array.shape[mag.axes.index("c")] if "c" in mag.axes else 1
    if channels != layer.num_channels:
        raise DatasetFormatError(
            key,
            f"array has {channels} channels, elementClass {layer.element_class} needs {layer.num_channels}",
        )
