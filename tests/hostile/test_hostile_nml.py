"""Hostile NMLs and saves (issue 11, hole 2): each is refused with a 400 naming its line (or a 413 for a body over
the cap), creates or changes nothing, and leaves the server answering. Parsing work is bounded by the limits:
the reader stops at a cap after reading a bounded number of bytes, whatever the size of the rest of the file,
and never builds an element with more attributes than allowed (lxml's element creation is quadratic in them)."""

from __future__ import annotations

import asyncio
import io
import random
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from tests.annotations.test_annotation_content import annotation_count, node, team_member_on_dataset
from voxelhub.annotations.nml import sax_reader as nml_sax
from voxelhub.annotations.nml.limits import TagLengthGuard
from voxelhub.annotations.nml.reader import NmlError, NmlLimits, read_nml
from voxelhub.annotations.nml.tree_columns import CHUNK
from voxelhub.api import request_body
from voxelhub.api.routes import annotation_content, annotation_volumes
from voxelhub.settings import Settings

# Count limits small enough to reach in a test; attribute and depth limits stay at their defaults.
SMALL_COUNTS = {
    "nml_max_trees": 10,
    "nml_max_nodes": 1000,
    "nml_max_edges": 1000,
    "nml_max_comments": 10,
    "nml_max_small_elements": 300,
    "max_update_actions": 50,
    "max_save_body_bytes": 64 * 1024,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.with_overrides(**SMALL_COUNTS)


@pytest.fixture
def setup(app, session_factory):  # type: ignore[no-untyped-def]
    _, dataset_id, owner = team_member_on_dataset(app, session_factory)
    return dataset_id, owner


def attrs(count: int) -> str:
    return " ".join(f'a{i}="{i}"' for i in range(count))


def things(body: str) -> bytes:
    """An NML whose second line is `body` (so a problem on the first element of `body` is on line 2)."""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{body}\n</things>'.encode()


TREE = '<things>\n<thing id="1"><nodes>\n<node id="1" x="1" y="2" z="3"/></nodes>'
NODE_LINE3 = '<things>\n<thing id="1"><nodes>\n<node id="1" y="2" z="3" {}/></nodes></thing>'
LAUGHS = (
    '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    '<things><meta name="x" content="&lol2;"/>'
)
XXE = '<!DOCTYPE things [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><things><meta name="x" content="&xxe;"/>'


def nested_groups(levels: int) -> str:
    return (
        "<things>\n<groups>"
        + "".join(f'<group id="{i}">' for i in range(levels))
        + "</group>" * levels
        + "</groups>"
    )


HOSTILE: dict[str, tuple[bytes, int, str]] = {
    # name: (upload, the line the answer names, a word of the message)
    # 200,000 attributes: 2.6 MB in one tag, refused on the raw bytes before libxml2 parses the tag.
    "200k attributes on a thing": (
        things(f'<things>\n<thing id="1" {attrs(200_000)}><nodes/></thing>'),
        3,
        "longer than 1048576 bytes",
    ),
    "2 MB of text between tags": (things("<things>\n" + "x" * 2_000_000), 2, "longer than 1048576 bytes"),
    # 60,000 attributes: under the tag length limit, refused by the attribute count before any element is built.
    "60k attributes on a thing": (
        things(f'<things>\n<thing id="1" {attrs(60_000)}><nodes/></thing>'),
        3,
        "60001 attributes",
    ),
    "60k attributes on a node": (things(NODE_LINE3.format('x="1" ' + attrs(60_000))), 4, "attributes"),
    "60k attributes on an edge": (
        things(TREE + f'<edges>\n<edge source="1" target="1" {attrs(60_000)}/></edges></thing>'),
        5,
        "attributes",
    ),
    "60k attributes on a group": (
        things(f'<things>\n<groups><group id="1" {attrs(60_000)}/></groups>'),
        3,
        "attributes",
    ),
    "a 1 MB tree name": (things('<things>\n<thing id="1" name="' + "x" * 1_000_000 + '"/>'), 3, "longer"),
    "a 1 MB comment": (
        things(TREE + '</thing><comments>\n<comment node="1" content="' + "x" * 1_000_000 + '"/></comments>'),
        5,
        "longer",
    ),
    "100,000 nested groups": (things(nested_groups(100_000)), 3, "nested"),
    "101 nested levels": (things(nested_groups(99)), 3, "nested"),
    "NaN coordinate": (things(NODE_LINE3.format('x="NaN"')), 4, "'NaN'"),
    "inf coordinate": (things(NODE_LINE3.format('x="-inf"')), 4, "'-inf'"),
    "1e309 coordinate": (things(NODE_LINE3.format('x="1e309"')), 4, "'1e309'"),
    "node id beyond int64": (
        things(
            '<things>\n<thing id="1"><nodes>\n<node id="9223372036854775808" x="1" '
            'y="2" z="3"/></nodes></thing>'
        ),
        4,
        "9223372036854775808",
    ),
    "node id 1e30": (
        things('<things>\n<thing id="1"><nodes>\n<node id="1e30" x="1" y="2" z="3"/></nodes></thing>'),
        4,
        "1e30",
    ),
    "inMag beyond int32": (things(NODE_LINE3.format('x="1" inMag="4294967296"')), 4, "inMag"),
    "tree id beyond int64": (things('<things>\n<thing id="99999999999999999999"/>'), 3, "out of range"),
    "edge to a node beyond int64": (
        things(TREE + '<edges>\n<edge source="1" target="99999999999999999999"/></edges></thing>'),
        5,
        "edge",
    ),
    "comment on a node beyond int64": (
        things(TREE + '</thing><comments>\n<comment node="99999999999999999999" content="x"/></comments>'),
        5,
        "node",
    ),
    "branchpoint time 1e309": (
        things(TREE + '</thing><branchpoints>\n<branchpoint id="1" time="1e309"/></branchpoints>'),
        5,
        "time",
    ),
    "time beyond int64": (things('<things>\n<parameters><time ms="1e300"/></parameters>'), 3, "out of range"),
    "non-UTF-8 bytes": (
        things('<things>\n<thing id="1" name="X"/>').replace(b'"X"', b'"\xff\xfe"'),
        3,
        "encoding",
    ),
    "billion laughs": (things(LAUGHS), 1, "DOCTYPE"),
    "external entity": (things(XXE), 1, "DOCTYPE"),
    # The count limits of SMALL_COUNTS:
    "too many trees": (
        things("<things>\n" + "\n".join(f'<thing id="{i}"/>' for i in range(1, 100))),
        13,
        "trees",
    ),
    "too many nodes": (
        things(
            '<things>\n<thing id="1"><nodes>\n'
            + "\n".join(f'<node id="{i}" x="1" y="2" z="3"/>' for i in range(1, 3 * CHUNK))
            + "</nodes></thing>"
        ),
        3 + CHUNK,
        "nodes",
    ),
    "too many edges": (
        things(
            TREE
            + "<edges>\n"
            + "\n".join('<edge source="1" target="1"/>' for _ in range(3 * CHUNK))
            + "</edges></thing>"
        ),
        4 + CHUNK,
        "edges",
    ),
    "too many comments": (
        things(
            TREE
            + "</thing><comments>\n"
            + "\n".join('<comment node="1" content="x"/>' for _ in range(100))
            + "</comments>"
        ),
        15,
        "comments",
    ),
    "too many groups": (
        things("<things>\n<groups>\n" + "\n".join(f'<group id="{i}"/>' for i in range(1000)) + "</groups>"),
        302,
        "elements",
    ),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_hostile_nml_upload_is_a_400_naming_the_line(app, setup, session_factory, name) -> None:
    dataset_id, owner = setup
    body, line, word = HOSTILE[name]
    before = annotation_count(session_factory)
    answer = owner.post(
        "/api/annotations/upload", files={"file": ("hostile.nml", body)}, data={"datasetId": dataset_id}
    )
    assert answer.status_code == 400, answer.text[:300]
    error = answer.json()
    assert error["line"] == line, error
    assert f"line {line}:" in error["error"] and word in error["error"], error
    assert len(answer.content) < 1000, "the answer must not echo the hostile input"
    assert annotation_count(session_factory) == before
    assert owner.get("/api/buildinfo").status_code == 200


@pytest.mark.parametrize("route", ["/api/v16/annotations/upload", "/api/v9/annotations/upload"])
def test_the_webknossos_client_routes_refuse_the_same_way(app, setup, session_factory, route) -> None:
    """The `webknossos` client prefixes an API version; the dashboard posts to the plain route tested above."""
    dataset_id, owner = setup
    body, line, _ = HOSTILE["60k attributes on a thing"]
    before = annotation_count(session_factory)
    answer = owner.post(route, files={"hostile.nml": ("hostile.nml", body)}, data={"datasetId": dataset_id})
    assert answer.status_code == 400 and answer.json()["line"] == line, answer.text[:300]
    assert annotation_count(session_factory) == before
    assert owner.get("/api/v16/buildinfo").status_code == 200


def test_hostile_nml_inside_an_annotation_zip_is_refused_the_same_way(app, setup, session_factory) -> None:
    import zipfile

    dataset_id, owner = setup
    packed = io.BytesIO()
    with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.nml", HOSTILE["60k attributes on a thing"][0])
    before = annotation_count(session_factory)
    answer = owner.post(
        "/api/annotations/upload",
        files={"file": ("a.zip", packed.getvalue())},
        data={"datasetId": dataset_id},
    )
    assert answer.status_code == 400 and answer.json()["line"] == 3, answer.text[:300]
    assert annotation_count(session_factory) == before


def test_an_nml_at_the_limits_still_imports_and_downloads(app, setup) -> None:
    """64 attributes, 98 nested groups (100 levels), 10 trees: accepted, served to the viewer, and the group tree
    survives the round trip (orjson, used for snapshots and the viewer's JSON, stops at 127 group levels)."""
    dataset_id, owner = setup
    trees = "\n".join(
        f'<thing id="{i}" groupId="{98 - i}" {attrs(61)}><nodes><node id="{i}" x="1" y="2" z="3"/>'
        "</nodes></thing>"
        for i in range(1, 11)
    )
    groups = "<groups>" + "".join(f'<group id="{i}" name="g{i}">' for i in range(1, 99)) + "</group>" * 98
    body = things(f"<things>\n{trees}\n{groups}</groups>")
    answer = owner.post(
        "/api/annotations/upload", files={"file": ("edge.nml", body)}, data={"datasetId": dataset_id}
    )
    assert answer.status_code == 200, answer.text[:300]
    annotation_id = answer.json()["annotation"]["id"]
    assert owner.get(f"/api/annotations/{annotation_id}/skeleton").status_code == 200  # the viewer's JSON
    downloaded = owner.get(f"/api/annotations/{annotation_id}/download")
    assert downloaded.status_code == 200
    skeleton = read_nml(downloaded.content)
    depth, groups_ = 0, skeleton.tree_groups
    while groups_:
        depth, groups_ = depth + 1, groups_[0].children
    assert depth == 98 and len(skeleton.trees) == 10


class CountingReader(io.BytesIO):
    """Counts the bytes the NML reader pulls (both of its passes)."""

    pulled = 0

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.pulled += len(data)
        return data


def _pulled(data: bytes, limits: NmlLimits) -> int:
    reader = CountingReader(data)
    with pytest.raises(NmlError) as err:
        read_nml(reader, limits=limits)
    assert err.value.line is not None
    return reader.pulled


GROWING = {
    "trees": (
        NmlLimits(max_trees=100),
        lambda n: "\n".join(f'<thing id="{i}"/>' for i in range(n)),
        150,
        1000,
    ),
    "nodes": (
        NmlLimits(max_nodes=100),
        lambda n: (
            '<thing id="1"><nodes>'
            + "\n".join(f'<node id="{i}" x="1" y="2" z="3"/>' for i in range(n))
            + "</nodes></thing>"
        ),
        2 * CHUNK,
        16,
    ),
    "edges": (
        NmlLimits(max_edges=100),
        lambda n: (
            '<thing id="1"><nodes/><edges>'
            + "\n".join('<edge source="1" target="2"/>' for _ in range(n))
            + "</edges></thing>"
        ),
        2 * CHUNK,
        16,
    ),
    "comments": (
        NmlLimits(max_comments=100),
        lambda n: (
            "<comments>" + "\n".join('<comment node="1" content="x"/>' for _ in range(n)) + "</comments>"
        ),
        150,
        1000,
    ),
    "groups": (
        NmlLimits(max_small_elements=100),
        lambda n: "<groups>" + "\n".join(f'<group id="{i}"/>' for i in range(n)) + "</groups>",
        150,
        1000,
    ),
}


@pytest.mark.parametrize("what", list(GROWING))
def test_the_reader_stops_at_a_count_limit_whatever_follows(what) -> None:
    """Files ever further past the limit: the reader pulls the same bounded number of bytes from each (up to
    the limit, one conversion chunk, and one 64 KiB read ahead, in each of its two passes)."""
    limits, body, first, most = GROWING[what]
    sizes = []
    for factor in (1, 4, most):
        data = f"<things>\n{body(first * factor)}\n</things>".encode()
        sizes.append((len(data), _pulled(data, limits)))
    bound = sizes[0][0] * 2 + 2 * (1 << 16)
    assert all(pulled <= bound for _, pulled in sizes), sizes
    assert sizes[-1][0] > 5 * bound, "the largest input must be far beyond what may be read"


@pytest.mark.parametrize("count", [1_000, 10_000, 60_000])
def test_no_element_is_built_with_more_attributes_than_allowed(monkeypatch, count) -> None:
    """Element creation costs time quadratic in attributes; the reader must refuse before building one."""
    built: list[int] = []
    original = nml_sax._attrs

    def recording(attrib):  # type: ignore[no-untyped-def]
        built.append(len(attrib))
        return original(attrib)

    monkeypatch.setattr(nml_sax, "_attrs", recording)
    data = f'<things>\n<parameters><experiment {attrs(count)}/></parameters><thing id="1" {attrs(count)}/>'
    with pytest.raises(NmlError, match="attributes") as err:
        read_nml(f"{data}</things>".encode())
    assert err.value.line == 2
    assert max(built, default=0) <= NmlLimits().max_attributes


# Saves: POST /api/annotations/{id}/updates


@pytest.fixture
def annotation(setup) -> Iterator[tuple[TestClient, str]]:
    dataset_id, owner = setup
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "name": "saves"})
    assert created.status_code == 201, created.text
    yield owner, created.json()["id"]


TREE_ACTION = {
    "name": "createTree",
    "value": {"id": 1, "name": "t", "color": [1, 0, 0, 1], "comments": [], "branchPoints": []},
}


def _version(owner: TestClient, annotation_id: str) -> int:
    return int(owner.get(f"/api/annotations/{annotation_id}/info").json()["version"])


def test_a_save_with_more_actions_than_allowed_is_refused(annotation) -> None:
    owner, annotation_id = annotation
    actions = [TREE_ACTION] + [node(i, i) for i in range(1, SMALL_COUNTS["max_update_actions"] + 1)]
    answer = owner.post(f"/api/annotations/{annotation_id}/updates", json={"version": 0, "actions": actions})
    assert answer.status_code == 400 and "at most 50 actions" in answer.json()["error"], answer.text[:300]
    assert _version(owner, annotation_id) == 0
    fits = owner.post(
        f"/api/annotations/{annotation_id}/updates", json={"version": 0, "actions": actions[:50]}
    )
    assert fits.status_code == 200, fits.text[:300]
    assert owner.get("/api/buildinfo").status_code == 200


def test_a_save_larger_than_the_cap_is_a_413_even_when_streamed(annotation) -> None:
    owner, annotation_id = annotation
    big = {"version": 0, "actions": [{"name": "createTree", "value": {"id": 1, "name": "x" * 100_000}}]}
    answer = owner.post(f"/api/annotations/{annotation_id}/updates", json=big)
    assert answer.status_code == 413 and "larger than" in answer.json()["error"], answer.text[:300]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the cap must hold while reading
        yield b'{"version": 0, "actions": [{"name": "createTree", "value": {"name": "'
        for _ in range(100):
            yield b"x" * 4096
        yield b'"}}]}'

    streamed = owner.post(
        f"/api/annotations/{annotation_id}/updates",
        content=chunks(),
        headers={"Content-Type": "application/json"},
    )
    assert streamed.status_code == 413, streamed.text[:300]
    assert _version(owner, annotation_id) == 0
    assert owner.get("/api/buildinfo").status_code == 200


@pytest.mark.parametrize("body", [b"{", b"[1, 2]", b'{"version": 0, "actions": {"name": 1}}', b"\xff\xfe"])
def test_a_malformed_save_is_refused_and_changes_nothing(annotation, body) -> None:
    owner, annotation_id = annotation
    answer = owner.post(
        f"/api/annotations/{annotation_id}/updates",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code in (400, 422), answer.text[:300]
    assert _version(owner, annotation_id) == 0


SAVES = {  # route -> (method, path, body); "{v}" is the annotation's version
    "updates": ("POST", "/api/annotations/{id}/updates", {"version": "{v}", "actions": []}),
    "paint": ("POST", "/api/annotations/{id}/layers/cells/buckets", {"version": "{v}", "buckets": []}),
    "segments": ("PUT", "/api/annotations/{id}/layers/cells/segments", [{"id": 1, "name": "walked"}]),
}


@pytest.mark.parametrize("route", sorted(SAVES))
def test_save_bodies_are_decoded_in_a_worker_thread_not_on_the_event_loop(
    annotation, monkeypatch, route
) -> None:
    """A save's body may be tens of MiB of JSON: decoding it must not hold the event loop (which would stall
    every other request of the process), so each save route decodes it itself, in a worker thread."""
    owner, annotation_id = annotation
    added = owner.post(
        f"/api/annotations/{annotation_id}/volumes", json={"name": "cells", "useFallback": False}
    )
    assert added.status_code == 201, added.text
    where = []

    def recording(raw: bytes) -> object:
        try:
            asyncio.get_running_loop()
            where.append("event loop")
        except RuntimeError:
            where.append("worker thread")
        return request_body.json_of(raw)

    for module in (annotation_content, annotation_volumes):
        monkeypatch.setattr(module, "json_of", recording)
    method, path, body = SAVES[route]
    version = _version(owner, annotation_id)
    if isinstance(body, dict):
        body = {k: version if v == "{v}" else v for k, v in body.items()}
    answer = owner.request(method, path.format(id=annotation_id), json=body)
    assert answer.status_code == 200, answer.text[:300]
    assert where == ["worker thread"]


def test_the_tag_length_guard_finds_every_overlong_run_and_its_line() -> None:
    """Against a byte-by-byte reference, on random data cut into random chunks."""
    rng = random.Random(11)
    for _ in range(2000):
        data = bytes(rng.choice(b"<<\nxxxxxxxxxxxxx") for _ in range(rng.randint(0, 400)))
        limit = rng.randint(1, 30)
        guard, line, at = TagLengthGuard(limit), None, 0
        try:
            while at < len(data):
                step = rng.randint(1, 80)
                guard.check(data[at : at + step])
                at += step
        except NmlError as err:
            line = err.line
        assert line == _first_overlong_run(data, limit), (data, limit)


def _first_overlong_run(data: bytes, limit: int) -> int | None:
    line = run_line = 1
    run = 0
    for byte in data:
        if byte == ord("<"):
            run, run_line = 0, line
        else:
            run += 1
            if run > limit:
                return run_line
        line += byte == ord("\n")
    return None
