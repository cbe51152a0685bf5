"""The small, non-columnar parts of a skeleton <-> plain JSON values (camelCase, as on the wire).

Used by snapshots (storage) and by viewer JSON; one codec so the two cannot drift apart.
"""

from __future__ import annotations

from typing import Any

from voxelhub.annotations.skeleton.model import BoundingBox, Group, Parameters, Segment, VolumeLayer


def _tuple(v: Any) -> Any:
    return None if v is None else tuple(v)


def group_to_json(g: Group) -> dict[str, Any]:
    """webKnossos' tree group shape: {groupId, name, isExpanded, children}."""
    return {
        "groupId": g.id,
        "name": g.name,
        "isExpanded": g.is_expanded,
        "children": [group_to_json(c) for c in g.children],
    }


def group_from_json(d: dict[str, Any]) -> Group:
    return Group(
        id=d["groupId"],
        name=d.get("name", ""),
        is_expanded=d.get("isExpanded"),
        children=tuple(group_from_json(c) for c in d.get("children", ())),
    )


def bbox_to_json(b: BoundingBox) -> dict[str, Any]:
    return {
        "id": b.id,
        "name": b.name,
        "color": _list(b.color),
        "isVisible": b.is_visible,
        "topLeft": list(b.top_left),
        "width": b.size[0],
        "height": b.size[1],
        "depth": b.size[2],
    }


def bbox_from_json(d: dict[str, Any]) -> BoundingBox:
    return BoundingBox(
        id=d["id"],
        name=d.get("name", ""),
        color=_tuple(d.get("color")),
        is_visible=d.get("isVisible", True),
        top_left=tuple(d["topLeft"]),
        size=(d["width"], d["height"], d["depth"]),
    )


def _list(v: Any) -> Any:
    return None if v is None else list(v)


def parameters_to_json(p: Parameters) -> dict[str, Any]:
    return {
        "experiment": [list(kv) for kv in p.experiment],
        "scale": _list(p.scale),
        "unit": p.unit,
        "offset": _list(p.offset),
        "time": p.time,
        "editPosition": _list(p.edit_position),
        "editRotation": _list(p.edit_rotation),
        "zoomLevel": p.zoom_level,
        "taskBoundingBox": None if p.task_bounding_box is None else bbox_to_json(p.task_bounding_box),
    }


def parameters_from_json(d: dict[str, Any]) -> Parameters:
    task = d.get("taskBoundingBox")
    return Parameters(
        experiment=tuple(tuple(kv) for kv in d.get("experiment", ())),
        scale=_tuple(d.get("scale")),
        unit=d.get("unit"),
        offset=_tuple(d.get("offset")),
        time=d.get("time"),
        edit_position=_tuple(d.get("editPosition")),
        edit_rotation=_tuple(d.get("editRotation")),
        zoom_level=d.get("zoomLevel"),
        task_bounding_box=None if task is None else bbox_from_json(task),
    )


def segment_to_json(s: Segment) -> dict[str, Any]:
    return {
        "id": s.id,
        "name": s.name,
        "anchorPosition": _list(s.anchor_position),
        "color": _list(s.color),
        "created": s.created,
        "groupId": s.group_id,
        "metadata": list(s.metadata),
    }


def segment_from_json(d: dict[str, Any]) -> Segment:
    return Segment(
        id=d["id"],
        name=d.get("name"),
        anchor_position=_tuple(d.get("anchorPosition")),
        color=_tuple(d.get("color")),
        created=d.get("created"),
        group_id=d.get("groupId"),
        metadata=tuple(d.get("metadata", ())),
    )


def volume_to_json(v: VolumeLayer) -> dict[str, Any]:
    return {
        "id": v.id,
        "name": v.name,
        "location": v.location,
        "format": v.format,
        "fallbackLayer": v.fallback_layer,
        "largestSegmentId": v.largest_segment_id,
        "segments": [segment_to_json(s) for s in v.segments],
        "groups": [group_to_json(g) for g in v.groups],
        "extra": [list(kv) for kv in v.extra],
    }


def volume_from_json(d: dict[str, Any]) -> VolumeLayer:
    return VolumeLayer(
        id=d["id"],
        name=d.get("name"),
        location=d.get("location"),
        format=d.get("format"),
        fallback_layer=d.get("fallbackLayer"),
        largest_segment_id=d.get("largestSegmentId"),
        segments=tuple(segment_from_json(s) for s in d.get("segments", ())),
        groups=tuple(group_from_json(g) for g in d.get("groups", ())),
        extra=tuple(tuple(kv) for kv in d.get("extra", ())),
    )
