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
