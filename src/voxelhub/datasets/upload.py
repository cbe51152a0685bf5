"""Datasets uploaded as a zip of their folder (webKnossos layout or OME-Zarr).

The zip is unpacked below the organization's own folder in the data folder (`datasets/<org id>/<new id>/`),
member by member with every name checked (no absolute paths, no `..`, no links, nothing outside), the sizes
taken from the zip's directory and capped before a byte is written, then scanned and registered like a
folder added on the command line. Whatever goes wrong, the folder is removed and nothing is registered.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization
from voxelhub.datasets import service
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput, NotFound
from voxelhub.ids import new_id
from voxelhub.policy import Action, Actor, authorize
from voxelhub.settings import Settings

MAX_MEMBERS = 1_000_000
UNPACKED_PER_UPLOADED = 8  # a zip may unpack to at most 8 times the upload size limit
_COPY_CHUNK = 1 << 20


def register_upload(
    *, session: Session, actor: Actor, settings: Settings, organization_id: str, upload: IO[bytes],
    filename: str, name: str | None = None,
) -> Dataset:
    """Unpack, scan and register an uploaded dataset zip as a new private dataset of the organization."""
    org = session.get(Organization, organization_id)
    if org is None:
        raise NotFound("organization not found")
    authorize(actor, Action.MANAGE_DATASETS, org)  # before anything touches the disk
    name = service.check_name(name or _stem(filename))
    target = (settings.datasets_dir / organization_id / new_id()).resolve()
    try:
        root = unpack(upload, target, max_bytes=UNPACKED_PER_UPLOADED * settings.max_upload_bytes)
        return service.scan_and_register(session=session, organization_id=organization_id,
                                         location_url=str(root), name=name)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _stem(filename: str) -> str:
    base = PurePosixPath(filename.replace("\\", "/")).name
    return base[:-4] if base.lower().endswith(".zip") else base


def unpack(upload: IO[bytes], target: Path, *, max_bytes: int) -> Path:
    """Unpack a dataset zip into `target` (created); answers the dataset's root folder: `target`, or the
    single folder the zip wraps everything in."""
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise BadInput(f"not a valid zip file ({exc})") from None
    with archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_members(members, max_bytes)
        target.mkdir(parents=True)
        for member in members:
            destination = target.joinpath(*PurePosixPath(member.filename).parts)
            destination.parent.mkdir(parents=True, exist_ok=True)
            try:
                with archive.open(member) as source, destination.open("wb") as sink:
                    shutil.copyfileobj(source, sink, _COPY_CHUNK)
            except (zipfile.BadZipFile, EOFError, OSError) as exc:
                raise BadInput(f"{member.filename}: cannot be unpacked ({exc})") from None
    entries = list(target.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target


def _check_members(members: list[zipfile.ZipInfo], max_bytes: int) -> None:
    if not members:
        raise BadInput("the zip is empty")
    if len(members) > MAX_MEMBERS:
        raise BadInput(f"the zip holds more than {MAX_MEMBERS} files")
    total = 0
    for member in members:
        _check_name(member)
        total += member.file_size
        if total > max_bytes:
            raise BadInput(f"the zip unpacks to more than {max_bytes} bytes")


def _check_name(member: zipfile.ZipInfo) -> None:
    name = member.filename
    path = PurePosixPath(name)
    if (not name or "\\" in name or "\x00" in name or path.is_absolute() or ":" in path.parts[0]
            or any(part in ("", ".", "..") for part in name.split("/"))):
        raise BadInput(f"the zip member {name!r} has a name that points outside the dataset")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise BadInput(f"the zip member {name!r} is a link; datasets may hold only files and folders")
