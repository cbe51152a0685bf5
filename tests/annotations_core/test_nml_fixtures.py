"""Every NML and annotation zip that webKnossos or its Python library wrote imports, and re-exports losslessly."""

from __future__ import annotations

import io

import pytest

from tests.annotations_core.core_data import FIXTURES, NML_FILES, ZIP_FILES
from voxelhub.annotations.nml.annotation_zip import read_annotation_zip
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.annotations.nml.writer import write_nml, write_nml_bytes


def test_fixture_lists_are_not_empty():
    assert len(NML_FILES) >= 6 and len(ZIP_FILES) >= 7


@pytest.mark.parametrize("path", NML_FILES, ids=lambda p: p.name)
def test_nml_fixture_round_trips(path):
    skeleton = read_nml(path)
    again = read_nml(write_nml_bytes(skeleton))
    assert again.equals(skeleton)


@pytest.mark.parametrize("path", ZIP_FILES, ids=lambda p: p.name)
def test_zip_fixture_imports_and_round_trips(path):
    annotation = read_annotation_zip(path)
    assert read_nml(write_nml_bytes(annotation.skeleton)).equals(annotation.skeleton)


def test_server_written_nml_reads_every_attribute():
    sk = read_nml(FIXTURES / "nmls" / "test_a.nml")
    assert sk.parameters.unit == "micrometer" and sk.parameters.scale == (4.0, 4.0, 35.0)
    assert sk.parameters.experiment_attr("organization") == "orga"
    assert sk.parameters.time == 1644425515615 and sk.parameters.zoom_level == 2.0
    assert sk.active_node_id == 3
    assert [t.id for t in sk.trees.values()] == [3, 2, 1]
    assert sk.tree_groups[0].name == "Group 1" and sk.tree_groups[0].children[0].id == 2
    tree = sk.trees[3]
    assert tree.group_id == 2 and tree.color == (
        0.8509804010391235,
        0.5215686559677124,
        0.07058823853731155,
        1.0,
    )
    node = tree.nodes.row(0)
    assert node == {
        "id": 3,
        "x": 199480.0,
        "y": 199906.0,
        "z": 3593.0,
        "radius": 1.0,
        "rot_x": 0.0,
        "rot_y": 0.0,
        "rot_z": 0.0,
        "viewport": 0,
        "mag": 1,
        "bit_depth": 8,
        "interpolation": True,
        "time": 1644425546725,
    }
    assert sk.trees[1].group_id is None


def test_comments_branchpoints_and_groups_of_library_nml():
    sk = read_nml(FIXTURES / "nmls" / "nml_with_small_distance_nodes.nml")
    comments = {c.node_id: c.content for t in sk.trees.values() for c in t.comments}
    assert comments[2] == "hax0r"
    assert {b.node_id: b.time for t in sk.trees.values() for b in t.branchpoints}[4] == 1337
    assert sk.node_count == 22 and sk.edge_count == 18


def test_volume_descriptor_with_segments():
    sk = read_nml(FIXTURES / "annotations" / "nml_with_volumes.nml")
    (volume,) = sk.volumes
    assert (volume.id, volume.name, volume.fallback_layer, volume.largest_segment_id) == (
        0,
        "segmentation",
        "segmentation",
        2504698,
    )
    (segment,) = volume.segments
    assert segment.name == "test_segment" and segment.created == 1666187488227
    assert segment.anchor_position == (3581.0, 3585.0, 1024.0)
    assert [m for m in sk.meta if m[0] == "annotationId"] == [("annotationId", "635000ac0100007800c91264")]


def test_user_bounding_boxes():
    sk = read_annotation_zip(FIXTURES / "annotations" / "bounding-boxes-example.zip").skeleton
    first, second = sk.bounding_boxes
    assert first.top_left == (2371, 4063, 1676) and first.size == (891, 579, 232) and first.is_visible
    assert not second.is_visible and second.name == "Bounding box 2"


EXACT = b"""<things><parameters><experiment name="d" datasetId="66a0f1c2e1000012ab34cd56" description="a &amp; b"/>
<scale x="1.5" y="1" z="2" unit="nanometer"/>
<userBoundingBox id="7" topLeftX="1" topLeftY="2" topLeftZ="3" width="4" height="5" depth="6"/>
<taskBoundingBox topLeftX="0" topLeftY="0" topLeftZ="0" width="10" height="10" depth="10"/></parameters>
<thing id="1" name="a&quot;b" type="AGGLOMERATE"><nodes>
<node id="1" x="3662.0" y="0.25" z="-7" interpolation="false" radius="1.2000000476837158"/>
<node id="2" x="1e3" y="2" z="3" interpolation="true"/></nodes>
<edges><edge source="2" target="1"/></edges>
<metadata><metadataEntry key="k" stringValue="v"/><metadataEntry key="n" numberValue="5"/></metadata></thing>
<volume id="0" name="v" format="zarr3" hasSegmentIndex="true"><segments><segment id="3" color.r="1" color.g="0"
color.b="0" color.a="1"/></segments><groups><group id="1" name="sg"><group id="2" name="sub"/></group></groups></volume>
</things>"""


def test_values_are_read_exactly_and_survive_export():
    sk = read_nml(EXACT)
    tree = sk.trees[1]
    assert tree.name == 'a"b' and tree.type == "AGGLOMERATE"
    assert tree.nodes.row(0)["x"] == 3662.0 and tree.nodes.row(0)["y"] == 0.25
    assert tree.nodes.row(0)["radius"] == 1.2000000476837158
    assert tree.nodes.columns["interpolation"].tolist() == [False, True]
    assert tree.metadata == ({"key": "k", "stringValue": "v"}, {"key": "n", "numberValue": "5"})
    assert sk.parameters.experiment_attr("description") == "a & b"
    assert sk.parameters.task_bounding_box is not None and sk.bounding_boxes[0].id == 7
    assert (
        sk.volumes[0].extra == (("hasSegmentIndex", "true"),) and sk.volumes[0].groups[0].children[0].id == 2
    )
    buf = io.BytesIO()
    write_nml(sk, buf)
    assert read_nml(buf.getvalue()).equals(sk)


def test_export_puts_elements_in_spec_order():
    text = write_nml_bytes(read_nml(FIXTURES / "nmls" / "test_a.nml")).decode()
    order = [
        "<parameters>",
        "<experiment",
        "<scale",
        "<offset",
        "<time",
        "<editPosition",
        "<editRotation",
        "<zoomLevel",
        "<activeNode",
        "<thing ",
        "<branchpoints>",
        "<comments>",
        "<groups>",
    ]
    positions = [text.index(tag) for tag in order]
    assert positions == sorted(positions)
