"""Pending changes to one tree during a batch of update actions.

A `TreeEdit` never modifies its base `Tree`: deletions are a row mask, node updates a dict of row -> changes,
new nodes and edges Python lists. `build()` materializes the new tree once at the end of the batch, so a batch
of k actions on a tree of n nodes costs O(n + k) however the actions are ordered, and trees the batch does not
touch are not copied at all.

Node look-ups by id scan the id column (vectorized, ~0.5 ms per million nodes); after a handful of look-ups in
one batch the edit builds an id -> row dict instead, so big batches stay linear too.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from voxelhub.annotations.skeleton.model import (
    NODE_COLUMNS,
    NODE_DEFAULTS,
    BranchPoint,
    Comment,
    NodeTable,
    Tree,
    edge_array,
)

_SCANS_BEFORE_INDEX = 8


class TreeEdit:
    def __init__(self, tree: Tree) -> None:
        self.base = tree
        self.fields: dict[str, Any] = {
            "name": tree.name,
            "color": tree.color,
            "group_id": tree.group_id,
            "type": tree.type,
            "metadata": tree.metadata,
            "is_visible": tree.is_visible,
        }
        self.comments: list[Comment] = list(tree.comments)
        self.branchpoints: list[BranchPoint] = list(tree.branchpoints)
        self.deleted: np.ndarray | None = None
        self.updates: dict[int, dict[str, Any]] = {}
        self.new: dict[int, dict[str, Any]] = {}
        self.edge_removed: np.ndarray | None = None
        self.edges_added: list[tuple[int, int]] = []
        self._index: dict[int, int] | None = None
        self._scans = 0

    # --- nodes -------------------------------------------------------------------------------------------
    def _base_row(self, node_id: int) -> int | None:
        ids = self.base.nodes.ids
        if self._index is None and self._scans >= _SCANS_BEFORE_INDEX:
            self._index = dict(zip(ids.tolist(), range(len(ids)), strict=True))
        if self._index is not None:
            row = self._index.get(node_id)
        else:
            self._scans += 1
            hits = np.flatnonzero(ids == node_id)
            row = int(hits[0]) if len(hits) else None
        if row is None or (self.deleted is not None and self.deleted[row]):
            return None
        return row

    def has_node(self, node_id: int) -> bool:
        return node_id in self.new or self._base_row(node_id) is not None

    def add_node(self, node: dict[str, Any]) -> None:
        self.new[node["id"]] = {name: node.get(name, NODE_DEFAULTS.get(name)) for name in NODE_COLUMNS}

    def update_node(self, node_id: int, changes: dict[str, Any]) -> bool:
        if node_id in self.new:
            self.new[node_id].update(changes)
            return True
        row = self._base_row(node_id)
        if row is None:
            return False
        self.updates.setdefault(row, {}).update(changes)
        return True

    def delete_node(self, node_id: int) -> bool:
        """Remove the node with its edges, comments and branchpoints."""
        if node_id in self.new:
            del self.new[node_id]
        else:
            row = self._base_row(node_id)
            if row is None:
                return False
            if self.deleted is None:
                self.deleted = np.zeros(len(self.base.nodes), dtype=bool)
            self.deleted[row] = True
            self.updates.pop(row, None)
            edges = self.base.edges
            self._remove_base_edges((edges[:, 0] == node_id) | (edges[:, 1] == node_id))
        self.edges_added = [e for e in self.edges_added if node_id not in e]
        self.comments = [c for c in self.comments if c.node_id != node_id]
        self.branchpoints = [b for b in self.branchpoints if b.node_id != node_id]
        return True

    # --- edges -------------------------------------------------------------------------------------------
    def _remove_base_edges(self, mask: np.ndarray) -> None:
        if not mask.any():
            return
        if self.edge_removed is None:
            self.edge_removed = np.zeros(len(self.base.edges), dtype=bool)
        self.edge_removed |= mask

    def _base_edge_rows(self, source: int, target: int) -> np.ndarray:
        edges = self.base.edges
        hits = (edges[:, 0] == source) & (edges[:, 1] == target)
        if self.edge_removed is not None:
            hits &= ~self.edge_removed
        return hits

    def has_edge(self, source: int, target: int) -> bool:
        return (source, target) in self.edges_added or bool(self._base_edge_rows(source, target).any())

    def add_edge(self, source: int, target: int) -> None:
        self.edges_added.append((source, target))

    def delete_edge(self, source: int, target: int) -> bool:
        """Delete the edge source->target (or, failing that, target->source: edges are undirected)."""
        for s, t in ((source, target), (target, source)):
            if (s, t) in self.edges_added:
                self.edges_added.remove((s, t))
                return True
            hits = self._base_edge_rows(s, t)
            if hits.any():
                self._remove_base_edges(hits)
                return True
        return False

    # --- result ------------------------------------------------------------------------------------------
    def _nodes(self) -> NodeTable:
        base = self.base.nodes
        if self.updates:
            cols = {name: col.copy() for name, col in base.columns.items()}
            for row, changes in self.updates.items():
                for name, value in changes.items():
                    cols[name][row] = value
            base = NodeTable(cols)
        if self.deleted is not None:
            base = base.take(~self.deleted)
        if not self.new:
            return base
        return NodeTable.concat([base, NodeTable.from_rows(list(self.new.values()))])

    def _edges(self) -> np.ndarray:
        edges = self.base.edges
        if self.edge_removed is not None:
            edges = edges[~self.edge_removed]
        if self.edges_added:
            edges = np.concatenate([edges, np.array(self.edges_added, dtype=np.int64).reshape(-1, 2)])
        return edge_array(edges) if edges is not self.base.edges else edges

    def build(self) -> Tree:
        return Tree(
            id=self.base.id,
            nodes=self._nodes(),
            edges=self._edges(),
            comments=tuple(self.comments),
            branchpoints=tuple(self.branchpoints),
            **self.fields,
        )
