"""Reclaiming volume objects that no live annotation can read at any of its versions (`voxelhub gc`).

What is kept: every object a ref of a live annotation's layer names (all versions stay readable), and for each
layer a live copy reads through (recursively), the objects it held at the versions copies were made from;
old-layout prefixes of any such layer are kept whole. Everything else in the volumes store is garbage — but
only once it is older than the grace period: a save writes its objects before it commits their refs, so a
young object without a ref may be about to get one. Once unreferenced, an object never gets a ref again (a
deleted annotation cannot be copied or restored), so deleting it is safe while servers serve.
"""

from __future__ import annotations

import os
import posixpath
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from voxelhub.annotations.models import Annotation, VolumeBucketRef, VolumeLayerNode
from voxelhub.annotations.volume import bucket_refs, chunk_objects
from voxelhub.settings import Settings
from voxelhub.storage.location import Location

ALL = -1  # a live layer: every version is needed
# Keys the volumes store holds: below an annotation id (chunk objects and old-layout arrays alike). Anything
# else is not ours, and gc leaves it alone.
_OURS = re.compile(r"^[0-9a-f]{24}/")


@dataclass
class Garbage:
    objects: list[tuple[str, int]] = field(default_factory=list)  # (key, bytes)
    dead_nodes: list[str] = field(default_factory=list)  # layer nodes nothing live reads any more
    kept_objects: int = 0

    @property
    def bytes(self) -> int:
        return sum(size for _, size in self.objects)


def _needed(session: Session) -> tuple[dict[str, set[int]], dict[str, VolumeLayerNode]]:
    """node id -> the versions of it that must stay readable ({ALL} for a live annotation's layer)."""
    live = set(session.scalars(select(Annotation.id)))
    nodes = {n.id: n for n in session.scalars(select(VolumeLayerNode))}
    needs: dict[str, set[int]] = {}
    stack = [n for n in nodes.values() if n.annotation_id in live]
    for node in stack:
        needs[node.id] = {ALL}
    while stack:
        node = stack.pop()
        parent = nodes.get(node.parent_id) if node.parent_id else None
        if parent is None or node.parent_version is None:
            continue
        first_time = parent.id not in needs
        needs.setdefault(parent.id, set()).add(node.parent_version)
        if first_time:
            stack.append(parent)
    return needs, nodes


def _kept(
    session: Session, needs: dict[str, set[int]], nodes: dict[str, VolumeLayerNode]
) -> tuple[set[str], list[str]]:
    keys: set[str] = set()
    prefixes: list[str] = []
    for node_id, versions in needs.items():
        refs = bucket_refs.all_own_refs(session, node_id)
        if ALL in versions:
            keys |= {r.key for r in refs if r.key is not None}
        else:
            for version in versions:
                keys |= {k for k in bucket_refs.newest_at(refs, version).values() if k is not None}
        prefixes += [p.rstrip("/") + "/" for p in nodes[node_id].legacy_prefixes]
    return keys, prefixes


def _modified(info: dict[str, Any]) -> float:
    value = info.get("mtime", info.get("LastModified", info.get("last_modified")))
    if isinstance(value, datetime):
        return value.timestamp()
    return float(value) if value is not None else time.time()  # unknown age: treat as young


def _listing(location: Location) -> Iterable[tuple[str, int, float]]:
    """(key, bytes, modified) of every object in the store."""
    try:
        found = location.fs.find(location.root, detail=True)
    except FileNotFoundError:
        return
    strip = len(location.root.rstrip("/")) + 1 if location.root else 0
    for path, info in found.items():
        if info.get("type") != "directory":
            yield path.replace("\\", "/")[strip:], int(info.get("size") or 0), _modified(info)


def plan(session: Session, location: Location, *, grace_seconds: int, now: float | None = None) -> Garbage:
    """What gc would delete: objects nothing needs that are older than the grace period, and dead node rows."""
    needs, nodes = _needed(session)
    keys, prefixes = _kept(session, needs, nodes)
    cutoff = (time.time() if now is None else now) - grace_seconds
    garbage = Garbage(dead_nodes=sorted(set(nodes) - set(needs)))
    for key, size, modified in _listing(location):
        if not _OURS.match(key) or key in keys or key.startswith(tuple(prefixes)) or modified > cutoff:
            garbage.kept_objects += 1
        else:
            garbage.objects.append((key, size))
    garbage.objects.sort()
    return garbage


def collect(session: Session, location: Location, garbage: Garbage) -> None:
    """Delete the planned objects, then the dead nodes' rows (in the caller's transaction)."""
    paths = [chunk_objects.full_path(location, key) for key, _ in garbage.objects]
    for start in range(0, len(paths), 1000):
        location.fs.rm(paths[start : start + 1000])
    if location.is_local:
        _remove_empty_folders(location, paths)
    if garbage.dead_nodes:
        session.execute(delete(VolumeBucketRef).where(VolumeBucketRef.layer_id.in_(garbage.dead_nodes)))
        session.execute(delete(VolumeLayerNode).where(VolumeLayerNode.id.in_(garbage.dead_nodes)))
        session.flush()


def _remove_empty_folders(location: Location, paths: list[str]) -> None:
    root = location.root.rstrip("/")
    folders = {posixpath.dirname(p) for p in paths}
    for folder in sorted(folders, key=len, reverse=True):
        while folder.startswith(root + "/"):
            try:
                os.rmdir(folder)
            except OSError:
                break
            folder = posixpath.dirname(folder)


def run(
    session: Session,
    settings: Settings,
    location: Location,
    *,
    dry_run: bool,
    grace_seconds: int | None = None,
) -> Garbage:
    grace = settings.volume_gc_grace_seconds if grace_seconds is None else grace_seconds
    garbage = plan(session, location, grace_seconds=grace)
    if not dry_run:
        collect(session, location, garbage)
    return garbage
