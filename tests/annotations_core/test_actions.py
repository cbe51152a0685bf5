"""Update actions: each kind, error index, atomicity, and that the input skeleton is never changed."""

from __future__ import annotations

import pytest

from tests.annotations_core.core_data import synthetic_skeleton
from voxelhub.annotations.skeleton.actions import UpdateActionError, apply_actions
from voxelhub.annotations.skeleton.snapshot import from_snapshot_bytes, to_snapshot_bytes


def act(action_name, **value):
    return {"name": action_name, "value": value}


@pytest.fixture
def sk():
    return synthetic_skeleton(trees=3, nodes_per_tree=5)  # nodes 1-5, 6-10, 11-15


def test_create_tree_node_edge_and_comment(sk):
    new = apply_actions(
        sk,
        [
            act("createTree", id=9, name="new", color=[1, 0, 0], groupId=2, comments=[], branchPoints=[]),
            act(
                "createNode",
                id=100,
                treeId=9,
                position=[1, 2, 3.5],
                radius=2,
                rotation=[0, 0, 90],
                viewport=1,
                mag=2,
                bitDepth=8,
                interpolation=True,
                timestamp=77,
            ),
            act("createNode", id=101, treeId=9, position=[4, 5, 6]),
            act("createEdge", treeId=9, source=100, target=101),
            act(
                "updateTree",
                id=9,
                comments=[{"nodeId": 101, "content": "hi"}],
                branchPoints=[{"nodeId": 100, "timestamp": 5}],
            ),
        ],
    )
    tree = new.trees[9]
    assert tree.color == (1.0, 0.0, 0.0, 1.0) and tree.group_id == 2
    assert tree.nodes.row(0) == {
        "id": 100,
        "x": 1.0,
        "y": 2.0,
        "z": 3.5,
        "radius": 2.0,
        "rot_x": 0.0,
        "rot_y": 0.0,
        "rot_z": 90.0,
        "viewport": 1,
        "mag": 2,
        "bit_depth": 8,
        "interpolation": True,
        "time": 77,
    }
    assert tree.edges.tolist() == [[100, 101]]
    assert tree.comments[0].content == "hi" and tree.branchpoints[0].time == 5
    assert 9 not in sk.trees and new.trees[1] is sk.trees[1]  # untouched trees are shared


def test_update_and_delete_node_take_edges_and_comments(sk):
    new = apply_actions(
        sk,
        [
            act("updateNode", id=2, treeId=1, position=[9, 9, 9], radius=3),
            act("deleteNode", nodeId=1, treeId=1),
        ],
    )
    tree = new.trees[1]
    assert tree.nodes.ids.tolist() == [2, 3, 4, 5]
    assert tree.nodes.row(0)["x"] == 9.0 and tree.nodes.row(0)["radius"] == 3.0
    assert [1, 2] not in tree.edges.tolist() and tree.comments == ()
    assert sk.trees[1].nodes.ids.tolist() == [1, 2, 3, 4, 5] and sk.trees[1].comments


def test_delete_edge_either_direction_and_merge(sk):
    new = apply_actions(
        sk,
        [
            act("deleteEdge", treeId=1, source=2, target=1),
            act("mergeTree", sourceId=2, targetId=1),
            act("createEdge", treeId=1, source=5, target=6),
            act("updateActiveNode", activeNode=7),
        ],
    )
    assert list(new.trees) == [1, 3]
    tree = new.trees[1]
    assert tree.nodes.ids.tolist() == list(range(1, 11))
    assert [1, 2] not in tree.edges.tolist() and [5, 6] in tree.edges.tolist()
    assert {c.node_id for c in tree.comments} == {1, 6} and new.active_node_id == 7


def test_groups_bounding_boxes_and_view(sk):
    new = apply_actions(
        sk,
        [
            act(
                "updateTreeGroups",
                treeGroups=[
                    {"groupId": 5, "name": "a", "children": [{"groupId": 6, "name": "b", "children": []}]}
                ],
            ),
            act(
                "updateUserBoundingBoxes",
                boundingBoxes=[
                    {
                        "id": 1,
                        "name": "bb",
                        "color": [0, 1, 0, 1],
                        "isVisible": True,
                        "topLeft": [1, 2, 3],
                        "width": 4,
                        "height": 5,
                        "depth": 6,
                    },
                    {"id": 2, "boundingBox": {"topLeft": [0, 0, 0], "width": 1, "height": 1, "depth": 1}},
                ],
            ),
            act("updateSkeletonTracing", activeNode=3, editPosition=[1, 2, 3], zoomLevel=1.5),
            act("deleteTree", id=3),
        ],
    )
    assert new.tree_groups[0].children[0].id == 6
    assert [b.size for b in new.bounding_boxes] == [(4, 5, 6), (1, 1, 1)]
    assert new.parameters.edit_position == (1.0, 2.0, 3.0) and new.active_node_id == 3
    assert 3 not in new.trees and not new.has_node(11)


def test_merged_tree_nodes_are_found_in_later_actions(sk):
    new = apply_actions(
        sk, [act("mergeTree", sourceId=2, targetId=1), act("updateNode", id=7, treeId=1, radius=9)]
    )
    assert new.trees[1].nodes.row(6)["radius"] == 9.0


@pytest.mark.parametrize(
    "bad, message",
    [
        (act("createTree", id=1, name="dup"), "tree 1 already exists"),
        (act("deleteTree", id=99), "tree 99 does not exist"),
        (act("updateTree", id=99, name="x"), "tree 99"),
        (act("mergeTree", sourceId=1, targetId=99), "tree 99"),
        (act("createNode", id=3, treeId=2, position=[0, 0, 0]), "node 3 already exists"),
        (act("createNode", id=300, treeId=2), "position"),
        (act("createNode", id=300, treeId=2, position=[0, "a", 0]), "position"),
        (act("createNode", id=300, treeId=2, position=[0, 0, float("nan")]), "finite"),
        (act("updateNode", id=3, treeId=2, radius=1), "not a node of tree 2"),
        (act("deleteNode", nodeId=999, treeId=1), "999"),
        (act("createEdge", treeId=1, source=1, target=6), "not a node of tree 1"),
        (act("createEdge", treeId=1, source=1, target=2), "already exists"),
        (act("deleteEdge", treeId=1, source=1, target=3), "no edge"),
        (act("updateActiveNode", activeNode=12345), "does not exist"),
        (act("updateTree", id=1, comments=[{"nodeId": 6, "content": "x"}]), "not a node of tree 1"),
        (act("updateTreeGroups", treeGroups=[{"groupId": 1}, {"groupId": 1}]), "used twice"),
        (act("updateUserBoundingBoxes", boundingBoxes=[{"id": 1}]), "topLeft"),
        ({"name": "dropDatabase", "value": {}}, "unknown action"),
        ({"name": "createTree", "value": [1]}, "must be an object"),
        (act("createTree", id=True), "integer"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_action_rejects_the_batch_with_its_index(sk, bad, message):
    before = to_snapshot_bytes(sk)
    good = [act("createTree", id=50, name="ok"), act("createNode", id=500, treeId=50, position=[1, 1, 1])]
    with pytest.raises(UpdateActionError, match=message) as err:
        apply_actions(sk, [*good, bad])
    assert err.value.index == 2 and "action 2: " in str(err.value)
    assert to_snapshot_bytes(sk) == before and 50 not in sk.trees
    assert from_snapshot_bytes(before).equals(sk)


def test_node_deleted_then_recreated_in_one_batch(sk):
    new = apply_actions(
        sk, [act("deleteNode", nodeId=1, treeId=1), act("createNode", id=1, treeId=2, position=[0, 0, 0])]
    )
    assert new.node_tree_id(1) == 2


def test_many_actions_on_one_tree_stay_linear():
    big = synthetic_skeleton(trees=1, nodes_per_tree=50_000)
    actions = [act("updateNode", id=i, treeId=1, radius=2.0) for i in range(1, 5001)]
    actions += [act("createNode", id=100_000 + i, treeId=1, position=[i, i, i]) for i in range(5000)]
    new = apply_actions(big, actions)
    assert new.node_count == 55_000 and new.trees[1].nodes.columns["radius"][:5000].tolist() == [2.0] * 5000


def _grouped(sk):
    """Groups 1 > 2 and 3; tree 1 in group 1, tree 2 in group 2 (under 1), tree 3 in group 3."""
    groups = [
        {"groupId": 1, "name": "a", "children": [{"groupId": 2, "name": "b", "children": []}]},
        {"groupId": 3, "name": "c", "children": []},
    ]
    return apply_actions(
        sk,
        [
            act("updateTreeGroups", treeGroups=groups),
            act("updateTree", id=1, groupId=1),
            act("updateTree", id=2, groupId=2),
            act("updateTree", id=3, groupId=3),
        ],
    )


def test_update_tree_visibility(sk):
    new = apply_actions(sk, [act("updateTreeVisibility", treeId=2, isVisible=False)])
    # (None: the file never said; shown)
    assert new.trees[2].is_visible is False and new.trees[1].is_visible is not False
    assert sk.trees[2].is_visible is not False  # the input is never changed
    again = apply_actions(new, [act("updateTreeVisibility", treeId=2, isVisible=True)])
    assert again.trees[2].is_visible is True


def test_update_tree_group_visibility_covers_subgroups(sk):
    sk = _grouped(sk)
    new = apply_actions(sk, [act("updateTreeGroupVisibility", treeGroupId=1, isVisible=False)])
    assert [new.trees[t].is_visible is False for t in (1, 2, 3)] == [True, True, False]
    inner = apply_actions(sk, [act("updateTreeGroupVisibility", treeGroupId=2, isVisible=False)])
    assert [inner.trees[t].is_visible is False for t in (1, 2, 3)] == [False, True, False]
    # No group: every tree, including one created in the same batch.
    everything = apply_actions(
        sk,
        [
            act("createTree", id=9, name="n"),
            act("updateTreeGroupVisibility", treeGroupId=None, isVisible=False),
        ],
    )
    assert all(t.is_visible is False for t in everything.trees.values())


def test_update_tree_groups_expanded_state(sk):
    sk = _grouped(sk)
    new = apply_actions(sk, [act("updateTreeGroupsExpandedState", groupIds=[2, 3], areExpanded=False)])
    outer, third = new.tree_groups
    assert outer.is_expanded is None and outer.children[0].is_expanded is False and third.is_expanded is False


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (act("updateTreeVisibility", treeId=99, isVisible=False), "tree 99"),
        (act("updateTreeVisibility", treeId=1, isVisible="no"), "isVisible"),
        (act("updateTreeVisibility", treeId=1), "isVisible"),
        (act("updateTreeGroupVisibility", treeGroupId=42, isVisible=False), "group 42 does not exist"),
        (act("updateTreeGroupVisibility", treeGroupId="x", isVisible=False), "treeGroupId"),
        (act("updateTreeGroupsExpandedState", groupIds=[7], areExpanded=True), "group 7 does not exist"),
        (act("updateTreeGroupsExpandedState", groupIds=1, areExpanded=True), "must be a list"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_visibility_and_group_actions_are_refused(sk, bad, message):
    sk = _grouped(sk)
    with pytest.raises(UpdateActionError, match=message):
        apply_actions(sk, [bad])


def test_move_tree_component_splits_a_tree(sk):
    """Tree 1 is the chain 1-2-3-4-5: with node 3 deleted, nodes 4 and 5 move to a new tree (webKnossos' split)."""
    sk = apply_actions(
        sk,
        [
            act(
                "updateTree",
                id=1,
                comments=[{"nodeId": 5, "content": "tip"}, {"nodeId": 1, "content": "root"}],
            ),
            act("updateTree", id=1, branchPoints=[{"nodeId": 4, "timestamp": 3}]),
        ],
    )
    new = apply_actions(
        sk,
        [
            act("deleteNode", nodeId=3, treeId=1),
            act("createTree", id=9, name="split"),
            act("moveTreeComponent", sourceId=1, targetId=9, nodeIds=[4, 5]),
            act("updateActiveNode", activeNode=5),
            act("createNode", id=100, treeId=9, position=[1, 1, 1]),
            act("createEdge", treeId=9, source=5, target=100),
        ],
    )
    one, nine = new.trees[1], new.trees[9]
    assert sorted(one.nodes.ids.tolist()) == [1, 2] and one.edges.tolist() == [[1, 2]]
    assert sorted(nine.nodes.ids.tolist()) == [4, 5, 100]
    assert sorted(map(tuple, nine.edges.tolist())) == [(4, 5), (5, 100)]
    assert [c.content for c in one.comments] == ["root"] and [c.content for c in nine.comments] == ["tip"]
    assert [b.node_id for b in nine.branchpoints] == [4] and one.branchpoints == ()
    assert new.active_node_id == 5
    # Moved back, the edges between the parts are gone: only the nodes' own edges travel.
    back = apply_actions(new, [act("moveTreeComponent", sourceId=9, targetId=1, nodeIds=[5])])
    assert sorted(back.trees[1].nodes.ids.tolist()) == [1, 2, 5] and back.trees[9].edges.tolist() == []


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (act("moveTreeComponent", sourceId=1, targetId=1, nodeIds=[1]), "own tree"),
        (act("moveTreeComponent", sourceId=1, targetId=2, nodeIds=[6]), "not a node of tree 1"),
        (act("moveTreeComponent", sourceId=1, targetId=2, nodeIds=[]), "non-empty list"),
        (act("moveTreeComponent", sourceId=1, targetId=99, nodeIds=[1]), "tree 99"),
    ],
    ids=lambda v: v if isinstance(v, str) else None,
)
def test_bad_move_tree_component_is_refused(sk, bad, message):
    with pytest.raises(UpdateActionError, match=message):
        apply_actions(sk, [bad])
