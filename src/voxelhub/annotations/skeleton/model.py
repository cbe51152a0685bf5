"""In-memory skeleton model, built to stay fast and small at a million nodes.

Layout: a dict of trees, each tree holding its nodes as numpy columns (`NodeTable`) and its edges as an
``(E, 2)`` int64 array. Why per-tree columns rather than one global table or one object per node:

* memory: a node costs ~90 bytes in columns, ~1 KB as Python objects; 1M nodes stay well under 300 MB;
* import, export, snapshots and viewer JSON work column-wise (numpy / orjson), never node by node in Python;
* update actions name a tree (`treeId`), so a save copies only the trees it touches and shares every other
  tree with the previous version (copy-on-write per tree, see `actions.py`).

Skeletons are treated as immutable values: arrays are made read-only, and `apply_actions` returns a new
skeleton. That lets a version cache hand the same object to many requests safely.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

#: Node columns: name -> dtype. Positions and float attributes are float64 so every value read from an NML
#: (including "3662.0" or "1.2000000476837158") comes back exactly.
NODE_COLUMNS: dict[str, np.dtype[Any]] = {
    "id": np.dtype(np.int64),
    "x": np.dtype(np.float64),
    "y": np.dtype(np.float64),
    "z": np.dtype(np.float64),
    "radius": np.dtype(np.float64),
    "rot_x": np.dtype(np.float64),
    "rot_y": np.dtype(np.float64),
    "rot_z": np.dtype(np.float64),
    "viewport": np.dtype(np.int32),
    "mag": np.dtype(np.int32),
    "bit_depth": np.dtype(np.int32),
    "interpolation": np.dtype(np.bool_),
    "time": np.dtype(np.int64),
}

#: Defaults for attributes an NML or an action leaves out (the webKnossos server's defaults).
NODE_DEFAULTS: dict[str, Any] = {
    "radius": 1.0,
    "rot_x": 0.0,
    "rot_y": 0.0,
    "rot_z": 0.0,
    "viewport": 0,
    "mag": 0,
    "bit_depth": 0,
    "interpolation": False,
    "time": 0,
}

Color = tuple[float, float, float, float]
Vec3 = tuple[float, float, float]


def _frozen(array: np.ndarray) -> np.ndarray:
    array.setflags(write=False)
    return array


class NodeTable:
    """Columns of one tree's nodes, all of equal length, read-only."""

    __slots__ = ("columns",)

    def __init__(self, columns: dict[str, np.ndarray]) -> None:
        lengths = {len(col) for col in columns.values()}
        if set(columns) != set(NODE_COLUMNS) or len(lengths) > 1:
            raise ValueError("a node table needs every column, all of one length")
        self.columns = {
            name: _frozen(np.asarray(columns[name], dtype=dt)) for name, dt in NODE_COLUMNS.items()
        }

    @classmethod
    def empty(cls) -> NodeTable:
        return cls({name: np.empty(0, dtype=dt) for name, dt in NODE_COLUMNS.items()})

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> NodeTable:
        """Build from per-node dicts (keys of NODE_COLUMNS; missing ones take NODE_DEFAULTS)."""
        cols = {
            name: np.array([row.get(name, NODE_DEFAULTS.get(name)) for row in rows], dtype=dt)
            for name, dt in NODE_COLUMNS.items()
        }
        return cls(cols)

    @classmethod
    def concat(cls, tables: list[NodeTable]) -> NodeTable:
        if not tables:
            return cls.empty()
        if len(tables) == 1:
            return tables[0]
        return cls({name: np.concatenate([t.columns[name] for t in tables]) for name in NODE_COLUMNS})

    def __len__(self) -> int:
        return len(self.columns["id"])

    @property
    def ids(self) -> np.ndarray:
        return self.columns["id"]

    def take(self, index: np.ndarray) -> NodeTable:
        """Rows selected by an index or boolean mask (a copy)."""
        return NodeTable({name: col[index] for name, col in self.columns.items()})

    def row(self, i: int) -> dict[str, Any]:
        return {name: col[i].item() for name, col in self.columns.items()}

    def rows(self) -> list[dict[str, Any]]:
        """Per-node dicts; for tests and small trees only."""
        lists = {name: col.tolist() for name, col in self.columns.items()}
        return [dict(zip(lists, values, strict=True)) for values in zip(*lists.values(), strict=True)]

    def equals(self, other: NodeTable) -> bool:
        return all(np.array_equal(self.columns[n], other.columns[n]) for n in NODE_COLUMNS)


def empty_edges() -> np.ndarray:
    return _frozen(np.empty((0, 2), dtype=np.int64))


def edge_array(pairs: Any) -> np.ndarray:
    """Edges as a read-only (E, 2) int64 array of (source, target)."""
    arr = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    return _frozen(np.ascontiguousarray(arr))


@dataclass(frozen=True)
class Comment:
    node_id: int
    content: str


@dataclass(frozen=True)
class BranchPoint:
    node_id: int
    time: int = 0


@dataclass(frozen=True, eq=False)
class Tree:
    """One tree (NML `<thing>`). Comments and branchpoints live with the tree of their node, as in
    webKnossos' own storage, so an action on one tree never has to scan the others."""

    id: int
    name: str = ""
    color: Color | None = None
    group_id: int | None = None
    type: str | None = None
    metadata: tuple[dict[str, str], ...] = ()
    nodes: NodeTable = field(default_factory=NodeTable.empty)
    edges: np.ndarray = field(default_factory=empty_edges)
    comments: tuple[Comment, ...] = ()
    branchpoints: tuple[BranchPoint, ...] = ()
    is_visible: bool | None = None

    def equals(self, other: Tree) -> bool:
        """Value equality including the node and edge columns (dataclass == can't compare arrays)."""
        plain = (
            "id",
            "name",
            "color",
            "group_id",
            "type",
            "metadata",
            "comments",
            "branchpoints",
            "is_visible",
        )
        return (
            all(getattr(self, f) == getattr(other, f) for f in plain)
            and self.nodes.equals(other.nodes)
            and np.array_equal(self.edges, other.edges)
        )


@dataclass(frozen=True)
class Group:
    """A tree group (or segment group); groups nest."""

    id: int
    name: str = ""
    is_expanded: bool | None = None
    children: tuple[Group, ...] = ()


@dataclass(frozen=True)
class BoundingBox:
    id: int
    top_left: tuple[int, int, int]
    size: tuple[int, int, int]
    name: str = ""
    color: Color | None = None
    is_visible: bool = True


@dataclass(frozen=True)
class Segment:
    id: int
    name: str | None = None
    anchor_position: tuple[float, float, float] | None = None
    color: Color | None = None
    created: int | None = None
    group_id: int | None = None
    metadata: tuple[dict[str, str], ...] = ()


@dataclass(frozen=True)
class VolumeLayer:
    """A volume layer descriptor; its voxels live in a separate archive (see `nml.annotation_zip`)."""

    id: int
    name: str | None = None
    location: str | None = None
    format: str | None = None
    fallback_layer: str | None = None
    largest_segment_id: int | None = None
    segments: tuple[Segment, ...] = ()
    groups: tuple[Group, ...] = ()
    extra: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Parameters:
    """NML `<parameters>`; `experiment` keeps every attribute (name, organization, datasetId, description,
    wkUrl, …) in file order so nothing is lost."""

    experiment: tuple[tuple[str, str], ...] = ()
    scale: Vec3 | None = None
    unit: str | None = None
    offset: Vec3 | None = None
    time: int | None = None
    edit_position: Vec3 | None = None
    edit_rotation: Vec3 | None = None
    zoom_level: float | None = None
    task_bounding_box: BoundingBox | None = None

    def experiment_attr(self, key: str) -> str | None:
        return dict(self.experiment).get(key)


@dataclass(frozen=True, eq=False)
class Skeleton:
    """A whole skeleton annotation. Trees are keyed by id and kept in insertion (file) order."""

    trees: dict[int, Tree] = field(default_factory=dict)
    tree_groups: tuple[Group, ...] = ()
    active_node_id: int | None = None
    bounding_boxes: tuple[BoundingBox, ...] = ()
    parameters: Parameters = field(default_factory=Parameters)
    meta: tuple[tuple[str, str], ...] = ()
    volumes: tuple[VolumeLayer, ...] = ()
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def node_count(self) -> int:
        return sum(len(t.nodes) for t in self.trees.values())

    @property
    def edge_count(self) -> int:
        return sum(len(t.edges) for t in self.trees.values())

    def _node_index(self) -> tuple[np.ndarray, np.ndarray]:
        """(all node ids sorted, the id of each one's tree), cached: skeletons never change."""
        if "index" not in self._cache:
            trees = list(self.trees.values())
            ids = np.concatenate([t.nodes.ids for t in trees]) if trees else np.empty(0, np.int64)
            owners = np.repeat(np.array([t.id for t in trees], dtype=np.int64), [len(t.nodes) for t in trees])
            order = np.argsort(ids, kind="stable")
            self._cache["index"] = (_frozen(ids[order]), _frozen(owners[order]))
        return self._cache["index"]

    def sorted_node_ids(self) -> np.ndarray:
        return self._node_index()[0]

    def node_tree_id(self, node_id: int) -> int | None:
        """The id of the tree holding `node_id`, or None."""
        ids, owners = self._node_index()
        i = int(np.searchsorted(ids, node_id))
        return int(owners[i]) if i < len(ids) and int(ids[i]) == node_id else None

    def has_node(self, node_id: int) -> bool:
        return self.node_tree_id(node_id) is not None

    def max_node_id(self) -> int:
        ids = self.sorted_node_ids()
        return int(ids[-1]) if len(ids) else 0

    def equals(self, other: Skeleton) -> bool:
        """Value equality of everything, trees compared column by column."""
        plain = ("tree_groups", "active_node_id", "bounding_boxes", "parameters", "meta", "volumes")
        if any(getattr(self, f) != getattr(other, f) for f in plain):
            return False
        if list(self.trees) != list(other.trees):
            return False
        return all(t.equals(other.trees[k]) for k, t in self.trees.items())
