"""The skeleton as JSON for the viewer (`GET /api/annotations/{id}/skeleton`, docs/api.md).

`to_json_dict` builds plain Python values (tests, small skeletons); `to_json_bytes` produces the same document
directly as bytes, formatting nodes and edges a column at a time (`column_text`) so 1M nodes take about a second
and never exist as 1M Python dicts. Both follow one shape:

    {version?, trees:[{id, name, color:[r,g,b,a]|null, groupId, type, isVisible, metadata:[…],
                       nodes:[{id, position:[x,y,z], radius, rotation:[x,y,z], viewport, mag, bitDepth,
                               interpolation, timestamp}],
                       edges:[{source, target}], comments:[{nodeId, content}], branchPoints:[{nodeId, timestamp}]}],
     comments:[{nodeId, content}], branchpoints:[{nodeId, timestamp}], treeGroups:[{groupId, name, isExpanded,
     children}], groups: (same list), activeNodeId, userBoundingBoxes:[{id, name, color, isVisible, topLeft,
     width, height, depth}], parameters:{…}, volumes:[…]}

A position column whose values are all whole numbers is written as integers (per tree).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import orjson

from voxelhub.annotations.skeleton.column_text import column_text
from voxelhub.annotations.skeleton.model import Skeleton, Tree
from voxelhub.annotations.skeleton.plain_json import (
    bbox_to_json,
    group_to_json,
    parameters_to_json,
    volume_to_json,
)

_NODE = (
    b'{"id":%b,"position":[%b,%b,%b],"radius":%b,"rotation":[%b,%b,%b],"viewport":%b,"mag":%b,'
    b'"bitDepth":%b,"interpolation":%b,"timestamp":%b}'
)
_NODE_ORDER = (
    "id",
    "x",
    "y",
    "z",
    "radius",
    "rot_x",
    "rot_y",
    "rot_z",
    "viewport",
    "mag",
    "bit_depth",
    "interpolation",
    "time",
)
_EDGE = b'{"source":%b,"target":%b}'


def _tree_head(t: Tree) -> dict[str, Any]:
    return {
        "id": t.id,
        "name": t.name,
        "color": None if t.color is None else list(t.color),
        "groupId": t.group_id,
        "type": t.type,
        "isVisible": t.is_visible,
        "metadata": list(t.metadata),
        "comments": [{"nodeId": c.node_id, "content": c.content} for c in t.comments],
        "branchPoints": [{"nodeId": b.node_id, "timestamp": b.time} for b in t.branchpoints],
    }


def _rest(sk: Skeleton, version: int | None) -> dict[str, Any]:
    groups = [group_to_json(g) for g in sk.tree_groups]
    rest: dict[str, Any] = {} if version is None else {"version": version}
    rest.update(
        {
            "comments": [
                {"nodeId": c.node_id, "content": c.content} for t in sk.trees.values() for c in t.comments
            ],
            "branchpoints": [
                {"nodeId": b.node_id, "timestamp": b.time} for t in sk.trees.values() for b in t.branchpoints
            ],
            "treeGroups": groups,
            "groups": groups,
            "activeNodeId": sk.active_node_id,
            "userBoundingBoxes": [bbox_to_json(b) for b in sk.bounding_boxes],
            "parameters": {**parameters_to_json(sk.parameters), "experiment": dict(sk.parameters.experiment)},
            "volumes": [volume_to_json(v) for v in sk.volumes],
        }
    )
    return rest


def _position_lists(t: Tree) -> list[list[Any]]:
    cols = t.nodes.columns
    out = []
    for name in ("x", "y", "z"):
        col = cols[name]
        whole = len(col) and bool(np.all(col == np.trunc(col))) and bool(np.all(np.abs(col) < 2**53))
        out.append(col.astype(np.int64).tolist() if whole else col.tolist())
    return out


def _nodes(t: Tree) -> list[dict[str, Any]]:
    c = {name: col.tolist() for name, col in t.nodes.columns.items()}
    xs, ys, zs = _position_lists(t)
    return [
        {
            "id": c["id"][i],
            "position": [xs[i], ys[i], zs[i]],
            "radius": c["radius"][i],
            "rotation": [c["rot_x"][i], c["rot_y"][i], c["rot_z"][i]],
            "viewport": c["viewport"][i],
            "mag": c["mag"][i],
            "bitDepth": c["bit_depth"][i],
            "interpolation": c["interpolation"][i],
            "timestamp": c["time"][i],
        }
        for i in range(len(t.nodes))
    ]


def to_json_dict(sk: Skeleton, version: int | None = None) -> dict[str, Any]:
    trees = []
    for t in sk.trees.values():
        tree = _tree_head(t)
        tree["nodes"] = _nodes(t)
        tree["edges"] = [{"source": s, "target": g} for s, g in t.edges.tolist()]
        trees.append(tree)
    return {"trees": trees, **_rest(sk, version)}


def _tree_bytes(t: Tree) -> bytes:
    cols = t.nodes.columns
    texts = [column_text(cols[n], integral_as_int=n in ("x", "y", "z")) for n in _NODE_ORDER]
    nodes = b",".join([_NODE % row for row in zip(*texts, strict=True)])
    edge_texts = (column_text(t.edges[:, 0]), column_text(t.edges[:, 1]))
    edges = b",".join([_EDGE % row for row in zip(*edge_texts, strict=True)])
    head = orjson.dumps(_tree_head(t))
    return b"".join([head[:-1], b',"nodes":[', nodes, b'],"edges":[', edges, b"]}"])


def to_json_bytes(sk: Skeleton, version: int | None = None) -> bytes:
    """Same document as `orjson.dumps(to_json_dict(sk, version))`, built column-wise."""
    rest = orjson.dumps(_rest(sk, version))
    trees = b",".join([_tree_bytes(t) for t in sk.trees.values()])
    return b"".join([b'{"trees":[', trees, b"],", rest[1:]])
