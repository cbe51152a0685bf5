"""How much one NML may hold, so that reading an upload costs time and memory linear in its size.

Why each bound exists (issue 11, hole 2):
* attributes per element: lxml's element creation checks each new attribute against the ones already set, so a
  `<thing>` with 200,000 attributes took minutes of CPU inside one C call that holds the GIL (libxml2 itself
  hashes attributes since 2.12 and parses such a tag in milliseconds). webKnossos writes at most ~30.
* attribute length: values we keep (names, comments, descriptions, metadata) stay small; libxml2 already stops
  at 10 MB per value (no huge_tree), this is the tighter bound for text we store.
* tag length: libxml2 parses a whole start tag before the reader sees any of it, in one C call that holds the
  GIL (~90 ms per MB here); so no run of bytes without a "<" (a tag, or text between tags) may be longer than
  `max_tag_bytes`, checked on the raw bytes before libxml2 gets them.
* depth: the group tree is read and later serialized recursively; libxml2 stops at 256 levels, well before
  Python's recursion limit, but orjson (snapshots, the viewer's JSON) stops at 254 nested containers, which is
  127 group levels (a level is a dict and its children's list): deeper groups were a 500 after the import.
* counts: every node, edge, comment and tree is memory; the small elements (trees, groups, segments, metadata
  entries, bounding boxes) are read as lxml subtrees and cost the most per byte of input.
The defaults leave room for a real 1,000,000-node NML (the benchmark's) many times over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from voxelhub.annotations.nml.errors import NmlError

if TYPE_CHECKING:
    from voxelhub.settings import Settings


@dataclass(frozen=True)
class NmlLimits:
    max_bytes: int = 2 * 1024**3
    max_tag_bytes: int = 1024**2  # the longest run of bytes without a "<"
    max_attributes: int = 64  # per element
    max_attribute_chars: int = 100_000  # per attribute value
    max_depth: int = 100  # element nesting, <things> is level 1
    max_nodes: int = 10_000_000
    max_edges: int = 10_000_000
    max_comments: int = 1_000_000  # comments, and separately branchpoints
    max_trees: int = 100_000
    max_small_elements: int = 1_000_000  # everything but nodes, edges, comments and branchpoints

    @classmethod
    def from_settings(cls, settings: Settings) -> NmlLimits:
        return cls(
            max_bytes=settings.nml_max_bytes,
            max_tag_bytes=settings.nml_max_tag_bytes,
            max_attributes=settings.nml_max_attributes,
            max_attribute_chars=settings.nml_max_attribute_chars,
            max_depth=settings.nml_max_depth,
            max_nodes=settings.nml_max_nodes,
            max_edges=settings.nml_max_edges,
            max_comments=settings.nml_max_comments,
            max_trees=settings.nml_max_trees,
            max_small_elements=settings.nml_max_small_elements,
        )


DEFAULT_LIMITS = NmlLimits()


class TagLengthGuard:
    """Finds, on the raw bytes as they are read, a run without "<" longer than the limit. Per chunk that is a
    search from each end; counting lines (to name the line) is a full scan of every chunk, so the fast reader
    skips it and leaves the line to the precise re-read (`lines=True`)."""

    def __init__(self, limit: int, *, lines: bool = True) -> None:
        self.limit = limit
        self.lines = lines
        self.run = 0  # bytes since the last "<"
        self.run_line: int | None = 1 if lines else None  # the line of that "<"
        self.newlines = 0  # before the current chunk

    def check(self, data: bytes) -> None:
        first = data.find(b"<")
        if first == -1:
            self._grow(len(data))
        else:
            self._grow(first)  # the run carried over from earlier chunks ends here
            last = data.rfind(b"<")
            if last - first > self.limit:  # only then can a run inside this chunk be too long by itself
                self._inner_runs(data, first, last)
            self.run, self.run_line = 0, self._line_at(data, last)
            self._grow(len(data) - last - 1)
        if self.lines:
            self.newlines += data.count(b"\n")

    def _line_at(self, data: bytes, at: int) -> int | None:
        return self.newlines + data.count(b"\n", 0, at) + 1 if self.lines else None

    def _inner_runs(self, data: bytes, at: int, last: int) -> None:
        while at < last:
            following = data.find(b"<", at + 1)
            if following - at - 1 > self.limit:
                self.run, self.run_line = 0, self._line_at(data, at)
                self._grow(following - at - 1)
            at = following

    def _grow(self, length: int) -> None:
        self.run += length
        if self.run > self.limit:
            raise NmlError(f"a tag (or text between tags) is longer than {self.limit} bytes", self.run_line)
