"""The hot path of NML reading: nodes and edges of one tree, gathered as the parser's attribute dicts and
converted to numpy columns in chunks.

Per node the reader only appends the dict libxml2/lxml already built; conversion to numbers happens column-wise
per chunk of 16k rows (`itemgetter` to pull a column, C-level `float`/`int` over it), which is what keeps
import close to a bare iterparse pass. Dicts rather than value lists make attribute order irrelevant.
"""

from __future__ import annotations

import math
from array import array
from functools import partial
from operator import itemgetter
from typing import Any

import numpy as np

from voxelhub.annotations.nml.errors import INT64_MAX, INT64_MIN, NmlError, shown
from voxelhub.annotations.nml.limits import DEFAULT_LIMITS, NmlLimits
from voxelhub.annotations.skeleton.model import NODE_COLUMNS, NODE_DEFAULTS, NodeTable, edge_array

CHUNK = 16384

#: NML attribute -> column name.
NML_NODE_ATTRS = {
    "id": "id",
    "x": "x",
    "y": "y",
    "z": "z",
    "radius": "radius",
    "rotX": "rot_x",
    "rotY": "rot_y",
    "rotZ": "rot_z",
    "inVp": "viewport",
    "inMag": "mag",
    "bitDepth": "bit_depth",
    "interpolation": "interpolation",
    "time": "time",
}
_REQUIRED = ("id", "x", "y", "z")
_BOOLS = {"true": True, "false": False, "1": True, "0": False}
_SOURCE_TARGET = itemgetter("source", "target")
#: Defaults as the text an NML would hold, so a column with some values missing converts in one go.
_DEFAULT_TEXT = {name: str(v).lower() if isinstance(v, bool) else str(v) for name, v in NODE_DEFAULTS.items()}


def _bad_value(column: str, values: list[str], acc: TreeAccumulator, start: int, conv: Any) -> NmlError:
    """Find the first value `conv` rejects, to report its line."""
    for i, raw in enumerate(values):
        try:
            ok = math.isfinite(conv(raw))
        except (ValueError, OverflowError):
            ok = False
        if not ok:
            return NmlError(
                f"<node> attribute {column}={shown(raw)} is not a valid number", acc.source_line(start + i)
            )
    return NmlError(f"<node> attribute {column} holds an invalid value", acc.source_line(start))


def _to_int(values: list[str]) -> np.ndarray:
    try:
        return np.fromiter(map(int, values), np.int64, count=len(values))
    except ValueError:
        floats = np.fromiter(map(float, values), np.float64, count=len(values))
        if not np.all(np.isfinite(floats)) or not np.all(floats == np.round(floats)):
            raise
        if not np.all(np.abs(floats) < 2.0**63):
            raise OverflowError("beyond int64") from None
        return floats.astype(np.int64)


def _to_float(values: list[str]) -> np.ndarray:
    out = np.fromiter(map(float, values), np.float64, count=len(values))
    if not np.all(np.isfinite(out)):
        raise ValueError("not finite")
    return out


def _convert(name: str, values: list[str]) -> np.ndarray:
    """A column of attribute texts as numbers. Columns holding one value throughout (rotation, viewport, mag,
    bit depth, interpolation, often radius, in most real NMLs) are recognised by a C-speed `list.count` and
    converted once, which is most of the conversion time saved."""
    if len(values) > 1 and values.count(values[0]) == len(values):
        first = _convert_each(name, values[:1])
        return np.full(len(values), first[0], dtype=first.dtype)
    return _convert_each(name, values)


def _convert_each(name: str, values: list[str]) -> np.ndarray:
    dtype = NODE_COLUMNS[name]
    if dtype == np.bool_:
        try:
            return np.fromiter(map(_BOOLS.__getitem__, values), np.bool_, count=len(values))
        except KeyError:
            pass
        low = np.char.lower(np.char.strip(np.array(values, dtype=str)))
        if not np.all((low == "true") | (low == "false") | (low == "1") | (low == "0")):
            raise ValueError("not a boolean")
        return (low == "true") | (low == "1")
    if dtype.kind == "i":
        ints = _to_int(values)
        info = np.iinfo(dtype)
        if len(ints) and (ints.min() < info.min or ints.max() > info.max):
            raise OverflowError(f"beyond {dtype}")  # astype would wrap around silently
        return ints.astype(dtype)
    return _to_float(values)


class TreeAccumulator:
    """Nodes and edges of the `<thing>` being read, as the attribute dicts the parser hands over.

    Both readers feed it: the fast SAX reader (`sax_reader`, no line numbers) and the precise iterparse reader
    (`lines` given). Rows are converted to numpy columns every CHUNK rows, so at most one chunk of dicts
    (~20 MB) is alive at a time. `rows` and `edges` stay the same list objects for the accumulator's life, so
    a reader may bind their `append` once.
    """

    def __init__(
        self, limits: NmlLimits = DEFAULT_LIMITS, nodes_before: int = 0, edges_before: int = 0
    ) -> None:
        self.tables: list[NodeTable] = []
        self.rows: list[dict[str, str]] = []
        self.lines = array("q")
        self.flushed = 0
        self.edges: list[dict[str, str]] = []
        self.edge_lines = array("q")
        self.edge_chunks: list[np.ndarray] = []
        self.edges_flushed = 0
        # The file's node and edge limits, less what the trees before this one hold.
        self.nodes_left = limits.max_nodes - nodes_before
        self.edges_left = limits.max_edges - edges_before
        self.limits = limits

    def add_node(self, el: Any) -> None:
        """Precise path: an lxml element, with its line."""
        self.rows.append(dict(el.attrib))
        self.lines.append(el.sourceline or 0)
        if len(self.rows) >= CHUNK:
            self.flush()

    def add_edge(self, el: Any) -> None:
        self.edges.append(dict(el.attrib))
        self.edge_lines.append(el.sourceline or 0)
        if len(self.edges) >= CHUNK:
            self.flush_edges()

    def source_line(self, row: int) -> int | None:
        return (self.lines[row] or None) if row < len(self.lines) else None

    def flush(self) -> None:
        """Convert the pending rows into a NodeTable (column by column, in C where possible)."""
        rows, start = self.rows, self.flushed
        if not rows:
            return
        columns = {name: self._column(attr, name, rows, start) for attr, name in NML_NODE_ATTRS.items()}
        self.tables.append(NodeTable(columns))
        self.flushed += len(rows)
        rows.clear()
        if self.flushed > self.nodes_left:
            raise NmlError(
                f"the NML holds more than {self.limits.max_nodes} nodes (the limit)",
                self.source_line(self.flushed - 1),
            )

    def _column(self, attr: str, name: str, rows: list[dict[str, str]], start: int) -> np.ndarray:
        try:
            values = list(map(itemgetter(attr), rows))
        except KeyError:
            if attr in _REQUIRED:
                missing = next(i for i, r in enumerate(rows) if attr not in r)
                raise NmlError(
                    f"<node> lacks the attribute {attr}", self.source_line(start + missing)
                ) from None
            values = [r.get(attr, _DEFAULT_TEXT[name]) for r in rows]
        try:
            return _convert(name, values)
        except (ValueError, OverflowError):
            conv = float if NODE_COLUMNS[name].kind == "f" else partial(_strict_number, NODE_COLUMNS[name])
            raise _bad_value(attr, values, self, start, conv) from None

    def finish(self, tree_id: int, line: int | None) -> tuple[NodeTable, np.ndarray]:
        """The tree's node table and edges, checked: unique node ids, edges only between its own nodes."""
        self.flush()
        table = NodeTable.concat(self.tables)
        ids = table.ids
        order = np.argsort(ids, kind="stable")
        dup = np.nonzero(ids[order][1:] == ids[order][:-1])[0]
        if len(dup):
            row = int(order[dup[0] + 1])
            raise NmlError(f"node id {int(ids[row])} is used twice", self.source_line(row) or line)
        return table, self._edges(ids[order], tree_id, line)

    def _edge_line(self, i: int) -> int | None:
        return (self.edge_lines[i] or None) if i < len(self.edge_lines) else None

    def flush_edges(self) -> None:
        """Convert the pending edge dicts into an int64 (source, target) column, so a tree with millions of
        edges holds 16 bytes per edge, not a dict."""
        edges, start = self.edges, self.edges_flushed
        if not edges:
            return
        try:
            flat = [v for pair in map(_SOURCE_TARGET, edges) for v in pair]
            pairs = np.fromiter(map(int, flat), np.int64, count=len(flat))
        except (KeyError, ValueError, OverflowError):
            for i, e in enumerate(edges):
                s, t = e.get("source"), e.get("target")
                if s is None or t is None or not _is_int(s) or not _is_int(t):
                    raise NmlError(
                        f"<edge source={shown(s)} target={shown(t)}> needs integer node ids",
                        self._edge_line(start + i),
                    ) from None
            raise
        self.edge_chunks.append(pairs)
        self.edges_flushed += len(edges)
        edges.clear()
        if self.edges_flushed > self.edges_left:
            raise NmlError(
                f"the NML holds more than {self.limits.max_edges} edges (the limit)",
                self._edge_line(self.edges_flushed - 1),
            )

    def _edges(self, sorted_ids: np.ndarray, tree_id: int, line: int | None) -> np.ndarray:
        self.flush_edges()
        if not self.edge_chunks:
            return edge_array([])
        pairs = np.concatenate(self.edge_chunks)
        pos = np.clip(np.searchsorted(sorted_ids, pairs), 0, max(len(sorted_ids) - 1, 0))
        known = (sorted_ids[pos] == pairs) if len(sorted_ids) else np.zeros(len(pairs), bool)
        if not np.all(known):
            bad = int(np.nonzero(~known)[0][0])
            raise NmlError(
                f"edge names node {int(pairs[bad])}, which is not a node of tree {tree_id}",
                self._edge_line(bad // 2) or line,
            )
        return edge_array(pairs)


def _strict_number(dtype: np.dtype[Any], raw: str) -> float:
    """Accepts what `_convert_each` accepts for an integer column: integers, or floats with an integral value,
    within the column's range."""
    try:
        number: float = int(raw)
    except ValueError:
        number = float(raw)
        if not number.is_integer():
            raise ValueError(raw) from None
    info = np.iinfo(dtype)
    if not info.min <= number <= info.max:
        raise OverflowError(raw)
    return float(number)


def _is_int(raw: str) -> bool:
    """An integer that fits a node id (int64)."""
    try:
        return INT64_MIN <= int(raw) <= INT64_MAX
    except ValueError:
        return False
