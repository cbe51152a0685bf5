"""Checking the values inside update actions (they come from JSON sent by a client: trust nothing)."""

from __future__ import annotations

import math
from typing import Any

from voxelhub.annotations.skeleton.model import BoundingBox, BranchPoint, Comment, Group

_I64 = 2**63


class BadValue(ValueError):
    """A malformed value; the batch turns it into UpdateActionError with the action's index."""


def get(value: dict[str, Any], key: str, *alternatives: str) -> Any:
    for k in (key, *alternatives):
        if k in value:
            return value[k]
    raise BadValue(f"missing field {key!r}")


def as_int(raw: Any, what: str) -> int:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    if isinstance(raw, bool) or not isinstance(raw, int) or not -_I64 <= raw < _I64:
        raise BadValue(f"{what} must be an integer, got {raw!r}")
    return raw


def as_opt_int(raw: Any, what: str) -> int | None:
    return None if raw is None else as_int(raw, what)


def as_float(raw: Any, what: str) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise BadValue(f"{what} must be a finite number, got {raw!r}")
    return float(raw)


def as_bool(raw: Any, what: str) -> bool:
    if not isinstance(raw, bool):
        raise BadValue(f"{what} must be true or false, got {raw!r}")
    return raw


def as_str(raw: Any, what: str, limit: int = 100_000) -> str:
    if not isinstance(raw, str) or len(raw) > limit:
        raise BadValue(f"{what} must be a string of at most {limit} characters")
    return raw


def as_vec(raw: Any, what: str, n: int = 3) -> tuple[float, ...]:
    if not isinstance(raw, list | tuple) or len(raw) != n:
        raise BadValue(f"{what} must be a list of {n} numbers")
    return tuple(as_float(v, what) for v in raw)


def as_color(raw: Any) -> tuple[float, float, float, float] | None:
    """[r, g, b] or [r, g, b, a], each 0..1 (alpha defaults to 1)."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or len(raw) not in (3, 4):
        raise BadValue("color must be [r, g, b] or [r, g, b, a]")
    rgba = [as_float(v, "color") for v in raw] + ([1.0] if len(raw) == 3 else [])
    return (rgba[0], rgba[1], rgba[2], rgba[3])


def node_fields(value: dict[str, Any]) -> dict[str, Any]:
    """The node columns an action sets (only those present), checked and converted."""
    out: dict[str, Any] = {}
    if "position" in value:
        out["x"], out["y"], out["z"] = as_vec(value["position"], "position")
    if "radius" in value:
        out["radius"] = as_float(value["radius"], "radius")
    if "rotation" in value:
        out["rot_x"], out["rot_y"], out["rot_z"] = as_vec(value["rotation"], "rotation")
    for key, column in (
        ("viewport", "viewport"),
        ("mag", "mag"),
        ("resolution", "mag"),
        ("bitDepth", "bit_depth"),
    ):
        if key in value:
            number = as_int(value[key], key)
            if not -(2**31) <= number < 2**31:
                raise BadValue(f"{key} is out of range")
            out[column] = number
    if "interpolation" in value:
        out["interpolation"] = as_bool(value["interpolation"], "interpolation")
    if "timestamp" in value:
        out["time"] = as_int(value["timestamp"], "timestamp")
    return out


def comments(raw: Any) -> list[Comment]:
    if not isinstance(raw, list):
        raise BadValue("comments must be a list")
    return [
        Comment(as_int(get(c, "nodeId"), "nodeId"), as_str(get(c, "content"), "content"))
        for c in _dicts(raw, "comment")
    ]


def branchpoints(raw: Any) -> list[BranchPoint]:
    if not isinstance(raw, list):
        raise BadValue("branchPoints must be a list")
    return [
        BranchPoint(as_int(get(b, "nodeId"), "nodeId"), as_int(b.get("timestamp", 0), "timestamp"))
        for b in _dicts(raw, "branchpoint")
    ]


def _dicts(raw: list[Any], what: str) -> list[dict[str, Any]]:
    if not all(isinstance(item, dict) for item in raw):
        raise BadValue(f"each {what} must be an object")
    return raw


def groups(raw: Any, seen: set[int] | None = None, depth: int = 0) -> tuple[Group, ...]:
    """Nested {groupId, name, isExpanded?, children:[…]} with unique ids."""
    seen = set() if seen is None else seen
    if not isinstance(raw, list) or depth > 100:
        raise BadValue("treeGroups must be a list of groups (nested at most 100 deep)")
    out = []
    for g in _dicts(raw, "group"):
        gid = as_int(get(g, "groupId", "id"), "groupId")
        if gid in seen:
            raise BadValue(f"group id {gid} is used twice")
        seen.add(gid)
        expanded = g.get("isExpanded")
        out.append(
            Group(
                id=gid,
                name=as_str(g.get("name", ""), "name"),
                is_expanded=None if expanded is None else as_bool(expanded, "isExpanded"),
                children=groups(g.get("children", []), seen, depth + 1),
            )
        )
    return tuple(out)


def bounding_box(raw: Any) -> BoundingBox:
    """{id, name, color, isVisible, topLeft, width, height, depth}; the box may also be nested under
    `boundingBox` as webKnossos sends it."""
    if not isinstance(raw, dict):
        raise BadValue("a bounding box must be an object")
    box = raw.get("boundingBox", raw)
    if not isinstance(box, dict):
        raise BadValue("boundingBox must be an object")
    top_left = tuple(as_int(v, "topLeft") for v in as_vec(get(box, "topLeft"), "topLeft"))
    size = tuple(as_int(get(box, k), k) for k in ("width", "height", "depth"))
    if any(s < 0 for s in size):
        raise BadValue("a bounding box cannot have a negative size")
    return BoundingBox(
        id=as_int(get(raw, "id"), "id"),
        top_left=top_left,
        size=size,  # type: ignore[arg-type]
        name=as_str(raw.get("name", ""), "name"),
        color=as_color(raw.get("color")),
        is_visible=as_bool(raw.get("isVisible", True), "isVisible"),
    )
