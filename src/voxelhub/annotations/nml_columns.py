"""The hot path of NML reading: nodes and edges of one tree, gathered as raw attribute strings and converted to
numpy columns in chunks.

Per node the reader does no more than `el.keys()`, `el.values()` and `el.sourceline`; conversion to numbers
happens column-wise per chunk of 64k rows (C-level `float`/`int` over a whole column), which is what keeps
import close to a bare iterparse pass. Rows keep their attribute order from the file; a chunk ends whenever
the attribute order changes, so odd files are still read correctly, only in smaller chunks.
"""

from __future__ import annotations

import math
from array import array
from typing import Any

import numpy as np

from voxelhub.annotations.nml_errors import NmlError
from voxelhub.annotations.skeleton import NODE_COLUMNS, NODE_DEFAULTS, NodeTable, edge_array

CHUNK = 65536

#: NML attribute -> column name.
NML_NODE_ATTRS = {
    "id": "id", "x": "x", "y": "y", "z": "z", "radius": "radius", "rotX": "rot_x", "rotY": "rot_y",
    "rotZ": "rot_z", "inVp": "viewport", "inMag": "mag", "bitDepth": "bit_depth",
    "interpolation": "interpolation", "time": "time",
}
_REQUIRED = ("id", "x", "y", "z")


def _bad_value(column: str, values: list[str], lines: array, start: int, conv: Any) -> NmlError:
    """Find the first value `conv` rejects, to report its line."""
    for i, raw in enumerate(values):
        try:
            ok = math.isfinite(conv(raw))
        except (ValueError, OverflowError):
            ok = False
        if not ok:
            return NmlError(f"<node> attribute {column}={raw!r} is not a valid number", lines[start + i])
    return NmlError(f"<node> attribute {column} holds an invalid value", lines[start] if lines else None)


def _to_int(values: list[str]) -> np.ndarray:
    try:
        return np.fromiter(map(int, values), np.int64, count=len(values))
    except ValueError:
        floats = np.fromiter(map(float, values), np.float64, count=len(values))
        if not np.all(np.isfinite(floats)) or not np.all(floats == np.round(floats)):
            raise
        return floats.astype(np.int64)


def _to_float(values: list[str]) -> np.ndarray:
    out = np.fromiter(map(float, values), np.float64, count=len(values))
    if not np.all(np.isfinite(out)):
        raise ValueError("not finite")
    return out


def _convert(name: str, values: list[str]) -> np.ndarray:
    dtype = NODE_COLUMNS[name]
    if dtype == np.bool_:
        low = np.char.lower(np.array(values, dtype=str))
        if not np.all((low == "true") | (low == "false") | (low == "1") | (low == "0")):
            raise ValueError("not a boolean")
        return (low == "true") | (low == "1")
    if dtype.kind == "i":
        return _to_int(values).astype(dtype)
    return _to_float(values)


class TreeAccumulator:
    """Nodes and edges of the `<thing>` being read."""

    def __init__(self) -> None:
        self.tables: list[NodeTable] = []
        self.rows: list[list[str]] = []
        self.keys: list[str] | None = None
        self.lines = array("q")
        self.flushed = 0
        self.edges: list[tuple[str | None, str | None]] = []
        self.edge_lines = array("q")

    def add_node(self, el: Any) -> None:
        keys = el.keys()
        if keys != self.keys:
            self.flush()
            self.keys = keys
        self.rows.append(el.values())
        self.lines.append(el.sourceline or 0)
        if len(self.rows) >= CHUNK:
            self.flush()

    def add_edge(self, el: Any) -> None:
        self.edges.append((el.get("source"), el.get("target")))
        self.edge_lines.append(el.sourceline or 0)

    def flush(self) -> None:
        """Convert the pending rows (all with attribute order `self.keys`) into a NodeTable."""
        if not self.rows:
            return
        keys, rows, start = self.keys or [], self.rows, self.flushed
        self.rows = []
        self.flushed += len(rows)
        for req in _REQUIRED:
            if req not in keys:
                raise NmlError(f"<node> lacks the attribute {req}", self.lines[start])
        by_attr = dict(zip(keys, zip(*rows, strict=True), strict=False))
        columns: dict[str, np.ndarray] = {}
        for attr, name in NML_NODE_ATTRS.items():
            values = by_attr.get(attr)
            if values is None:
                columns[name] = np.full(len(rows), NODE_DEFAULTS[name], dtype=NODE_COLUMNS[name])
                continue
            try:
                columns[name] = _convert(name, list(values))
            except (ValueError, OverflowError):
                conv = float if NODE_COLUMNS[name].kind == "f" else _strict_number
                raise _bad_value(attr, list(values), self.lines, start, conv) from None
        self.tables.append(NodeTable(columns))

    def finish(self, tree_id: int, line: int | None) -> tuple[NodeTable, np.ndarray]:
        """The tree's node table and edges, checked: unique node ids, edges only between its own nodes."""
        self.flush()
        table = NodeTable.concat(self.tables)
        ids = table.ids
        order = np.argsort(ids, kind="stable")
        dup = np.nonzero(ids[order][1:] == ids[order][:-1])[0]
        if len(dup):
            row = int(order[dup[0] + 1])
            raise NmlError(f"node id {int(ids[row])} is used twice", self.lines[row] or line)
        return table, self._edges(ids[order], tree_id, line)

    def _edges(self, sorted_ids: np.ndarray, tree_id: int, line: int | None) -> np.ndarray:
        if not self.edges:
            return edge_array([])
        try:
            pairs = np.array(self.edges, dtype=np.int64)
        except (ValueError, TypeError, OverflowError):
            for i, (s, t) in enumerate(self.edges):
                if s is None or t is None or not _is_int(s) or not _is_int(t):
                    raise NmlError(f"<edge source={s!r} target={t!r}> needs integer node ids",
                                   self.edge_lines[i]) from None
            raise
        flat = pairs.ravel()
        pos = np.clip(np.searchsorted(sorted_ids, flat), 0, max(len(sorted_ids) - 1, 0))
        known = (sorted_ids[pos] == flat) if len(sorted_ids) else np.zeros(len(flat), bool)
        if not np.all(known):
            bad = int(np.nonzero(~known)[0][0])
            raise NmlError(f"edge names node {int(flat[bad])}, which is not a node of tree {tree_id}",
                           self.edge_lines[bad // 2] or line)
        return edge_array(pairs)


def _strict_number(raw: str) -> float:
    """Accepts what `_to_int` accepts: integers, or floats with an integral value."""
    value = float(raw)
    if not value.is_integer():
        raise ValueError(raw)
    return value


def _is_int(raw: str) -> bool:
    try:
        int(raw)
        return True
    except ValueError:
        return False
