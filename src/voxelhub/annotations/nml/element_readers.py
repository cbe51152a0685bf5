"""Reading the small NML elements (parameters, groups, bounding boxes, metadata, volumes).

These are few and small, so the streaming reader hands each one over as a finished lxml subtree and this module
walks it; only nodes and edges need the columnar fast path (`tree_columns`).
"""

from __future__ import annotations

from typing import Any

from voxelhub.annotations.nml.errors import (
    UINT64_MAX,
    NmlError,
    attr_bool,
    attr_color,
    attr_float,
    attr_int,
    attr_vec3,
    required_int,
    source_line,
)
from voxelhub.annotations.skeleton.model import BoundingBox, Group, Parameters, Segment, VolumeLayer

XYZ = ("x", "y", "z")
_VOLUME_KNOWN = {"id", "name", "location", "format", "fallbackLayer", "largestSegmentId"}


def parse_meta(el: Any) -> tuple[str, str]:
    return (el.get("name", ""), el.get("content", ""))


def parse_bounding_box(el: Any, default_id: int = 0) -> BoundingBox:
    """`<userBoundingBox>` or the legacy `<taskBoundingBox>`: topLeftX/Y/Z + width/height/depth."""
    top_left = tuple(attr_int(el, f"topLeft{a}", 0) for a in "XYZ")
    size = tuple(attr_int(el, k, 0) for k in ("width", "height", "depth"))
    if any(s is not None and s < 0 for s in size):
        raise NmlError(f"<{el.tag}> has a negative size", source_line(el))
    return BoundingBox(
        id=attr_int(el, "id", default_id) or 0,
        top_left=top_left,
        size=size,  # type: ignore[arg-type]
        name=el.get("name", ""),
        color=attr_color(el),
        is_visible=bool(attr_bool(el, "isVisible", True)),
    )


def parse_parameters(el: Any) -> tuple[Parameters, list[BoundingBox], int | None]:
    """`<parameters>` -> (parameters, user bounding boxes, active node id)."""
    fields: dict[str, Any] = {}
    boxes: list[BoundingBox] = []
    active: int | None = None
    for child in el:
        tag = child.tag
        if tag == "experiment":
            fields["experiment"] = tuple(child.items())
        elif tag == "scale":
            fields["scale"] = attr_vec3(child, XYZ)
            fields["unit"] = child.get("unit")
        elif tag == "offset":
            fields["offset"] = attr_vec3(child, XYZ)
        elif tag == "time":
            fields["time"] = attr_int(child, "ms")
        elif tag == "editPosition":
            fields["edit_position"] = attr_vec3(child, XYZ)
        elif tag == "editRotation":
            fields["edit_rotation"] = attr_vec3(child, ("xRot", "yRot", "zRot"))
        elif tag == "zoomLevel":
            fields["zoom_level"] = attr_float(child, "zoom")
        elif tag == "activeNode":
            active = attr_int(child, "id")
        elif tag == "userBoundingBox":
            boxes.append(parse_bounding_box(child, default_id=len(boxes) + 1))
        elif tag == "taskBoundingBox":
            fields["task_bounding_box"] = parse_bounding_box(child)
    return Parameters(**fields), boxes, active


def parse_groups(el: Any, seen: set[int] | None = None) -> tuple[Group, ...]:
    """Nested `<group id name isExpanded>` children of `el`; ids must be unique."""
    seen = set() if seen is None else seen
    groups = []
    for child in el:
        if child.tag != "group":
            continue
        gid = required_int(child, "id")
        if gid in seen:
            raise NmlError(f"group id {gid} is used twice", source_line(child))
        seen.add(gid)
        groups.append(
            Group(
                id=gid,
                name=child.get("name", ""),
                is_expanded=attr_bool(child, "isExpanded"),
                children=parse_groups(child, seen),
            )
        )
    return tuple(groups)


def parse_metadata(el: Any | None) -> tuple[dict[str, str], ...]:
    """`<metadata><metadataEntry key=… stringValue|numberValue|boolValue|stringListValue-N=…/>`, kept as the
    raw attribute dicts so every value type round-trips unchanged."""
    if el is None:
        return ()
    entries = []
    for child in el:
        if child.tag == "metadataEntry":
            if child.get("key") is None:
                raise NmlError("<metadataEntry> lacks the attribute key", source_line(child))
            entries.append(dict(child.items()))
    return tuple(entries)


def parse_segment(el: Any) -> Segment:
    anchor = attr_vec3(el, ("anchorPositionX", "anchorPositionY", "anchorPositionZ"))
    return Segment(
        id=required_int(el, "id", maximum=UINT64_MAX),
        name=el.get("name"),
        anchor_position=anchor,
        color=attr_color(el),
        created=attr_int(el, "created"),
        group_id=attr_int(el, "groupId"),
        metadata=parse_metadata(el.find("metadata")),
    )


def parse_volume(el: Any) -> VolumeLayer:
    """`<volume>` with its `<segments>` and segment `<groups>`."""
    segments: list[Segment] = []
    groups: tuple[Group, ...] = ()
    for child in el:
        if child.tag == "segments":
            segments.extend(parse_segment(s) for s in child if s.tag == "segment")
        elif child.tag == "groups":
            groups = parse_groups(child)
    ids = [s.id for s in segments]
    if len(set(ids)) != len(ids):
        raise NmlError("a segment id is used twice in this volume", source_line(el))
    return VolumeLayer(
        id=required_int(el, "id"),
        name=el.get("name"),
        location=el.get("location"),
        format=el.get("format"),
        fallback_layer=el.get("fallbackLayer"),
        largest_segment_id=attr_int(el, "largestSegmentId", maximum=UINT64_MAX),
        segments=tuple(segments),
        groups=groups,
        extra=tuple((k, v) for k, v in el.items() if k not in _VOLUME_KNOWN),
    )
