"""Datasets uploaded as a zip of their folder (webKnossos layout or OME-Zarr).

The zip is unpacked below the organization's own folder in the data folder (`datasets/<org id>/<new id>/`),
member by member with every name checked (no absolute paths, no `..`, no links, nothing outside). Sizes are
capped twice: the zip's directory is checked before a byte is written (cheap refusal of an honest big zip),
and the bytes actually decompressed are counted while writing (a zip's directory can lie), per member, in
total and per compression ratio (`voxelhub.storage.archives`). Then the folder is scanned and registered like
a folder added on the command line. When `VOXELHUB_DATASETS_URL` names an object store, the scanned folder is
copied there (so that every server process finds it, not only the one that received the upload) and leaves the
local disk. Whatever goes wrong, the folder is removed and nothing is registered, and messages name files
relative to the zip, never the server's own paths.
"""

from __future__ import annotations

import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO

from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization
from voxelhub.datasets import service
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput, NotFound
from voxelhub.ids import new_id
from voxelhub.policy import Action, Actor, authorize, require_user
from voxelhub.settings import Settings
from voxelhub.storage.archives import ByteBudget, ZipLimits, copy_member, dataset_zip_limits, open_zip
from voxelhub.storage.location import open_location
from voxelhub.storage.profiles import PROFILE, effective_options


@dataclass(frozen=True)
class UploadPermit:
    """Proof that the actor may add datasets to the organization. Only `permit_upload` makes one, so the route
    decides who may upload before it reads a byte of a (possibly huge) body, and the registration that follows
    needs no second check that no test could tell from the first."""

    actor: Actor
    organization_id: str


def permit_upload(*, session: Session, actor: Actor) -> UploadPermit:
    """The actor's permit to upload into their own organization (401 anonymous, 403 without the role)."""
    user = require_user(actor)
    org = session.get(Organization, user.organization_id)
    if org is None:
        raise NotFound()
    authorize(actor, Action.MANAGE_DATASETS, org)
    return UploadPermit(actor=actor, organization_id=org.id)


def register_upload(
    *,
    session: Session,
    permit: UploadPermit,
    settings: Settings,
    upload: IO[bytes],
    filename: str,
    name: str | None = None,
) -> Dataset:
    """Unpack, scan and register an uploaded dataset zip as a new private dataset of the permit's organization."""
    organization_id = permit.organization_id
    name = service.check_name(name or _stem(filename))
    folder = f"{organization_id}/{new_id()}"
    target = (settings.datasets_dir / folder).resolve()
    try:
        root = unpack(upload, target, limits=dataset_zip_limits(settings))
        try:
            # Scanned where it was unpacked: a broken upload is refused before a byte reaches the store.
            scanned = service.scan_and_register(
                session=session, organization_id=organization_id, location_url=str(root), name=name
            )
        except BadInput as exc:
            raise BadInput(_relative(exc.message, target), **exc.details) from None
        if settings.datasets_url:
            inside = root.relative_to(target).as_posix()  # "." or the one folder the zip wraps everything in
            _move_to_store(settings, scanned, root, folder if inside == "." else f"{folder}/{inside}")
            shutil.rmtree(target, ignore_errors=True)
        return scanned
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise


def _move_to_store(settings: Settings, dataset: Dataset, root: Path, folder: str) -> None:
    """Copy the unpacked dataset to the configured datasets store (every server process reads it there, not
    from the local disk of the process that received the upload) and point the registered row at it."""
    stored = {PROFILE: settings.datasets_storage_profile} if settings.datasets_storage_profile else {}
    store = open_location(settings.datasets_url, effective_options(stored, settings.storage_profiles))
    try:
        store.put_folder(root, folder)
    except BaseException:
        store.remove(folder)
        raise
    dataset.location = f"{store.url.rstrip('/')}/{folder}"
    dataset.storage_options = stored


def _relative(message: str, target: Path) -> str:
    """A scan error with the server's folder cut out: paths as they are inside the zip."""
    for prefix in (f"file://{target}", str(target)):
        message = message.replace(prefix + "/", "").replace(prefix, ".")
    return message


def _stem(filename: str) -> str:
    base = PurePosixPath(filename.replace("\\", "/")).name
    return base[:-4] if base.lower().endswith(".zip") else base


def unpack(upload: IO[bytes], target: Path, *, limits: ZipLimits) -> Path:
    """Unpack a dataset zip into `target` (created); answers the dataset's root folder: `target`, or the
    single folder the zip wraps everything in."""
    budget = ByteBudget(limits)
    with open_zip(upload, "the upload", limits) as archive:
        members = [m for m in archive.infolist() if not m.is_dir()]
        _check_members(members, limits)
        target.mkdir(parents=True)
        for member in members:
            destination = target.joinpath(*PurePosixPath(member.filename).parts)
            try:
                destination.parent.mkdir(parents=True, exist_ok=True)
                with destination.open("xb") as sink:
                    copy_member(archive, member, sink, budget)
            except OSError as exc:  # the OS names the server's path: say what went wrong, name the member
                raise BadInput(f"{member.filename}: cannot be unpacked ({_problem(exc)})") from None
    entries = list(target.iterdir())
    return entries[0] if len(entries) == 1 and entries[0].is_dir() else target


def _problem(exc: OSError) -> str:
    if isinstance(exc, FileExistsError | NotADirectoryError | IsADirectoryError):
        return "the zip holds this name twice, or as both a file and a folder"
    return exc.strerror or type(exc).__name__


def _check_members(members: list[zipfile.ZipInfo], limits: ZipLimits) -> None:
    """What the directory declares, before anything is written (the counted limits apply while writing)."""
    if not members:
        raise BadInput("the zip is empty")
    total = 0
    for member in members:
        _check_name(member)
        if member.file_size > limits.max_member_bytes:
            raise BadInput(f"{member.filename}: larger than {limits.max_member_bytes} bytes")
        total += member.file_size
        if total > limits.max_total_bytes:
            raise BadInput(f"the zip unpacks to more than {limits.max_total_bytes} bytes")


def _check_name(member: zipfile.ZipInfo) -> None:
    name = member.filename
    path = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or "\x00" in name
        or path.is_absolute()
        or ":" in path.parts[0]
        or any(part in ("", ".", "..") for part in name.split("/"))
    ):
        raise BadInput(f"the zip member {name!r} has a name that points outside the dataset")
    if stat.S_ISLNK(member.external_attr >> 16):
        raise BadInput(f"the zip member {name!r} is a link; datasets may hold only files and folders")
