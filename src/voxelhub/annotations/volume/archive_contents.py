"""What is inside a volume annotation archive (`data_<layer>.zip`): WKW or zarr3, and which mags
(`exchange` decodes the voxels, each chunk bounded by its own size: `chunk_codecs`, `wkw_reader`).

The annotation core keeps these archives opaque (bytes); storage converts them later. This module only looks
inside without extracting anything to disk under names from the archive (no path traversal possible), and
reads members only through `voxelhub.storage.archives` (decoded bytes counted against the upload's budget).
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voxelhub.settings import Settings
from voxelhub.storage.archives import (
    ByteBudget,
    annotation_zip_limits,
    open_zip,
    read_member,
    read_member_head,
)

MAX_JSON_BYTES = 1 << 20
MAX_HEADER_BYTES = 1 << 16  # a header.wkw is 16 bytes


class VolumeArchiveError(ValueError):
    """Not a readable volume archive."""


@dataclass(frozen=True)
class MagInfo:
    mag: str  # as named in the archive: "1", "2-2-1", …
    path: str  # folder inside the zip
    dtype: str | None = None
    shape: tuple[int, ...] | None = None
    chunk_shape: tuple[int, ...] | None = None
    files: int = 0


@dataclass(frozen=True)
class VolumeArchiveInfo:
    format: str  # "zarr3", "wkw" or "empty"
    mags: tuple[MagInfo, ...] = ()
    layer_name: str | None = None
    datasource: dict[str, Any] | None = field(default=None, compare=False)


def default_budget() -> ByteBudget:
    """The limits of a default-configured server, for callers outside an upload."""
    return ByteBudget(annotation_zip_limits(Settings()))


def open_archive(source: bytes | str | Path, budget: ByteBudget) -> zipfile.ZipFile:
    return open_zip(source, "volume archive", budget.limits)


def read_json(zf: zipfile.ZipFile, name: str, budget: ByteBudget) -> dict[str, Any]:
    """A JSON object member (at most MAX_JSON_BYTES decoded)."""
    raw = read_member(zf, name, budget, max_bytes=MAX_JSON_BYTES)
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise VolumeArchiveError(f"{name} is not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise VolumeArchiveError(f"{name} is not a JSON object")
    return value


def _zarr3_mags(zf: zipfile.ZipFile, names: list[str], budget: ByteBudget) -> list[MagInfo]:
    mags = []
    for name in names:
        if not name.endswith("/zarr.json"):
            continue
        meta = read_json(zf, name, budget)
        if meta.get("node_type") != "array":
            continue
        folder = name[: -len("/zarr.json")]
        chunks = meta.get("chunk_grid", {}).get("configuration", {}).get("chunk_shape")
        count = sum(1 for n in names if n.startswith(folder + "/") and not n.endswith("/") and n != name)
        try:
            mags.append(
                MagInfo(
                    mag=folder.rsplit("/", 1)[-1],
                    path=folder,
                    dtype=meta.get("data_type"),
                    shape=tuple(meta.get("shape", ())),
                    chunk_shape=tuple(chunks or ()),
                    files=count,
                )
            )
        except (TypeError, AttributeError) as exc:
            raise VolumeArchiveError(f"{name}: bad shape or chunk shape ({exc})") from None
    return mags


_WKW_TYPES = {
    1: "uint8",
    2: "uint16",
    3: "uint32",
    4: "uint64",
    5: "float32",
    6: "float64",
    7: "int8",
    8: "int16",
    9: "int32",
    10: "int64",
}


def _wkw_mags(zf: zipfile.ZipFile, names: list[str], budget: ByteBudget) -> list[MagInfo]:
    mags = []
    for name in names:
        if not name.endswith("header.wkw"):
            continue
        folder = name[: -len("header.wkw")].rstrip("/")
        if zf.getinfo(name).file_size > MAX_HEADER_BYTES:  # an honest directory refuses early; a lying one
            raise VolumeArchiveError(f"{name} is larger than a WKW header")  # gets only 16 bytes decoded
        header = read_member_head(zf, name, 16, budget)  # never the rest: it may inflate to gigabytes
        dtype = _WKW_TYPES.get(header[6]) if len(header) >= 8 and header[:3] == b"WKW" else None
        count = sum(1 for n in names if n.startswith(folder + "/") and n.endswith(".wkw") and n != name)
        mags.append(MagInfo(mag=folder.rsplit("/", 1)[-1], path=folder, dtype=dtype, files=count))
    return mags


def inspect_volume_archive(source: bytes | str | Path, budget: ByteBudget | None = None) -> VolumeArchiveInfo:
    """Detect the format of a `data_<layer>.zip` and list its mags (sorted by the mag's first factor)."""
    budget = budget or default_budget()
    with open_archive(source, budget) as zf:
        names = zf.namelist()
        datasource = (
            read_json(zf, "datasource-properties.json", budget)
            if "datasource-properties.json" in names
            else None
        )
        mags = _zarr3_mags(zf, names, budget)
        fmt = "zarr3"
        if not mags:
            mags, fmt = _wkw_mags(zf, names, budget), "wkw"
        if not mags:
            fmt = "wkw" if any(n.endswith(".wkw") for n in names) else "empty"
    layer = None
    layers = (datasource or {}).get("dataLayers")
    if isinstance(layers, list) and layers and isinstance(layers[0], dict):
        layer = layers[0].get("name")
    mags.sort(key=lambda m: (_first_factor(m.mag), m.mag))
    return VolumeArchiveInfo(format=fmt, mags=tuple(mags), layer_name=layer, datasource=datasource)


def _first_factor(mag: str) -> int:
    head = mag.split("-", 1)[0]
    return int(head) if head.isdigit() else 1 << 30
