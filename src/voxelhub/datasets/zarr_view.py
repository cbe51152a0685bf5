"""The dataset as a zarr hierarchy over HTTP (`/data/zarr/{id}/…`), for zarr-python, tensorstore, Neuroglancer.

View layout (the webKnossos on-disk layout, whatever the dataset's own layout is):

    datasource-properties.json         the dataSource, mag paths pointing into this view
    .zgroup | zarr.json                root group (format of the layers)
    {layer}/.zgroup + .zattrs          layer group with OME-NGFF 0.4 multiscales (zarr v2 layers)
    {layer}/zarr.json                  layer group with OME-NGFF 0.5 multiscales (zarr v3 layers)
    {layer}/{mag}/.zarray | zarr.json  the stored array metadata, unchanged
    {layer}/{mag}/{chunk key}          the stored chunk bytes, unchanged

`{mag}` is the stored folder name for webKnossos datasets (`1`, `2-2-1`, `1-1-1`), and the mag literal
(`1`, `2-2-1`) for OME-Zarr. Array metadata and chunks pass through untouched, so reads are voxel-exact
and cheap; the array axes stay in storage order and the multiscales metadata says what they are.
"""

from __future__ import annotations

import json
from typing import Any

from voxelhub.datasets.layout import PROPERTIES_FILE, DataSource, Layer, MagInfo
from voxelhub.storage import Location, validate_key

ARRAY_METADATA = (".zarray", ".zattrs", "zarr.json")
_AXIS_TYPES = {"c": "channel", "t": "time", "x": "space", "y": "space", "z": "space"}


def view_mag_name(layer: Layer, mag: MagInfo) -> str:
    """The mag's folder name in the view: the stored one when it lives at `{layer}/{name}`."""
    head, _, tail = mag.path.rpartition("/")
    return tail if head == layer.name else mag.literal


def _find(data_source: DataSource, layer_name: str, mag_name: str) -> tuple[Layer, MagInfo] | None:
    layer = data_source.layer(layer_name)
    if layer is None:
        return None
    mag = next((m for m in layer.mags if view_mag_name(layer, m) == mag_name), None)
    return None if mag is None else (layer, mag)


def resolve_view_key(data_source: DataSource, key: str) -> str | None:
    """The stored key (relative to the dataset root) behind a view key below a mag, or None.

    Raises InvalidKey for unsafe keys. Use it with `Location.read_range` to answer HTTP Range requests.
    """
    parts = validate_key(key).split("/", 2)
    if len(parts) < 3:
        return None
    found = _find(data_source, parts[0], parts[1])
    return None if found is None else f"{found[1].path}/{parts[2]}"


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=2).encode()


def _formats(data_source: DataSource) -> set[int]:
    return {m.zarr_format for layer in data_source.layers for m in layer.mags}


def _layer_format(layer: Layer) -> int:
    return layer.mags[0].zarr_format


def view_properties(data_source: DataSource) -> dict[str, Any]:
    """datasource-properties.json of the view: mag paths point at `./{layer}/{view mag}`."""
    data = data_source.to_wk_json()
    data.pop("voxelhub", None)
    for raw, layer in zip(data["dataLayers"], data_source.layers, strict=True):
        for raw_mag, mag in zip(raw["mags"], layer.mags, strict=True):
            raw_mag["path"] = f"./{layer.name}/{view_mag_name(layer, mag)}"
    return data


def _multiscale(data_source: DataSource, layer: Layer) -> dict[str, Any]:
    """OME-NGFF multiscales for a layer, axes in the arrays' storage order."""
    axes_names = layer.mags[0].axes
    unit = data_source.scale.unit if data_source.scale else None
    axes = []
    for name in axes_names:
        axis: dict[str, Any] = {"name": name, "type": _AXIS_TYPES.get(name, "space")}
        if name in "xyz" and len(name) == 1 and unit:
            axis["unit"] = unit
        axes.append(axis)
    factor = data_source.scale.factor if data_source.scale else (1.0, 1.0, 1.0)
    datasets = []
    for mag in layer.mags:
        scale = [
            factor["xyz".index(a)] * mag.mag["xyz".index(a)] if a in ("x", "y", "z") else 1.0
            for a in mag.axes
        ]
        datasets.append(
            {
                "path": view_mag_name(layer, mag),
                "coordinateTransformations": [{"type": "scale", "scale": scale}],
            }
        )
    return {"name": layer.name, "axes": axes, "datasets": datasets}


def _root_document(data_source: DataSource, name: str) -> bytes | None:
    formats = _formats(data_source)
    if name == PROPERTIES_FILE:
        return _json(view_properties(data_source))
    if name == ".zgroup" and 2 in formats:
        return _json({"zarr_format": 2})
    if name == ".zattrs" and 2 in formats:
        return _json({})
    if name == "zarr.json" and 3 in formats:
        return _json({"zarr_format": 3, "node_type": "group", "attributes": {}})
    return None


def _layer_document(data_source: DataSource, layer: Layer, name: str) -> bytes | None:
    multiscale = _multiscale(data_source, layer)
    if _layer_format(layer) == 2:
        if name == ".zgroup":
            return _json({"zarr_format": 2})
        if name == ".zattrs":
            return _json({"multiscales": [{"version": "0.4", **multiscale}]})
        return None
    if name == "zarr.json":
        return _json(
            {
                "zarr_format": 3,
                "node_type": "group",
                "attributes": {"ome": {"version": "0.5", "multiscales": [multiscale]}},
            }
        )
    return None


def zarr_view_document(location: Location, data_source: DataSource, key: str) -> bytes | None:
    """Metadata documents of the view (see module docstring); None for anything else or missing.

    Raises InvalidKey for unsafe keys.
    """
    parts = validate_key(key).split("/")
    if len(parts) == 1:
        return _root_document(data_source, parts[0])
    layer = data_source.layer(parts[0])
    if layer is None:
        return None
    if len(parts) == 2:
        return _layer_document(data_source, layer, parts[1])
    if len(parts) == 3 and parts[2] in ARRAY_METADATA:
        found = _find(data_source, parts[0], parts[1])
        return None if found is None else location.read(f"{found[1].path}/{parts[2]}")
    return None


def zarr_view_chunk(location: Location, data_source: DataSource, key: str) -> bytes | None:
    """Stored bytes of a chunk (or shard) of the view, unchanged; None when missing.

    Raises InvalidKey for unsafe keys. Metadata keys are answered by `zarr_view_document`.
    """
    stored = resolve_view_key(data_source, key)
    if stored is None or stored.rsplit("/", 1)[-1] in ARRAY_METADATA:
        return None
    return location.read(stored)


def zarr_view_get(location: Location, data_source: DataSource, key: str) -> bytes | None:
    """Either kind of view key: what an HTTP handler for `/data/zarr/{id}/{key}` answers (None -> 404)."""
    document = zarr_view_document(location, data_source, key)
    return document if document is not None else zarr_view_chunk(location, data_source, key)


def is_metadata_key(key: str) -> bool:
    """True for keys answered by zarr_view_document (so an HTTP layer may send JSON content type)."""
    name = key.rsplit("/", 1)[-1]
    return name in ARRAY_METADATA or name in (".zgroup", PROPERTIES_FILE)
