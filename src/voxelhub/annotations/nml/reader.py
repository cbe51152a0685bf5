"""NML import (streaming, hardened); export is `writer`.

Two readers share one state machine (`_Reader`):
* the fast one (`sax_reader.parse_fast`): libxml2 SAX events into numpy columns, no element tree at all;
* the precise one (`_parse`): one `lxml.etree.iterparse` pass over "end" events, every element dropped as
  soon as it has been read, each error with its line number. It runs only when the fast reader found a
  semantic error it cannot place (SAX has no line numbers), to report that error with its line.
Memory holds the numpy columns of the skeleton plus one chunk of raw strings, never a DOM of the file.
Untrusted input: entities are not resolved, no DTD or network is loaded, a DOCTYPE is refused outright (that
rules out entity expansion and external entities), and everything is bounded by `NmlLimits` (size, tag length,
attributes per element and their length, depth, counts; see `limits`) as each element starts, so time and
memory stay linear in the input. Every problem becomes `NmlError(message, line)`.
"""

from __future__ import annotations

import io
import os
from dataclasses import replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from lxml import etree

from voxelhub.annotations.nml.element_readers import (
    parse_groups,
    parse_meta,
    parse_metadata,
    parse_parameters,
    parse_volume,
)
from voxelhub.annotations.nml.errors import (
    INT64_MAX,
    INT64_MIN,
    NmlError,
    NmlTooLarge,
    attr_color,
    attr_int,
    required_int,
    shown,
    source_line,
)
from voxelhub.annotations.nml.limits import DEFAULT_LIMITS, NmlLimits, TagLengthGuard
from voxelhub.annotations.nml.sax_reader import parse_fast
from voxelhub.annotations.nml.tree_columns import TreeAccumulator
from voxelhub.annotations.skeleton.model import BranchPoint, Comment, Skeleton, Tree

__all__ = ["DEFAULT_MAX_BYTES", "NmlError", "NmlLimits", "NmlTooLarge", "read_nml", "read_nml_bytes"]

DEFAULT_MAX_BYTES = DEFAULT_LIMITS.max_bytes
_LEAVES = frozenset({"node", "edge", "comment", "branchpoint"})
_READ_SIZE = 1 << 16


class _GuardedReader:
    """Counts bytes against the size limit, refuses a DOCTYPE in the prolog and overlong tags before lxml sees
    them."""

    def __init__(self, raw: IO[bytes], limits: NmlLimits, *, lines: bool = True) -> None:
        self.raw, self.limit, self.count, self.prolog = raw, limits.max_bytes, 0, True
        self.tags = TagLengthGuard(limits.max_tag_bytes, lines=lines)

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size if size and size > 0 else _READ_SIZE)
        self.count += len(data)
        if self.count > self.limit:
            raise NmlTooLarge(f"the NML is larger than the limit of {self.limit} bytes")
        if self.prolog and data:
            self._check_prolog(data)
        self.tags.check(data)
        return data

    def _check_prolog(self, data: bytes) -> None:
        upper = data[:4096].upper()
        if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
            raise NmlError("DOCTYPE and entity declarations are not allowed in an NML", 1)
        self.prolog = False


class _Reader:
    """State of one import; `feed(el)` is called on every end event."""

    def __init__(self, limits: NmlLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits
        self.trees: dict[int, Tree] = {}
        self.tree_lines: dict[int, int | None] = {}
        self.acc = TreeAccumulator(limits)
        self.comments: list[tuple[str | None, str, int | None]] = []
        self.branchpoints: list[tuple[Any, Any, int | None]] = []
        self.fields: dict[str, Any] = {"meta": [], "volumes": []}
        self.nodes_seen = 0
        self.nodes_total = self.edges_total = self.small_elements = 0
        self.started = False

    # Limits. Both readers call these at the start of each element, in document order, so the precise reader
    # stops at the same element as the fast one did, and names its line.

    def check_attribute_count(self, tag: str, count: int, line: int | None) -> None:
        if count > self.limits.max_attributes:
            raise NmlError(
                f"<{tag}> has {count} attributes; at most {self.limits.max_attributes} are allowed", line
            )

    def check_open(self, tag: str, attrib: Any, depth: int, line: int | None) -> None:
        """An element other than a node, edge, comment or branchpoint (those are counted by their own limits):
        its nesting depth, the length of its attribute values, and how many such elements came before."""
        limits = self.limits
        if depth > limits.max_depth:
            raise NmlError(
                f"<{tag}> is nested {depth} levels deep; at most {limits.max_depth} are allowed", line
            )
        self.small_elements += 1
        if self.small_elements > limits.max_small_elements:
            raise NmlError(
                f"the NML holds more than {limits.max_small_elements} elements besides nodes, edges, "
                "comments and branchpoints (the limit)",
                line,
            )
        self.check_lengths(tag, attrib.values(), line)

    def check_lengths(self, tag: str, values: Any, line: int | None) -> None:
        if max(map(len, values), default=0) > self.limits.max_attribute_chars:
            raise NmlError(
                f"<{tag}> has an attribute value longer than {self.limits.max_attribute_chars} characters",
                line,
            )

    def add_comment(self, node: str | None, content: str, line: int | None) -> None:
        self.check_lengths("comment", (content,), line)
        self.comments.append((node, content, line))
        if len(self.comments) > self.limits.max_comments:
            raise NmlError(f"the NML holds more than {self.limits.max_comments} comments (the limit)", line)

    def add_branchpoint(self, node: str | None, time: str | None, line: int | None) -> None:
        self.branchpoints.append((node, time, line))
        if len(self.branchpoints) > self.limits.max_comments:
            raise NmlError(
                f"the NML holds more than {self.limits.max_comments} branchpoints (the limit)", line
            )

    def feed(self, el: Any) -> None:
        tag = el.tag
        if tag == "node":
            self.acc.add_node(el)
            self._drop(el)
        elif tag == "edge":
            self.acc.add_edge(el)
            self._drop(el)
        elif tag == "comment":
            self.add_comment(el.get("node"), el.get("content", ""), el.sourceline)
            self._drop(el)
        elif tag == "branchpoint":
            self.add_branchpoint(el.get("id"), el.get("time"), el.sourceline)
            self._drop(el)
        elif tag == "thing":
            self._thing(el)
        elif self._is_top(el):
            self._top_level(el)

    def _drop(self, el: Any) -> None:
        """Free a finished element; every few thousand, detach the cleared siblings before it too (never the
        ones after it: lxml may already have parsed them into its event queue)."""
        el.clear()
        self.nodes_seen += 1
        if self.nodes_seen & 4095 == 0:
            parent = el.getparent()
            if parent is not None:
                del parent[: parent.index(el)]

    @staticmethod
    def _is_top(el: Any) -> bool:
        parent = el.getparent()
        return parent is not None and parent.getparent() is None

    def _thing(self, el: Any) -> None:
        tid = required_int(el, "id")
        line = source_line(el)
        if tid in self.trees:
            raise NmlError(f"tree id {tid} is used twice", line)
        if len(self.trees) >= self.limits.max_trees:
            raise NmlError(f"the NML holds more than {self.limits.max_trees} trees (the limit)", line)
        nodes, edges = self.acc.finish(tid, line)
        self.nodes_total += len(nodes)
        self.edges_total += len(edges)
        self.acc = TreeAccumulator(self.limits, self.nodes_total, self.edges_total)
        self.trees[tid] = Tree(
            id=tid,
            name=el.get("name", ""),
            color=attr_color(el),
            group_id=attr_int(el, "groupId"),
            type=el.get("type"),
            metadata=parse_metadata(el.find("metadata")),
            nodes=nodes,
            edges=edges,
            is_visible=_opt_bool(el.get("isVisible")),
        )
        self.tree_lines[tid] = line
        self._release(el)

    def _top_level(self, el: Any) -> None:
        tag = el.tag
        if tag == "meta":
            self.fields["meta"].append(parse_meta(el))
        elif tag == "parameters":
            params, boxes, active = parse_parameters(el)
            self.fields.update(parameters=params, bounding_boxes=tuple(boxes), active_node_id=active)
        elif tag == "groups":
            self.fields["tree_groups"] = parse_groups(el)
        elif tag == "volume":
            self.fields["volumes"].append(parse_volume(el))
        self._release(el)

    @staticmethod
    def _release(el: Any) -> None:
        el.clear()
        parent = el.getparent()
        if parent is not None:
            del parent[: parent.index(el)]

    def result(self) -> Skeleton:
        trees = self._attach_annotations()
        volumes = self.fields.pop("volumes")
        ids = [v.id for v in volumes]
        if len(set(ids)) != len(ids):
            raise NmlError("a volume id is used twice")
        return Skeleton(
            trees=trees, meta=tuple(self.fields.pop("meta")), volumes=tuple(volumes), **self.fields
        )

    def _attach_annotations(self) -> dict[int, Tree]:
        """Check node ids are unique across trees, then give each comment and branchpoint to its node's tree."""
        tree_ids = list(self.trees)
        ids = [self.trees[t].nodes.ids for t in tree_ids]
        all_ids = np.concatenate(ids) if ids else np.empty(0, np.int64)
        owner = np.repeat(np.arange(len(tree_ids)), [len(i) for i in ids]) if ids else all_ids
        order = np.argsort(all_ids, kind="stable")
        sorted_ids, sorted_owner = all_ids[order], owner[order]
        dup = np.nonzero(sorted_ids[1:] == sorted_ids[:-1])[0]
        if len(dup):
            k = int(dup[0])
            second = tree_ids[int(sorted_owner[k + 1])]
            raise NmlError(
                f"node id {int(sorted_ids[k])} is used in trees {tree_ids[int(sorted_owner[k])]} "
                f"and {second}",
                self.tree_lines[second],
            )
        comments: dict[int, list[Comment]] = {}
        for node, content, line in self.comments:
            node_id = _node_ref("comment", node, line)
            tree = _owner_of(node_id, sorted_ids, sorted_owner, tree_ids, "comment", line)
            comments.setdefault(tree, []).append(Comment(node_id, content))
        branchpoints: dict[int, list[BranchPoint]] = {}
        for node, time, line in self.branchpoints:
            node_id = _node_ref("branchpoint", node, line)
            tree = _owner_of(node_id, sorted_ids, sorted_owner, tree_ids, "branchpoint", line)
            branchpoints.setdefault(tree, []).append(BranchPoint(node_id, _time(time, line)))
        return {
            tid: _with(tree, comments.get(tid), branchpoints.get(tid)) for tid, tree in self.trees.items()
        }


def _with(tree: Tree, comments: list[Comment] | None, bps: list[BranchPoint] | None) -> Tree:
    if not comments and not bps:
        return tree
    return Tree(**{**tree.__dict__, "comments": tuple(comments or ()), "branchpoints": tuple(bps or ())})


def _opt_bool(raw: str | None) -> bool | None:
    return None if raw is None else raw.strip().lower() in ("true", "1")


def _node_ref(what: str, raw: str | None, line: int | None) -> int:
    try:
        value = int(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise NmlError(f"<{what}> needs an integer node id, got {shown(raw)}", line) from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise NmlError(f"<{what}> names node {shown(raw)}, beyond the range of node ids", line)
    return value


def _time(raw: Any, line: int | None) -> int:
    if raw is None:
        return 0
    try:
        value = int(float(raw))
    except (ValueError, OverflowError):  # "nan"; "inf" or "1e309"
        raise NmlError(f"<branchpoint> time={shown(raw)} is not a finite number", line) from None
    if not INT64_MIN <= value <= INT64_MAX:
        raise NmlError(f"<branchpoint> time={shown(raw)} is out of range", line)
    return value


def _owner_of(
    node_id: int, sorted_ids: np.ndarray, owner: np.ndarray, tree_ids: list[int], what: str, line: int | None
) -> int:
    i = int(np.searchsorted(sorted_ids, node_id))
    if i >= len(sorted_ids) or int(sorted_ids[i]) != node_id:
        raise NmlError(f"{what} names node {node_id}, which does not exist", line)
    return tree_ids[int(owner[i])]


def _open(source: str | os.PathLike[str] | bytes | IO[bytes]) -> tuple[IO[bytes], bool]:
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), True
    if isinstance(source, str | os.PathLike):
        return Path(source).open("rb"), True
    return source, False


def _tell(raw: IO[bytes]) -> int | None:
    """Where a second, precise pass could restart, or None if the stream cannot be rewound."""
    try:
        return raw.tell() if raw.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def read_nml(
    source: str | os.PathLike[str] | bytes | IO[bytes],
    *,
    max_bytes: int | None = None,
    limits: NmlLimits = DEFAULT_LIMITS,
) -> Skeleton:
    """Read an NML from a path, bytes or binary file object, within `limits` (`max_bytes` overrides its size
    limit). Raises `NmlError(message, line)` (line None only where there is no line to name, or when a
    non-seekable stream cannot be read a second time). Time and memory are linear in the input: every limit
    is checked as the element it counts starts, so a hostile file is refused before it costs more."""
    if max_bytes is not None:
        limits = replace(limits, max_bytes=max_bytes)
    raw, owned = _open(source)
    start = _tell(raw)
    try:
        try:
            return parse_fast(_GuardedReader(raw, limits, lines=False), _Reader(limits))
        except NmlError as err:
            if err.line is not None or start is None or isinstance(err, NmlTooLarge):
                raise
            raw.seek(start)
            _parse(_GuardedReader(raw, limits), limits)  # raises the same error, with its line
            raise
    finally:
        if owned:
            raw.close()


def read_nml_bytes(
    data: bytes, *, max_bytes: int | None = None, limits: NmlLimits = DEFAULT_LIMITS
) -> Skeleton:
    return read_nml(data, max_bytes=max_bytes, limits=limits)


def _parse(reader: _GuardedReader, limits: NmlLimits = DEFAULT_LIMITS) -> Skeleton:
    context = etree.iterparse(
        reader,
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    state = _Reader(limits)
    depth = 0
    try:
        for event, el in context:
            if event == "start":
                depth += 1
                _check_start(state, el, depth)
                continue
            depth -= 1
            state.feed(el)
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc) from None
    except RecursionError:
        raise NmlError("the NML is nested too deeply") from None
    if not state.started:
        raise NmlError("the NML is empty")
    return state.result()


def _check_start(state: _Reader, el: Any, depth: int) -> None:
    """The limits of one element as it starts (the same checks, in the same order, as `sax_reader.NmlTarget`)."""
    if depth == 1:
        _check_document(el)
        state.started = True
    line = source_line(el)
    tag = el.tag
    state.check_attribute_count(tag, len(el.attrib), line)
    if tag not in _LEAVES:
        state.check_open(tag, el.attrib, depth, line)


def _syntax_error(exc: etree.XMLSyntaxError) -> NmlError:
    """The root cause from libxml2's error log (the exception's own text is sometimes just the last symptom)."""
    logged = [e for e in exc.error_log if e.line]
    if logged:
        return NmlError(f"not well-formed XML: {logged[-1].message}", logged[-1].line)
    return NmlError(f"not well-formed XML: {exc.msg}", exc.lineno or None)


def _check_document(el: Any) -> None:
    tree = el.getroottree()
    if tree.docinfo.doctype or tree.docinfo.internalDTD is not None:
        raise NmlError("DOCTYPE and entity declarations are not allowed in an NML", 1)
    root = tree.getroot()
    if root.tag != "things":
        raise NmlError(f"the root element must be <things>, not <{root.tag}>", source_line(root))
