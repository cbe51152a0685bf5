"""Streaming NML export straight into a binary file object.

No lxml objects: small elements are formatted strings; nodes and edges are formatted a block of rows at a
time from pre-rendered column text (`skeleton.column_text`), encoded once per block and written. Element order follows
docs/formats.md, which is also the order webKnossos writes.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Iterator
from typing import IO

import numpy as np

from voxelhub.annotations.skeleton.column_text import column_text, float_text, num_text, xml_attr
from voxelhub.annotations.skeleton.model import (
    BoundingBox,
    Group,
    Parameters,
    Segment,
    Skeleton,
    Tree,
    VolumeLayer,
)

BLOCK = 65536
_NODE = (
    b'      <node id="%b" radius="%b" x="%b" y="%b" z="%b" rotX="%b" rotY="%b" rotZ="%b" inVp="%b" '
    b'inMag="%b" bitDepth="%b" interpolation="%b" time="%b" />\n'
)
_NODE_ORDER = (
    "id",
    "radius",
    "x",
    "y",
    "z",
    "rot_x",
    "rot_y",
    "rot_z",
    "viewport",
    "mag",
    "bit_depth",
    "interpolation",
    "time",
)
_EDGE = b'      <edge source="%b" target="%b" />\n'


def _attrs(pairs: Iterable[tuple[str, object]]) -> str:
    """` k="v"` for every pair whose value is not None; numbers via num_text, strings escaped."""
    out = []
    for key, value in pairs:
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, int | float):
            text = num_text(value)
        else:
            text = xml_attr(str(value))
        out.append(f' {key}="{text}"')
    return "".join(out)


def _color(color: tuple[float, ...] | None) -> list[tuple[str, object]]:
    if color is None:
        return []
    return [(f"color.{c}", float_text(v)) for c, v in zip("rgba", color, strict=False)]


def _vec(el: str, names: tuple[str, str, str], vec: tuple[float, ...] | None, extra: str = "") -> str:
    if vec is None:
        return ""
    return f"    <{el}{_attrs(zip(names, vec, strict=True))}{extra} />\n"


def _bbox(tag: str, box: BoundingBox, with_id: bool = True) -> str:
    pairs: list[tuple[str, object]] = [("id", box.id)] if with_id else []
    pairs += [("name", box.name), ("isVisible", box.is_visible)] if with_id else []
    pairs += _color(box.color)
    pairs += list(zip(("topLeftX", "topLeftY", "topLeftZ"), box.top_left, strict=True))
    pairs += list(zip(("width", "height", "depth"), box.size, strict=True))
    return f"    <{tag}{_attrs(pairs)} />\n"


def _parameters(sk: Skeleton) -> str:
    p: Parameters = sk.parameters
    out = ["  <parameters>\n"]
    if p.experiment:
        out.append(f"    <experiment{_attrs(p.experiment)} />\n")
    unit = f' unit="{xml_attr(p.unit)}"' if p.unit else ""
    out.append(_vec("scale", ("x", "y", "z"), p.scale, unit))
    out.append(_vec("offset", ("x", "y", "z"), p.offset))
    if p.time is not None:
        out.append(f'    <time ms="{p.time}" />\n')
    out.append(_vec("editPosition", ("x", "y", "z"), p.edit_position))
    out.append(
        _vec(
            "editRotation",
            ("xRot", "yRot", "zRot"),
            None if p.edit_rotation is None else tuple(float(v) for v in p.edit_rotation),
        )
    )
    if p.zoom_level is not None:
        out.append(f'    <zoomLevel zoom="{float_text(p.zoom_level)}" />\n')
    if sk.active_node_id is not None:
        out.append(f'    <activeNode id="{sk.active_node_id}" />\n')
    out.extend(_bbox("userBoundingBox", b) for b in sk.bounding_boxes)
    if p.task_bounding_box is not None:
        out.append(_bbox("taskBoundingBox", p.task_bounding_box, with_id=False))
    out.append("  </parameters>\n")
    return "".join(out)


def _metadata(entries: tuple[dict[str, str], ...], indent: str) -> str:
    if not entries:
        return ""
    rows = "".join(f"{indent}  <metadataEntry{_attrs(e.items())} />\n" for e in entries)
    return f"{indent}<metadata>\n{rows}{indent}</metadata>\n"


def _node_blocks(tree: Tree) -> Iterator[bytes]:
    cols = tree.nodes.columns
    for start in range(0, len(tree.nodes), BLOCK):
        part = slice(start, start + BLOCK)
        texts = [
            column_text(cols[name][part], integral_as_int=name in ("x", "y", "z")) for name in _NODE_ORDER
        ]
        yield b"".join([_NODE % row for row in zip(*texts, strict=True)])


def _edge_blocks(edges: np.ndarray) -> Iterator[bytes]:
    for start in range(0, len(edges), BLOCK):
        part = edges[start : start + BLOCK]
        texts = (column_text(part[:, 0]), column_text(part[:, 1]))
        yield b"".join([_EDGE % row for row in zip(*texts, strict=True)])


def _tree(tree: Tree, out: IO[bytes]) -> None:
    pairs: list[tuple[str, object]] = [
        ("id", tree.id),
        *_color(tree.color),
        ("name", tree.name),
        ("groupId", tree.group_id),
        ("type", tree.type),
        ("isVisible", tree.is_visible),
    ]
    out.write(f"  <thing{_attrs(pairs)}>\n    <nodes>\n".encode())
    for block in _node_blocks(tree):
        out.write(block)
    out.write(b"    </nodes>\n    <edges>\n")
    for block in _edge_blocks(tree.edges):
        out.write(block)
    out.write(f"    </edges>\n{_metadata(tree.metadata, '    ')}  </thing>\n".encode())


def _groups(groups: tuple[Group, ...], indent: str) -> str:
    out = []
    for g in groups:
        attrs = _attrs([("id", g.id), ("name", g.name), ("isExpanded", g.is_expanded)])
        if g.children:
            out.append(f"{indent}<group{attrs}>\n{_groups(g.children, indent + '  ')}{indent}</group>\n")
        else:
            out.append(f"{indent}<group{attrs} />\n")
    return "".join(out)


def _comments_and_branchpoints(sk: Skeleton) -> str:
    bps = [
        f'    <branchpoint id="{b.node_id}" time="{b.time}" />\n'
        for t in sk.trees.values()
        for b in t.branchpoints
    ]
    comments = [
        f'    <comment node="{c.node_id}" content="{xml_attr(c.content)}" />\n'
        for t in sk.trees.values()
        for c in t.comments
    ]
    return (
        f"  <branchpoints>\n{''.join(bps)}  </branchpoints>\n  <comments>\n{''.join(comments)}  </comments>\n"
    )


def _segment(s: Segment) -> str:
    anchor = s.anchor_position or (None, None, None)
    pairs: list[tuple[str, object]] = [
        ("id", s.id),
        ("name", s.name),
        ("created", s.created),
        *zip(("anchorPositionX", "anchorPositionY", "anchorPositionZ"), anchor, strict=True),
        *_color(s.color),
        ("groupId", s.group_id),
    ]
    meta = _metadata(s.metadata, "        ")
    if meta:
        return f"      <segment{_attrs(pairs)}>\n{meta}      </segment>\n"
    return f"      <segment{_attrs(pairs)} />\n"


def _volume(v: VolumeLayer) -> str:
    pairs: list[tuple[str, object]] = [
        ("id", v.id),
        ("name", v.name),
        ("location", v.location),
        ("format", v.format),
        ("fallbackLayer", v.fallback_layer),
        ("largestSegmentId", v.largest_segment_id),
        *v.extra,
    ]
    segments = "".join(_segment(s) for s in v.segments)
    groups = _groups(v.groups, "      ")
    return (
        f"  <volume{_attrs(pairs)}>\n    <segments>\n{segments}    </segments>\n"
        f"    <groups>\n{groups}    </groups>\n  </volume>\n"
    )


def write_nml(skeleton: Skeleton, out: IO[bytes], *, note: str | None = None) -> None:
    """Write `skeleton` as NML (UTF-8) to a binary file object, in chunks; `note` becomes an XML comment
    before the root element (where every NML reader skips it)."""
    head = ['<?xml version="1.0" encoding="UTF-8"?>\n']
    if note:
        head.append(f"<!-- {_comment_text(note)} -->\n")
    head.append("<things>\n")
    head += [f"  <meta{_attrs([('name', n), ('content', c)])} />\n" for n, c in skeleton.meta]
    head.append(_parameters(skeleton))
    out.write("".join(head).encode())
    for tree in skeleton.trees.values():
        _tree(tree, out)
    tail = [
        _comments_and_branchpoints(skeleton),
        f"  <groups>\n{_groups(skeleton.tree_groups, '    ')}  </groups>\n",
    ]
    tail += [_volume(v) for v in skeleton.volumes]
    tail.append("</things>\n")
    out.write("".join(tail).encode())


def _comment_text(text: str) -> str:
    # An XML comment may not hold "--" nor end in "-".
    return text.replace("--", "- -").rstrip("-")


def write_nml_bytes(skeleton: Skeleton) -> bytes:
    buf = io.BytesIO()
    write_nml(skeleton, buf)
    return buf.getvalue()
