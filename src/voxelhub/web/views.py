"""What the pages show of a dataset's `dataSource`, read defensively (it comes from files on disk)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from voxelhub.datasets.models import Dataset


@dataclass(frozen=True)
class LayerView:
    name: str
    category: str
    element_class: str
    top_left: str
    size: str
    mags: list[str]


def _triple(values: Any, sep: str = ", ") -> str:
    if isinstance(values, list | tuple) and all(isinstance(v, int | float) for v in values):
        return sep.join(_number(v) for v in values)
    return "?"


def _number(value: float) -> str:
    return f"{value:g}"


def _mag(mag: Any) -> str:
    value = mag.get("mag") if isinstance(mag, dict) else mag
    return _triple(value, "-") if isinstance(value, list) else str(value)


def _layer_view(layer: dict[str, Any]) -> LayerView:
    box = layer.get("boundingBox") if isinstance(layer.get("boundingBox"), dict) else {}
    assert isinstance(box, dict)
    size = [v for v in (box.get("width"), box.get("height"), box.get("depth")) if isinstance(v, int | float)]
    mags = layer.get("mags") or layer.get("wkwResolutions")
    mags = mags if isinstance(mags, list) else []
    return LayerView(
        name=str(layer.get("name", "")),
        category=str(layer.get("category", "")),
        element_class=str(layer.get("elementClass", "")),
        top_left=_triple(box.get("topLeft")),
        size=" × ".join(_number(v) for v in size) if len(size) == 3 else "?",
        mags=[_mag(m) for m in mags],
    )


def layer_views(dataset: Dataset) -> list[LayerView]:
    layers = dataset.data_source.get("dataLayers") if isinstance(dataset.data_source, dict) else None
    if not isinstance(layers, list):
        return []
    return [_layer_view(layer) for layer in layers if isinstance(layer, dict) and layer.get("name")]


def voxel_size(dataset: Dataset) -> str:
    """`scale` is either `{factor:[x,y,z], unit}` (newer files) or a bare `[x,y,z]` in nanometres."""
    scale = dataset.data_source.get("scale") if isinstance(dataset.data_source, dict) else None
    if isinstance(scale, dict):
        factor, unit = scale.get("factor"), str(scale.get("unit", "nanometer"))
    else:
        factor, unit = scale, "nanometer"
    text = _triple(factor, " × ")
    return "unknown" if text == "?" else f"{text} {_UNITS.get(unit, unit)}"


_UNITS = {"nanometer": "nm", "micrometer": "µm", "millimeter": "mm", "picometer": "pm", "angstrom": "Å"}


_METER_EXPONENTS = {"nanometer": -9, "micrometer": -6, "millimeter": -3, "picometer": -12, "angstrom": -10}


def neuroglancer_dimensions(dataset: Dataset) -> dict[str, list[Any]]:
    """Neuroglancer's global `dimensions` for the dataset's mag-1 voxel ({"x": [8e-9, "m"], …}), or {} when the
    voxel size is unknown. With them the "Open in Neuroglancer" state can name x, y, z as the display axes:
    Neuroglancer otherwise displays an array's first axes, and a folded webKnossos array starts with z."""
    scale = dataset.data_source.get("scale") if isinstance(dataset.data_source, dict) else None
    if isinstance(scale, dict):
        factor, unit = scale.get("factor"), str(scale.get("unit", "nanometer"))
    else:
        factor, unit = scale, "nanometer"
    exponent = _METER_EXPONENTS.get(unit)
    if exponent is None or not isinstance(factor, list) or len(factor) != 3:
        return {}
    if not all(isinstance(v, int | float) and 0 < v < 1e12 for v in factor):
        return {}
    # decimal shift, not a product: 11.24 nm is 1.124e-08 m, not 1.1240000000000002e-08
    return {axis: [float(f"{float(v)!r}e{exponent}"), "m"] for axis, v in zip("xyz", factor, strict=True)}
