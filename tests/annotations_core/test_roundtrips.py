"""Random skeletons survive NML export/import, snapshots and viewer JSON unchanged (hypothesis)."""

from __future__ import annotations

import numpy as np
import orjson
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.annotations_core.core_data import synthetic_skeleton
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.annotations.nml.writer import write_nml_bytes
from voxelhub.annotations.skeleton.model import (
    NODE_COLUMNS,
    BoundingBox,
    BranchPoint,
    Comment,
    Group,
    NodeTable,
    Parameters,
    Segment,
    Skeleton,
    Tree,
    VolumeLayer,
    edge_array,
)
from voxelhub.annotations.skeleton.snapshot import from_snapshot_bytes, to_snapshot_bytes
from voxelhub.annotations.skeleton.viewer_json import to_json_bytes, to_json_dict

text = st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t&<>\"'"), max_size=20)
finite = st.floats(allow_nan=False, allow_infinity=False, width=64)
coord = st.one_of(st.integers(-(10**9), 10**9).map(float), finite)
color = st.tuples(*[st.floats(0, 1)] * 4)


@st.composite
def trees(draw, tree_id: int, first: int) -> Tree:
    n = draw(st.integers(0, 6))
    ids = np.arange(first, first + n, dtype=np.int64)
    cols = {"id": ids}
    for name, dtype in NODE_COLUMNS.items():
        if name == "id":
            continue
        if dtype.kind == "f":
            cols[name] = np.array(draw(st.lists(coord, min_size=n, max_size=n)), dtype=dtype)
        elif dtype.kind == "b":
            cols[name] = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        else:
            cols[name] = np.array(
                draw(st.lists(st.integers(-1000, 2**31 - 1), min_size=n, max_size=n)), dtype
            )
    edges = [(int(ids[i - 1]), int(ids[i])) for i in range(1, n)]
    nodes = ids.tolist()
    comments = tuple(Comment(i, draw(text)) for i in nodes if draw(st.booleans()))
    bps = tuple(BranchPoint(i, draw(st.integers(0, 2**40))) for i in nodes if draw(st.booleans()))
    return Tree(
        id=tree_id,
        name=draw(text),
        color=draw(st.none() | color),
        group_id=draw(st.none() | st.integers(0, 9)),
        type=draw(st.none() | st.sampled_from(["DEFAULT", "AGGLOMERATE"])),
        metadata=draw(
            st.lists(st.fixed_dictionaries({"key": text, "stringValue": text}), max_size=2).map(tuple)
        ),
        nodes=NodeTable(cols),
        edges=edge_array(edges),
        comments=comments,
        branchpoints=bps,
        is_visible=draw(st.none() | st.booleans()),
    )


@st.composite
def skeletons(draw) -> Skeleton:
    count = draw(st.integers(0, 4))
    built = {}
    for t in draw(st.permutations(list(range(1, count + 1)))):
        built[t] = draw(trees(t, t * 100))
    vec = st.tuples(coord, coord, coord)
    scale = draw(st.none() | vec)
    params = Parameters(
        experiment=draw(
            st.lists(
                st.tuples(st.sampled_from(["name", "organization", "datasetId"]), text),
                max_size=3,
                unique_by=lambda kv: kv[0],
            ).map(tuple)
        ),
        scale=scale,
        unit=None if scale is None else draw(st.none() | st.sampled_from(["nm", "µm"])),
        edit_position=draw(st.none() | vec),
        zoom_level=draw(st.none() | finite),
        time=draw(st.none() | st.integers(0, 2**50)),
    )
    box = st.builds(
        BoundingBox,
        id=st.integers(0, 99),
        top_left=st.tuples(*[st.integers(-99, 99)] * 3),
        size=st.tuples(*[st.integers(0, 99)] * 3),
        name=text,
        color=st.none() | color,
        is_visible=st.booleans(),
    )
    segment = st.builds(
        Segment,
        id=st.integers(1, 10**12),
        name=st.none() | text,
        anchor_position=st.none() | vec,
        created=st.none() | st.integers(0, 2**45),
    )
    volume = st.builds(
        VolumeLayer,
        id=st.just(0),
        name=st.none() | text,
        location=st.none() | text,
        largest_segment_id=st.none() | st.integers(0, 2**40),
        segments=st.lists(segment, max_size=3, unique_by=lambda s: s.id).map(tuple),
    )
    return Skeleton(
        trees=built,
        parameters=params,
        active_node_id=draw(st.none() | st.integers(1, 500)),
        tree_groups=(Group(1, draw(text), draw(st.none() | st.booleans()), (Group(2, "child"),)),),
        bounding_boxes=tuple(draw(st.lists(box, max_size=2))),
        meta=tuple(draw(st.lists(st.tuples(text, text), max_size=2))),
        volumes=tuple(draw(st.lists(volume, max_size=1))),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skeletons())
def test_nml_round_trip_loses_nothing(sk):
    assert read_nml(write_nml_bytes(sk)).equals(sk)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(skeletons())
def test_snapshot_round_trip_and_json_paths_agree(sk):
    assert from_snapshot_bytes(to_snapshot_bytes(sk)).equals(sk)
    assert orjson.loads(to_json_bytes(sk, version=4)) == orjson.loads(
        orjson.dumps(to_json_dict(sk, version=4))
    )


def test_viewer_json_shape():
    doc = orjson.loads(to_json_bytes(synthetic_skeleton(trees=2, nodes_per_tree=3), version=7))
    assert doc["version"] == 7 and doc["activeNodeId"] == 1
    node = doc["trees"][0]["nodes"][0]
    assert set(node) == {
        "id",
        "position",
        "radius",
        "rotation",
        "viewport",
        "mag",
        "bitDepth",
        "interpolation",
        "timestamp",
    }
    assert doc["trees"][0]["edges"][0] == {"source": 1, "target": 2}
    assert doc["comments"][0]["nodeId"] == 1 and doc["branchpoints"][0] == {"nodeId": 3, "timestamp": 42}
    assert doc["groups"] == doc["treeGroups"] and doc["groups"][0]["children"][0]["groupId"] == 2
    assert doc["userBoundingBoxes"][0]["topLeft"] == [1, 2, 3]
