"""Shared test data: where the webknossos-libs fixtures are, and a builder of synthetic skeletons."""

from __future__ import annotations

import numpy as np

from tests.fixture_files import FIXTURES
from voxelhub.annotations.skeleton.model import (
    NODE_COLUMNS,
    BoundingBox,
    BranchPoint,
    Comment,
    Group,
    NodeTable,
    Parameters,
    Skeleton,
    Tree,
    edge_array,
)

NML_FILES = sorted(FIXTURES.glob("**/*.nml"))
ZIP_FILES = sorted((FIXTURES / "annotations").glob("*.zip"))


def chain_tree(tree_id: int, first_node: int, count: int, seed: int = 0) -> Tree:
    """A tree of `count` nodes in a chain, with varied attribute values."""
    rng = np.random.default_rng(seed)
    ids = np.arange(first_node, first_node + count, dtype=np.int64)
    cols = {
        "id": ids,
        "x": rng.integers(0, 10_000, count).astype(float),
        "y": rng.random(count) * 1000,
        "z": rng.integers(0, 500, count).astype(float),
        "radius": rng.random(count) * 10,
        "rot_x": rng.random(count),
        "rot_y": np.zeros(count),
        "rot_z": rng.random(count) * 360,
        "viewport": rng.integers(0, 4, count),
        "mag": rng.integers(0, 5, count),
        "bit_depth": np.full(count, 8),
        "interpolation": rng.random(count) < 0.5,
        "time": rng.integers(1_600_000_000_000, 1_700_000_000_000, count),
    }
    nodes = NodeTable({k: np.asarray(v, dtype=NODE_COLUMNS[k]) for k, v in cols.items()})
    edges = edge_array(np.stack([ids[:-1], ids[1:]], axis=1)) if count > 1 else edge_array([])
    comments = (Comment(int(ids[0]), 'first & "quoted" <node>'),) if count else ()
    bps = (BranchPoint(int(ids[-1]), 42),) if count else ()
    return Tree(
        id=tree_id,
        name=f"tree {tree_id}",
        color=(0.1, 0.2, 0.3, 1.0),
        group_id=1,
        nodes=nodes,
        edges=edges,
        comments=comments,
        branchpoints=bps,
    )


def synthetic_skeleton(trees: int = 3, nodes_per_tree: int = 5) -> Skeleton:
    built = {
        t: chain_tree(t, 1 + (t - 1) * nodes_per_tree, nodes_per_tree, seed=t) for t in range(1, trees + 1)
    }
    return Skeleton(
        trees=built,
        tree_groups=(Group(1, "g1", True, (Group(2, "g2"),)),),
        active_node_id=1,
        bounding_boxes=(BoundingBox(1, (1, 2, 3), (10, 20, 30), "box", (1.0, 0.0, 0.0, 1.0), False),),
        parameters=Parameters(
            experiment=(("name", "ds"), ("organization", "org")),
            scale=(11.24, 11.24, 28.0),
            unit="nanometer",
            offset=(0.0, 0.0, 0.0),
            time=123,
            edit_position=(1.0, 2.0, 3.0),
            edit_rotation=(0.0, 0.0, 0.0),
            zoom_level=2.0,
        ),
        meta=(("writer", "test"),),
    )
