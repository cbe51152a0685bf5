"""Skeleton update actions (webKnossos vocabulary, docs/api.md) applied atomically.

`apply_actions(skeleton, actions)` returns a new Skeleton and never modifies the one it is given; if any
action is invalid it raises `UpdateActionError(index, message)` and nothing is produced. Why this is cheap on a
big skeleton: the batch starts from a shallow copy of the tree dict; the first action touching a tree wraps it
in a `TreeEdit` that records changes without copying; at the end each touched tree is materialized once and all
untouched trees are shared with the input. A save of a few nodes on a 1M-node/1000-tree skeleton thus copies
one tree (~1000 nodes), not the skeleton.

Node ids are unique across the skeleton; the input's cached id index (`Skeleton.node_tree_id`) plus the batch's
own additions answer "does node N exist, and where" without scanning every tree.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from voxelhub.annotations.skeleton import action_values as av
from voxelhub.annotations.skeleton.action_values import BadValue
from voxelhub.annotations.skeleton.model import Group, NodeTable, Skeleton, Tree, edge_array
from voxelhub.annotations.skeleton.tree_edit import TreeEdit

MAX_ACTIONS = 100_000


class UpdateActionError(ValueError):
    """Action number `index` (0-based) of the batch is invalid; `message` says why."""

    def __init__(self, index: int, message: str) -> None:
        self.index = index
        self.message = message
        super().__init__(f"action {index}: {message}")


class _Batch:
    def __init__(self, skeleton: Skeleton) -> None:
        self.base = skeleton
        self.trees: dict[int, Tree | TreeEdit] = dict(skeleton.trees)
        self.added: dict[int, int] = {}  # node id -> tree id, for nodes created in this batch
        self.merged_into: dict[int, int] = {}
        self.fields: dict[str, Any] = {}

    # --- look-ups ----------------------------------------------------------------------------------------
    def edit(self, tree_id: Any) -> TreeEdit:
        tid = av.as_int(tree_id, "treeId")
        tree = self.trees.get(tid)
        if tree is None:
            raise BadValue(f"tree {tid} does not exist")
        if isinstance(tree, Tree):
            tree = self.trees[tid] = TreeEdit(tree)
        return tree

    def tree_of(self, node_id: int) -> int | None:
        """The tree that holds `node_id` at this point of the batch, or None."""
        tid = self.added.get(node_id)
        if tid is None:
            tid = self.base.node_tree_id(node_id)
        while tid is not None and tid in self.merged_into:
            tid = self.merged_into[tid]
        tree = None if tid is None else self.trees.get(tid)
        if tree is None:
            return None
        if isinstance(tree, TreeEdit) and not tree.has_node(node_id):
            return None
        return tid

    def node_in(self, edit: TreeEdit, node_id: Any, what: str = "node") -> int:
        nid = av.as_int(node_id, what)
        if not edit.has_node(nid):
            raise BadValue(f"{what} {nid} is not a node of tree {edit.base.id}")
        return nid

    # --- trees -------------------------------------------------------------------------------------------
    def create_tree(self, v: dict[str, Any]) -> None:
        tid = av.as_int(av.get(v, "id"), "id")
        if tid in self.trees:
            raise BadValue(f"tree {tid} already exists")
        edit = TreeEdit(Tree(id=tid))
        self.trees[tid] = edit
        self.merged_into.pop(tid, None)
        self._tree_fields(edit, v)

    def delete_tree(self, v: dict[str, Any]) -> None:
        tid = av.as_int(av.get(v, "id", "treeId"), "id")
        if self.trees.pop(tid, None) is None:
            raise BadValue(f"tree {tid} does not exist")

    def update_tree(self, v: dict[str, Any]) -> None:
        self._tree_fields(self.edit(av.get(v, "id", "treeId")), v)

    def _tree_fields(self, edit: TreeEdit, v: dict[str, Any]) -> None:
        f = edit.fields
        if "name" in v:
            f["name"] = av.as_str(v["name"], "name")
        if "color" in v:
            f["color"] = av.as_color(v["color"])
        if "groupId" in v:
            f["group_id"] = av.as_opt_int(v["groupId"], "groupId")
        if "type" in v:
            f["type"] = None if v["type"] is None else av.as_str(v["type"], "type")
        if "isVisible" in v:
            f["is_visible"] = av.as_bool(v["isVisible"], "isVisible")
        if "metadata" in v:
            f["metadata"] = _metadata(v["metadata"])
        if "comments" in v:
            comments = av.comments(v["comments"])
            for c in comments:
                self.node_in(edit, c.node_id, "comment node")
            edit.comments = comments
        if "branchPoints" in v:
            bps = av.branchpoints(v["branchPoints"])
            for b in bps:
                self.node_in(edit, b.node_id, "branchpoint node")
            edit.branchpoints = bps

    def update_tree_visibility(self, v: dict[str, Any]) -> None:
        """webKnossos' `updateTreeVisibility`: {treeId, isVisible}."""
        self.edit(av.get(v, "treeId", "id")).fields["is_visible"] = av.as_bool(
            av.get(v, "isVisible"), "isVisible"
        )

    def update_tree_group_visibility(self, v: dict[str, Any]) -> None:
        """webKnossos' `updateTreeGroupVisibility`: {treeGroupId, isVisible}, every tree of the group and of its
        subgroups; a null (or missing) treeGroupId means every tree of the skeleton."""
        visible = av.as_bool(av.get(v, "isVisible"), "isVisible")
        group = av.as_opt_int(v.get("treeGroupId"), "treeGroupId")
        groups = self.fields.get("tree_groups", self.base.tree_groups)
        if group is None:
            chosen = list(self.trees)
        else:
            ids = _group_and_descendants(groups, group)
            if not ids:
                raise BadValue(f"tree group {group} does not exist")
            chosen = [tid for tid, t in self.trees.items() if _group_id(t) in ids]
        for tid in chosen:
            self.edit(tid).fields["is_visible"] = visible

    def update_tree_groups_expanded_state(self, v: dict[str, Any]) -> None:
        """webKnossos' `updateTreeGroupsExpandedState`: {groupIds:[…], areExpanded}."""
        raw = av.get(v, "groupIds")
        if not isinstance(raw, list):
            raise BadValue("groupIds must be a list")
        wanted = {av.as_int(g, "groupIds") for g in raw}
        expanded = av.as_bool(av.get(v, "areExpanded"), "areExpanded")
        groups = self.fields.get("tree_groups", self.base.tree_groups)
        missing = wanted - _group_and_descendants(groups, None)
        if missing:
            raise BadValue(f"tree group {min(missing)} does not exist")
        self.fields["tree_groups"] = _expand(groups, wanted, expanded)

    def merge_tree(self, v: dict[str, Any]) -> None:
        """All nodes, edges, comments and branchpoints of the source move into the target."""
        source = self.edit(av.get(v, "sourceId"))
        target = self.edit(av.get(v, "targetId"))
        if source is target:
            raise BadValue("cannot merge a tree into itself")
        src, dst = source.build(), target.build()
        merged = dataclasses.replace(
            dst,
            nodes=NodeTable.concat([dst.nodes, src.nodes]),
            edges=edge_array([*dst.edges.tolist(), *src.edges.tolist()]) if len(src.edges) else dst.edges,
            comments=dst.comments + src.comments,
            branchpoints=dst.branchpoints + src.branchpoints,
        )
        self.trees[dst.id] = TreeEdit(merged)
        del self.trees[src.id]
        self.merged_into[src.id] = dst.id

    def move_tree_component(self, v: dict[str, Any]) -> None:
        """webKnossos' `moveTreeComponent` {sourceId, targetId, nodeIds}: the nodes move to the target tree with the
        edges between them, their comments and branchpoints; edges between moved and staying nodes are dropped
        (webKnossos sends it to split a tree, where there are none)."""
        source = self.edit(av.get(v, "sourceId"))
        target = self.edit(av.get(v, "targetId"))
        if source is target:
            raise BadValue("cannot move nodes into their own tree")
        raw = av.get(v, "nodeIds")
        if not isinstance(raw, list) or not raw:
            raise BadValue("nodeIds must be a non-empty list")
        ids = {self.node_in(source, n, "node") for n in raw}
        src, dst = source.build(), target.build()
        wanted = np.fromiter(ids, dtype=np.int64, count=len(ids))
        moving = np.isin(src.nodes.ids, wanted)
        ends = np.isin(src.edges, wanted).reshape(-1, 2)
        self.trees[src.id] = TreeEdit(
            dataclasses.replace(
                src,
                nodes=src.nodes.take(~moving),
                edges=edge_array(src.edges[~ends.any(axis=1)]),
                comments=tuple(c for c in src.comments if c.node_id not in ids),
                branchpoints=tuple(b for b in src.branchpoints if b.node_id not in ids),
            )
        )
        self.trees[dst.id] = TreeEdit(
            dataclasses.replace(
                dst,
                nodes=NodeTable.concat([dst.nodes, src.nodes.take(moving)]),
                edges=edge_array([*dst.edges.tolist(), *src.edges[ends.all(axis=1)].tolist()]),
                comments=dst.comments + tuple(c for c in src.comments if c.node_id in ids),
                branchpoints=dst.branchpoints + tuple(b for b in src.branchpoints if b.node_id in ids),
            )
        )
        for nid in ids:
            self.added[nid] = dst.id

    # --- nodes and edges ---------------------------------------------------------------------------------
    def create_node(self, v: dict[str, Any]) -> None:
        edit = self.edit(av.get(v, "treeId"))
        nid = av.as_int(av.get(v, "id", "nodeId"), "id")
        if self.tree_of(nid) is not None:
            raise BadValue(f"node {nid} already exists")
        fields = av.node_fields(v)
        if "x" not in fields:
            raise BadValue("missing field 'position'")
        edit.add_node({"id": nid, **fields})
        self.added[nid] = edit.base.id

    def update_node(self, v: dict[str, Any]) -> None:
        edit = self.edit(av.get(v, "treeId"))
        nid = self.node_in(edit, av.get(v, "id", "nodeId"))
        edit.update_node(nid, av.node_fields(v))

    def delete_node(self, v: dict[str, Any]) -> None:
        edit = self.edit(av.get(v, "treeId"))
        edit.delete_node(self.node_in(edit, av.get(v, "nodeId", "id")))

    def create_edge(self, v: dict[str, Any]) -> None:
        edit = self.edit(av.get(v, "treeId"))
        source = self.node_in(edit, av.get(v, "source"), "source")
        target = self.node_in(edit, av.get(v, "target"), "target")
        if source == target:
            raise BadValue("an edge cannot connect a node to itself")
        if edit.has_edge(source, target) or edit.has_edge(target, source):
            raise BadValue(f"the edge {source}-{target} already exists")
        edit.add_edge(source, target)

    def delete_edge(self, v: dict[str, Any]) -> None:
        edit = self.edit(av.get(v, "treeId"))
        source, target = av.as_int(av.get(v, "source"), "source"), av.as_int(av.get(v, "target"), "target")
        if not edit.delete_edge(source, target):
            raise BadValue(f"tree {edit.base.id} has no edge {source}-{target}")

    # --- skeleton-wide -----------------------------------------------------------------------------------
    def update_tree_groups(self, v: dict[str, Any]) -> None:
        self.fields["tree_groups"] = av.groups(av.get(v, "treeGroups"))

    def update_active_node(self, v: dict[str, Any]) -> None:
        node = v.get("activeNode", v.get("nodeId"))
        if node is not None:
            node = av.as_int(node, "activeNode")
            if self.tree_of(node) is None:
                raise BadValue(f"node {node} does not exist")
        self.fields["active_node_id"] = node

    def update_user_bounding_boxes(self, v: dict[str, Any]) -> None:
        raw = av.get(v, "boundingBoxes")
        if not isinstance(raw, list):
            raise BadValue("boundingBoxes must be a list")
        boxes = tuple(av.bounding_box(b) for b in raw)
        if len({b.id for b in boxes}) != len(boxes):
            raise BadValue("a bounding box id is used twice")
        self.fields["bounding_boxes"] = boxes

    def update_skeleton_tracing(self, v: dict[str, Any]) -> None:
        """webKnossos' `updateSkeletonTracing`: active node and the stored view (position, rotation, zoom)."""
        if "activeNode" in v:
            self.update_active_node({"activeNode": v["activeNode"]})
        params = self.fields.get("parameters", self.base.parameters)
        changes: dict[str, Any] = {}
        if v.get("editPosition") is not None:
            changes["edit_position"] = av.as_vec(v["editPosition"], "editPosition")
        if v.get("editRotation") is not None:
            changes["edit_rotation"] = av.as_vec(v["editRotation"], "editRotation")
        if v.get("zoomLevel") is not None:
            changes["zoom_level"] = av.as_float(v["zoomLevel"], "zoomLevel")
        self.fields["parameters"] = dataclasses.replace(params, **changes)

    def result(self) -> Skeleton:
        trees = {tid: t.build() if isinstance(t, TreeEdit) else t for tid, t in self.trees.items()}
        return dataclasses.replace(self.base, trees=trees, _cache={}, **self.fields)


def _group_id(tree: Tree | TreeEdit) -> int | None:
    if isinstance(tree, TreeEdit):
        return tree.fields.get("group_id", tree.base.group_id)
    return tree.group_id


def _group_and_descendants(groups: Sequence[Group], root: int | None) -> set[int]:
    """The ids of group `root` and of every group under it (of every group for None); empty if it is missing."""
    found: set[int] = set()

    def walk(level: Sequence[Group], inside: bool) -> None:
        for g in level:
            here = inside or g.id == root
            if here:
                found.add(g.id)
            walk(g.children, here)

    walk(groups, root is None)
    return found


def _expand(groups: Sequence[Group], ids: set[int], expanded: bool) -> tuple[Group, ...]:
    return tuple(
        dataclasses.replace(
            g,
            is_expanded=expanded if g.id in ids else g.is_expanded,
            children=_expand(g.children, ids, expanded),
        )
        for g in groups
    )


def _metadata(raw: Any) -> tuple[dict[str, str], ...]:
    if not isinstance(raw, list) or not all(isinstance(e, dict) and "key" in e for e in raw):
        raise BadValue("metadata must be a list of {key, …} objects")
    return tuple({str(k): str(val) for k, val in e.items()} for e in raw)


HANDLERS: dict[str, Callable[[_Batch, dict[str, Any]], None]] = {
    "createTree": _Batch.create_tree,
    "deleteTree": _Batch.delete_tree,
    "updateTree": _Batch.update_tree,
    "mergeTree": _Batch.merge_tree,
    "moveTreeComponent": _Batch.move_tree_component,
    "createNode": _Batch.create_node,
    "updateNode": _Batch.update_node,
    "deleteNode": _Batch.delete_node,
    "createEdge": _Batch.create_edge,
    "deleteEdge": _Batch.delete_edge,
    "updateTreeGroups": _Batch.update_tree_groups,
    "updateTreeVisibility": _Batch.update_tree_visibility,
    "updateTreeGroupVisibility": _Batch.update_tree_group_visibility,
    "updateTreeGroupsExpandedState": _Batch.update_tree_groups_expanded_state,
    "updateActiveNode": _Batch.update_active_node,
    "updateUserBoundingBoxes": _Batch.update_user_bounding_boxes,
    "updateSkeletonTracing": _Batch.update_skeleton_tracing,
}


def apply_actions(skeleton: Skeleton, actions: Sequence[dict[str, Any]]) -> Skeleton:
    """Apply `actions` ([{name, value}, …]) in order; all or nothing. Raises UpdateActionError."""
    if len(actions) > MAX_ACTIONS:
        raise UpdateActionError(MAX_ACTIONS, f"at most {MAX_ACTIONS} actions per batch")
    batch = _Batch(skeleton)
    for index, action in enumerate(actions):
        try:
            name, value = _unpack(action)
            HANDLERS[name](batch, value)
        except BadValue as exc:
            raise UpdateActionError(index, str(exc)) from None
    return batch.result()


def _unpack(action: Any) -> tuple[str, dict[str, Any]]:
    if not isinstance(action, dict):
        raise BadValue("an action must be an object {name, value}")
    name, value = action.get("name"), action.get("value")
    if name not in HANDLERS:
        raise BadValue(f"unknown action {name!r}")
    if not isinstance(value, dict):
        raise BadValue(f"{name}: value must be an object")
    return name, value
