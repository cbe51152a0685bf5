"""Hostile and broken NMLs: each raises NmlError with a useful message (and the line where there is one)."""

from __future__ import annotations

import io
import os

import pytest

from voxelhub.annotations.nml.reader import NmlError, read_nml

GOOD_TREE = '<thing id="1"><nodes><node id="1" x="1" y="2" z="3"/>\n<node id="2" x="1" y="2" z="3"/></nodes>'


def nml(body: str) -> bytes:
    return f"<things>\n{body}\n</things>".encode()


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<things><meta name="x" content="&lol9;"/></things>"""

EXTERNAL = b"""<?xml version="1.0"?>
<!DOCTYPE things [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<things><meta name="x" content="&xxe;"/></things>"""

# The DOCTYPE pushed beyond the first read by a long comment: caught by lxml's docinfo, not the prefix scan.
LATE_DOCTYPE = b"<?xml version='1.0'?><!--" + b"x" * 100_000 + b"-->" + EXTERNAL.split(b"?>", 1)[1]


@pytest.mark.parametrize("data", [BILLION_LAUGHS, EXTERNAL, LATE_DOCTYPE], ids=["laughs", "xxe", "late"])
def test_doctype_and_entities_are_refused(data):
    with pytest.raises(NmlError, match="DOCTYPE|external entity"):
        read_nml(data)


def test_undeclared_entity_is_an_error():
    with pytest.raises(NmlError, match="not well-formed") as err:
        read_nml(b'<things>\n<meta name="&xxe;"/></things>')
    assert err.value.line == 2


@pytest.mark.parametrize(
    "body, message, line",
    [
        (GOOD_TREE + '<edges>\n<edge source="1" target="9"/></edges></thing>', "node 9", 4),
        (GOOD_TREE + '<edges/></thing>\n<comments>\n<comment node="5" content="x"/></comments>', "node 5", 5),
        (
            GOOD_TREE + '<edges/></thing>\n<branchpoints><branchpoint id="7" time="1"/>\n</branchpoints>',
            "node 7",
            4,
        ),
        ('<thing id="1"><nodes>\n<node id="1" x="1" y="abc" z="3"/></nodes></thing>', "'abc'", 3),
        ('<thing id="1"><nodes>\n<node id="1" x="1" y="2" z="nan"/></nodes></thing>', "'nan'", 3),
        ('<thing id="1"><nodes>\n<node id="1" x="1" y="2"/></nodes></thing>', "lacks the attribute z", 3),
        (
            GOOD_TREE + '</thing>\n<thing id="2"><nodes><node id="2" x="1" y="2" z="3"/></nodes></thing>',
            "node id 2",
            4,
        ),
        (GOOD_TREE + '</thing>\n<thing id="1"></thing>', "tree id 1", 4),
        (
            '<thing id="1"><nodes><node id="1" x="1" y="2" z="3"/>\n<node id="1" x="1" y="2" z="3"/></nodes></thing>',
            "node id 1 is used twice",
            3,
        ),
        ('<thing id="x1"/>', "'x1' is not a number", 2),
        ('<parameters>\n<scale x="one" y="1" z="1"/></parameters>', "not a number", 3),
        ('<groups><group id="1"/>\n<group id="1"/></groups>', "group id 1", 3),
    ],
    ids=[
        "edge",
        "comment",
        "branchpoint",
        "coordinate",
        "nan",
        "missing-z",
        "dup-node-across-trees",
        "dup-tree",
        "dup-node",
        "tree-id",
        "scale",
        "dup-group",
    ],
)
def test_semantic_errors_name_the_line(body, message, line):
    with pytest.raises(NmlError, match=message) as err:
        read_nml(nml(body))
    assert err.value.line == line
    assert f"line {line}" in str(err.value)


def test_truncated_xml():
    data = nml(GOOD_TREE + "<edges/></thing>")[:-15]
    with pytest.raises(NmlError, match="not well-formed") as err:
        read_nml(data)
    assert err.value.line is not None


@pytest.mark.parametrize("data", [b"", b"   ", b"<other/>", b"\x00\x01\x02garbage", b'{"json": true}'])
def test_not_an_nml(data):
    with pytest.raises(NmlError):
        read_nml(data)


def test_fifty_megabytes_of_garbage_fail_fast():
    garbage = os.urandom(1 << 20) * 50
    with pytest.raises(NmlError):
        read_nml(io.BytesIO(garbage))


def test_fifty_megabytes_of_text_garbage():
    garbage = b"<things>" + b"lorem ipsum <<>> & dolor " * (50 * (1 << 20) // 25)
    with pytest.raises(NmlError):
        read_nml(garbage)


def test_size_limit():
    data = nml(GOOD_TREE + "<edges/></thing>" + "<meta name='pad' content='x'/>\n" * 10_000)
    with pytest.raises(NmlError, match="larger than the limit"):
        read_nml(data, max_bytes=50_000)
    assert read_nml(data).node_count == 2


def test_deep_nesting_is_refused():
    data = b"<things><groups>" + b'<group id="1">' * 300 + b"</group>" * 300 + b"</groups></things>"
    with pytest.raises(NmlError):
        read_nml(data)
