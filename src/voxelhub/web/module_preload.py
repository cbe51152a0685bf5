"""`<link rel="modulepreload">` for every module a page's entry module imports, directly or not.

Without it the browser discovers the viewer's ~25 ES modules one import level at a time (fetch a module, parse
it, only then fetch what it imports): ~0.4–0.7 s of round trips before the first bucket is asked for
(bench/README.md, "First screen"). Listing the whole graph in the page lets the browser fetch them all at once.
The graph is read from the files' static `import … from "…"` lines once per process (the files do not change
while it runs).
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path, PurePosixPath

# The folders served at /viewer and /static (voxelhub.web mounts them; named here again, not imported, so that
# the package's own module does not import back into this one).
_MOUNTS = {"/viewer/": Path(__file__).parent.parent / "viewer", "/static/": Path(__file__).parent / "static"}
_IMPORT = re.compile(
    r"""^\s*(?:import|export)\b[^'"]*?\bfrom\s*["']([^"']+)["']|^\s*import\s*["']([^"']+)["']""", re.M
)
MAX_MODULES = 200  # a bound on the walk, whatever the files say


def module_preloads(*entries: str) -> list[str]:
    """The URLs of the modules `entries` import (transitively), entries themselves left out, in a stable order."""
    return [url for url in _graph(tuple(entries)) if url not in entries]


@cache
def _graph(entries: tuple[str, ...]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    todo = list(entries)
    while todo and len(seen) < MAX_MODULES:
        url = todo.pop(0)
        if url in seen:
            continue
        source = _file_of(url)
        if source is None:
            continue
        seen[url] = None
        for match in _IMPORT.finditer(source.read_text(encoding="utf-8")):
            target = _resolve(url, match.group(1) or match.group(2))
            if target is not None and target not in seen:
                todo.append(target)
    return tuple(seen)


def _resolve(importer: str, spec: str) -> str | None:
    if spec.startswith("/"):
        return spec
    if spec.startswith("./") or spec.startswith("../"):
        parts: list[str] = []
        for part in (PurePosixPath(importer).parent / spec).parts:
            if part == "..":
                if parts:
                    parts.pop()
            elif part != ".":
                parts.append(part)
        return "/" + "/".join(p for p in parts if p != "/")
    return None  # a bare specifier: nothing of ours


def _file_of(url: str) -> Path | None:
    for prefix, folder in _MOUNTS.items():
        if url.startswith(prefix):
            path = (folder / url[len(prefix) :]).resolve()
            if path.is_file() and path.is_relative_to(folder.resolve()):
                return path
    return None
