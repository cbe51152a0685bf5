"""Scanning OME-Zarr (NGFF 0.4 on zarr v2, NGFF 0.5 on zarr v3) into a DataSource.

The image becomes a `color` layer; every entry of `labels/` becomes a `segmentation` layer. The voxel size
is the `scale` transformation of the first (finest) dataset along x, y, z with the unit of the axes; when
the metadata has no scale or no unit, the DataSource says so (scale None plus a note) instead of guessing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from voxelhub.datasets.layout import (
    BoundingBox,
    DatasetFormatError,
    DataSource,
    Layer,
    MagInfo,
    Vec3,
    VoxelSize,
    array_metadata_key,
    check_array,
    open_verified,
    read_json,
)
from voxelhub.storage import InvalidKey, Location, normalize_relative_path

_DTYPE_TO_CLASS = {
    "uint8": "uint8",
    "uint16": "uint16",
    "uint32": "uint32",
    "uint64": "uint64",
    "int8": "int8",
    "int16": "int16",
    "int32": "int32",
    "int64": "int64",
    "float32": "float",
    "float64": "double",
}


@dataclass(frozen=True)
class _Group:
    """Attributes of a zarr group and the file they came from."""

    key: str
    attrs: dict[str, Any]
    zarr_format: int


def _read_group(location: Location, prefix: str) -> _Group | None:
    base = f"{prefix}/" if prefix else ""
    if location.exists(f"{base}zarr.json"):
        meta = read_json(location, f"{base}zarr.json")
        attrs = meta.get("attributes", {}) if isinstance(meta, dict) else {}
        if not isinstance(attrs, dict):
            raise DatasetFormatError(f"{base}zarr.json", "'attributes' must be an object")
        ome = attrs.get("ome")
        if not isinstance(ome, dict):
            ome = {}
        return _Group(f"{base}zarr.json", {**attrs, **ome}, 3)
    if location.exists(f"{base}.zattrs"):
        attrs = read_json(location, f"{base}.zattrs")
        return _Group(f"{base}.zattrs", attrs if isinstance(attrs, dict) else {}, 2)
    return None


def find_ome_root(location: Location) -> _Group | None:
    """The root group if it carries `multiscales`, else None."""
    group = _read_group(location, "")
    return group if group is not None and group.attrs.get("multiscales") else None


def scan_ome_zarr(location: Location) -> DataSource:
    root = find_ome_root(location)
    if root is None:
        raise DatasetFormatError(".zattrs", "no OME-NGFF multiscales metadata")
    notes: list[str] = []
    image, scale = _scan_multiscales(location, root, "", "color", "color", notes)
    layers = [image]
    for label in _label_names(location, notes):
        group = _read_group(location, f"labels/{label}")
        if group is None or not group.attrs.get("multiscales"):
            raise DatasetFormatError(f"labels/{label}", "label group without multiscales metadata")
        name = label if label != image.name else f"{label}_labels"
        layer, _ = _scan_multiscales(location, group, f"labels/{label}", name, "segmentation", notes)
        layers.append(layer)
    if scale is None:
        notes.insert(0, "no voxel size in the OME-Zarr metadata; physical size unknown")
    name = location.url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".zarr").removesuffix(".ome")
    return DataSource(
        name=name, layers=tuple(layers), scale=scale, notes=tuple(notes), source_format="ome-zarr"
    )


def _label_names(location: Location, notes: list[str]) -> list[str]:
    group = _read_group(location, "labels")
    if group is None:
        return []
    names = group.attrs.get("labels", [])
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise DatasetFormatError(group.key, "'labels' must be a list of names")
    for label in names:
        try:
            normalize_relative_path(label)
        except InvalidKey as exc:
            raise DatasetFormatError(group.key, f"unsafe label name {label!r}") from exc
        if "/" in label:
            raise DatasetFormatError(group.key, f"label name {label!r} must not contain '/'")
    return names


def _axes(
    multiscale: dict[str, Any], key: str, ndim_hint: int | None
) -> tuple[tuple[str, ...], dict[str, str]]:
    """Axis names in storage order and their units (NGFF 0.4+: objects; 0.3: plain names)."""
    raw = multiscale.get("axes")
    if raw is None:
        if ndim_hint is None:
            raise DatasetFormatError(key, "multiscales without axes")
        return ("t", "c", "z", "y", "x")[-ndim_hint:], {}
    if not isinstance(raw, list):
        raise DatasetFormatError(key, f"multiscales axes must be a list, got {raw!r}")
    names: list[str] = []
    units: dict[str, str] = {}
    for entry in raw:
        name = entry.get("name") if isinstance(entry, dict) else entry
        if not isinstance(name, str):
            raise DatasetFormatError(key, f"bad axis {entry!r}")
        names.append(name)
        if isinstance(entry, dict) and isinstance(entry.get("unit"), str):
            units[name] = entry["unit"]
    if not {"x", "y", "z"} <= set(names):
        raise DatasetFormatError(key, f"axes {names} lack x, y or z (2D images are not supported)")
    return tuple(names), units


def _dataset_scale(dataset: dict[str, Any], ndim: int, key: str) -> list[float] | None:
    """The `scale` transformation of one multiscales dataset (positive numbers, one per axis), or None."""
    transforms = dataset.get("coordinateTransformations") or []
    if not isinstance(transforms, list):
        raise DatasetFormatError(key, "coordinateTransformations must be a list")
    for transform in transforms:
        if isinstance(transform, dict) and transform.get("type") == "scale":
            scale = transform.get("scale")
            if (
                not isinstance(scale, list)
                or len(scale) != ndim
                or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v > 0
                    for v in scale
                )
            ):
                raise DatasetFormatError(key, f"scale must be {ndim} positive numbers, got {scale!r}")
            return [float(v) for v in scale]
    return None


def _scan_multiscales(
    location: Location, group: _Group, prefix: str, name: str, category: str, notes: list[str]
) -> tuple[Layer, VoxelSize | None]:
    multiscales = group.attrs["multiscales"]
    if not isinstance(multiscales, list) or not isinstance(multiscales[0], dict):
        raise DatasetFormatError(group.key, "multiscales must be a list of objects")
    multiscale = multiscales[0]
    datasets = multiscale.get("datasets")
    if not isinstance(datasets, list) or not datasets:
        raise DatasetFormatError(group.key, "multiscales without datasets")
    paths = [_dataset_path(d, prefix, group.key) for d in datasets]
    arrays = [open_verified(location, p, group.zarr_format) for p in paths]
    axes, units = _axes(multiscale, group.key, arrays[0].ndim)
    for path, array in zip(paths, arrays, strict=True):
        if array.ndim != len(axes):
            raise DatasetFormatError(
                array_metadata_key(path, group.zarr_format),
                f"array has {array.ndim} dimensions, multiscales axes are {list(axes)}",
            )
    scales = [_dataset_scale(d, len(axes), group.key) for d in datasets]
    mags = _mags(axes, scales, [a.shape for a in arrays], group.key)
    element_class = _element_class(arrays[0], axes, group.key)
    spatial = [arrays[0].shape[axes.index(ax)] for ax in "xyz"]
    layer = Layer(
        name=name,
        category=category,
        element_class=element_class,
        bounding_box=BoundingBox((0, 0, 0), (spatial[0], spatial[1], spatial[2])),
        mags=tuple(MagInfo(m, p, axes, group.zarr_format) for m, p in zip(mags, paths, strict=True)),
        data_format="zarr3" if group.zarr_format == 3 else "zarr",
    )
    for array, mag in zip(arrays, layer.mags, strict=True):
        check_array(array, layer, mag, array_metadata_key(mag.path, mag.zarr_format))
    return layer, _voxel_size(axes, units, scales[0], group.key, notes)


def _dataset_path(dataset: Any, prefix: str, key: str) -> str:
    path = dataset.get("path") if isinstance(dataset, dict) else None
    if not isinstance(path, str):
        raise DatasetFormatError(key, "a multiscales dataset has no path")
    try:
        rel = normalize_relative_path(path)
    except InvalidKey as exc:
        raise DatasetFormatError(key, f"unsafe dataset path {path!r}") from exc
    return f"{prefix}/{rel}" if prefix else rel


def _mags(
    axes: tuple[str, ...], scales: list[list[float] | None], shapes: list[tuple[int, ...]], key: str
) -> list[Vec3]:
    """Integer mags relative to the first dataset, from the scales or (without them) the shapes."""
    idx = [axes.index(ax) for ax in "xyz"]
    base_scale, base_shape = scales[0], shapes[0]
    mags: list[Vec3] = []
    for scale, shape in zip(scales, shapes, strict=True):
        if base_scale is not None and scale is not None:
            ratios = [scale[i] / base_scale[i] for i in idx]
        else:
            ratios = [base_shape[i] / max(shape[i], 1) for i in idx]
        rounded = [max(1, round(r)) for r in ratios]
        if any(abs(r - q) > 0.05 * q for r, q in zip(ratios, rounded, strict=True)):
            raise DatasetFormatError(key, f"downsampling factors {ratios} are not integers")
        mags.append((rounded[0], rounded[1], rounded[2]))
    if len(set(mags)) != len(mags):
        raise DatasetFormatError(key, f"two datasets have the same magnification {mags}")
    return mags


def _element_class(array: Any, axes: tuple[str, ...], key: str) -> str:
    dtype = np.dtype(array.dtype).name
    if dtype not in _DTYPE_TO_CLASS:
        raise DatasetFormatError(key, f"unsupported dtype {dtype}")
    channels = array.shape[axes.index("c")] if "c" in axes else 1
    if channels == 1:
        return _DTYPE_TO_CLASS[dtype]
    if channels == 3 and dtype == "uint8":
        return "uint24"
    raise DatasetFormatError(key, f"{channels} channels of {dtype} are not supported (only 1, or 3 x uint8)")


def _voxel_size(
    axes: tuple[str, ...], units: dict[str, str], scale: list[float] | None, key: str, notes: list[str]
) -> VoxelSize | None:
    if scale is None:
        return None
    spatial_units = {units.get(ax) for ax in "xyz"}
    if None in spatial_units:
        notes.append(f"{key}: scale without a unit on the x/y/z axes")
        return None
    if len(spatial_units) > 1:
        notes.append(f"{key}: x/y/z axes have different units {sorted(map(str, spatial_units))}; using x's")
    values = tuple(scale[axes.index(ax)] for ax in "xyz")
    if not all(v > 0 for v in values):
        raise DatasetFormatError(key, f"scale must be positive, got {scale}")
    return VoxelSize((values[0], values[1], values[2]), units["x"])
