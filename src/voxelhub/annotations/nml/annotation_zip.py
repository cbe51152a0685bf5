"""Annotation zips: one NML plus a `data_<layer>.zip` volume archive per volume layer.

Volume archives stay opaque bytes here (storage converts them later); `volume.archive_contents` looks inside them.
Sizes are checked from the zip directory before anything is decompressed, so a zip bomb is refused early.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from voxelhub.annotations.nml.reader import DEFAULT_MAX_BYTES, NmlError, read_nml
from voxelhub.annotations.nml.writer import write_nml
from voxelhub.annotations.skeleton.model import Skeleton, VolumeLayer

DEFAULT_MAX_VOLUME_BYTES = 8 * 1024**3


@dataclass
class Annotation:
    """An imported annotation: the skeleton (with volume layer descriptors) and the raw volume archives,
    keyed by volume layer name (`VolumeLayer.name`, or its id as text when it has no name)."""

    skeleton: Skeleton
    volume_archives: dict[str, bytes] = field(default_factory=dict)
    nml_name: str | None = None


def layer_key(volume: VolumeLayer) -> str:
    return volume.name if volume.name else str(volume.id)


def archive_names(volume: VolumeLayer) -> list[str]:
    """Where a `<volume>`'s data may be inside an annotation zip, most specific first."""
    names = [volume.location] if volume.location else []
    if volume.name:
        names += [f"data_{volume.id}_{volume.name}.zip", f"data_{volume.name}.zip"]
    return names + [f"data_{volume.id}.zip"]


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    if info.file_size > limit:
        raise NmlError(f"{info.filename} is larger than the limit of {limit} bytes")
    with zf.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise NmlError(f"{info.filename} is larger than the limit of {limit} bytes")
    return data


def read_annotation_zip(
    source: bytes | str | Path | IO[bytes],
    *,
    max_nml_bytes: int = DEFAULT_MAX_BYTES,
    max_volume_bytes: int = DEFAULT_MAX_VOLUME_BYTES,
) -> Annotation:
    """Read an annotation zip. Raises NmlError for a bad zip, a missing/ambiguous NML or a bad NML."""
    try:
        zf = zipfile.ZipFile(io.BytesIO(source) if isinstance(source, bytes) else source)
    except (zipfile.BadZipFile, OSError) as exc:
        raise NmlError(f"not a valid zip archive: {exc}") from None
    with zf:
        members = {i.filename: i for i in zf.infolist() if not i.is_dir()}
        nmls = [n for n in members if n.lower().endswith(".nml")]
        if len(nmls) != 1:
            raise NmlError(f"an annotation zip must hold exactly one .nml file, this one holds {len(nmls)}")
        info = members[nmls[0]]
        if info.file_size > max_nml_bytes:
            raise NmlError(f"the NML is larger than the limit of {max_nml_bytes} bytes")
        with zf.open(info) as raw:
            skeleton = read_nml(raw, max_bytes=max_nml_bytes)
        archives = {}
        for volume in skeleton.volumes:
            name = next((n for n in archive_names(volume) if n in members), None)
            if name is not None:
                archives[layer_key(volume)] = _read_member(zf, members[name], max_volume_bytes)
    return Annotation(skeleton=skeleton, volume_archives=archives, nml_name=Path(nmls[0]).name)


def read_annotation(data: bytes, **limits: int) -> Annotation:
    """An upload that may be a bare NML or a zip (told apart by the zip signature)."""
    if data[:4] == b"PK\x03\x04":
        return read_annotation_zip(data, **limits)
    return Annotation(skeleton=read_nml(data, max_bytes=limits.get("max_nml_bytes", DEFAULT_MAX_BYTES)))


def write_annotation_zip(annotation: Annotation, out: IO[bytes], *, nml_name: str = "annotation.nml") -> None:
    """Write the NML and each volume archive (as `data_<id>_<name>.zip`, the volume's `location` rewritten to
    match) into a zip. Volume archives are stored, not re-compressed: they are zips already."""
    by_id = {
        v.id: annotation.volume_archives[layer_key(v)]
        for v in annotation.skeleton.volumes
        if layer_key(v) in annotation.volume_archives
    }
    write_annotation_zip_files(annotation.skeleton, by_id, out, nml_name=annotation.nml_name or nml_name)


def write_annotation_zip_files(
    skeleton: Skeleton,
    archives: Mapping[int, bytes | Path],
    out: IO[bytes],
    *,
    nml_name: str = "annotation.nml",
) -> None:
    """The NML plus volume archives given by volume id, as bytes or as files on disk (streamed into the zip
    rather than held in memory)."""
    volumes = []
    files: dict[str, bytes | Path] = {}
    for volume in skeleton.volumes:
        data = archives.get(volume.id)
        if data is None:
            volumes.append(volume)
            continue
        location = f"data_{volume.id}_{_safe(volume.name or 'Volume')}.zip"
        files[location] = data
        volumes.append(VolumeLayer(**{**volume.__dict__, "location": location}))
    skeleton = Skeleton(**{**skeleton.__dict__, "volumes": tuple(volumes), "_cache": {}})
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        info = zipfile.ZipInfo(_safe(nml_name))
        info.compress_type = zipfile.ZIP_DEFLATED
        with zf.open(info, "w", force_zip64=True) as dst:
            write_nml(skeleton, dst)
        for name, data in files.items():
            if isinstance(data, Path):
                zf.write(data, name, compress_type=zipfile.ZIP_STORED)
            else:
                zf.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_STORED)


def write_annotation_zip_bytes(annotation: Annotation, **kwargs: str) -> bytes:
    buf = io.BytesIO()
    write_annotation_zip(annotation, buf, **kwargs)
    return buf.getvalue()


def _safe(name: str) -> str:
    """A file name without folders or odd characters."""
    cleaned = "".join(c if c.isalnum() or c in "._-+" else "_" for c in Path(name).name)
    return cleaned or "annotation.nml"
