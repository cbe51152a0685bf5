"""How much one NML may hold, so that reading an upload costs time and memory linear in its size.

Why each bound exists (issue 11, hole 2):
* attributes per element: lxml's element creation checks each new attribute against the ones already set, so a
  `<thing>` with 200,000 attributes took minutes of CPU inside one C call that holds the GIL (libxml2 itself
  hashes attributes since 2.12 and parses such a tag in milliseconds). webKnossos writes at most ~30.
* attribute length: values we keep (names, comments, descriptions, metadata) stay small; libxml2 already stops
  at 10 MB per value (no huge_tree), this is the tighter bound for text we store.
* depth: the group tree is read and later serialized recursively; libxml2 stops at 256 levels, well before
  Python's recursion limit, but the JSON encoders downstream stop at 254 nested containers (a group level is two).
* counts: every node, edge, comment and tree is memory; the small elements (trees, groups, segments, metadata
  entries, bounding boxes) are read as lxml subtrees and cost the most per byte of input.
The defaults leave room for a real 1,000,000-node NML (the benchmark's) many times over.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voxelhub.settings import Settings


@dataclass(frozen=True)
class NmlLimits:
    max_bytes: int = 2 * 1024**3
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
            max_bytes=settings.nml_max_bytes, max_attributes=settings.nml_max_attributes,
            max_attribute_chars=settings.nml_max_attribute_chars, max_depth=settings.nml_max_depth,
            max_nodes=settings.nml_max_nodes, max_edges=settings.nml_max_edges,
            max_comments=settings.nml_max_comments, max_trees=settings.nml_max_trees,
            max_small_elements=settings.nml_max_small_elements,
        )


DEFAULT_LIMITS = NmlLimits()
