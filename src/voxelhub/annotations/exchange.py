"""NML and annotation-zip download and upload. Both stream: the export is written to a temporary file that the
answer streams from, and the import parses the uploaded NML without building a DOM. An annotation with volume
layers travels as a zip (the NML plus one `data_<layer>.zip` per layer, see `volume.exchange`)."""

from __future__ import annotations

import io
import re
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization, User
from voxelhub.annotations import service, versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.nml.annotation_zip import archive_names, write_annotation_zip_files
from voxelhub.annotations.nml.errors import NmlError
from voxelhub.annotations.nml.limits import NmlLimits
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.annotations.nml.writer import write_nml
from voxelhub.annotations.skeleton.model import Parameters, Skeleton
from voxelhub.annotations.volume import exchange as volume_exchange
from voxelhub.app_caches import NO_CACHES, AppCaches
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import (
    VOLUME_DATA_NEEDS_DATASET,
    Action,
    Actor,
    can_read_volume_data,
    require_user,
)
from voxelhub.settings import Settings
from voxelhub.storage.archives import (
    BoundedMember,
    ByteBudget,
    annotation_zip_limits,
    copy_member,
    open_zip,
)

_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.\- ]+")
CHUNK = 1 << 20


@dataclass
class Export:
    filename: str
    media_type: str
    body: IO[bytes]
    volume_data_omitted: bool = False  # the reader may not read the dataset: the skeleton NML alone

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self.body.read(CHUNK):
                yield chunk
        finally:
            self.body.close()


def export(
    *, session: Session, actor: Actor, settings: Settings, annotation_id: str, caches: AppCaches = NO_CACHES
) -> Export:
    """The annotation as NML, with `<experiment>` naming its dataset and `<meta>` its id and owner; as a zip
    with one zarr3 volume archive per layer when it has volume layers. A reader who may not read the dataset
    gets the skeleton NML alone, with a comment saying why: volume data is derived from the dataset."""
    annotation = service.get(
        session=session, actor=actor, annotation_id=annotation_id, action=Action.DOWNLOAD
    )
    dataset = service.dataset_of(session, annotation)
    skeleton = _with_provenance(
        session, annotation, dataset, versions.load(session, annotation, caches=caches)
    )
    stem = safe_filename(annotation.name) or annotation.id
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024**2)  # noqa: SIM115 (closed by Export.chunks)
    if not can_read_volume_data(actor, annotation, dataset):
        return _skeleton_only(annotation, skeleton, out, stem)
    if not annotation.volume_layers:
        write_nml(replace(skeleton, volumes=volume_exchange.volume_descriptors(annotation, skeleton)), out)
        out.seek(0)
        return Export(filename=f"{stem}.nml", media_type="application/xml", body=out)
    _write_zip(session, settings, annotation, skeleton, out, nml_name=f"{stem}.nml")
    out.seek(0)
    return Export(filename=f"{stem}.zip", media_type="application/zip", body=out)


def _skeleton_only(annotation: Annotation, skeleton: Skeleton, out: IO[bytes], stem: str) -> Export:
    """The NML without any `<volume>`: neither the data nor the descriptors (their largest segment ids
    come from the dataset), and a comment in their place when there were some."""
    omitted = bool(annotation.volume_layers or skeleton.volumes)
    note = f"Volume data omitted: {VOLUME_DATA_NEEDS_DATASET}." if omitted else None
    write_nml(replace(skeleton, volumes=()), out, note=note)
    out.seek(0)
    return Export(filename=f"{stem}.nml", media_type="application/xml", body=out, volume_data_omitted=omitted)


def _write_zip(
    session: Session,
    settings: Settings,
    annotation: Annotation,
    skeleton: Skeleton,
    out: IO[bytes],
    *,
    nml_name: str,
) -> None:
    descriptors = volume_exchange.volume_descriptors(annotation, skeleton)
    scale = skeleton.parameters.scale
    with tempfile.TemporaryDirectory(prefix="voxelhub-export-") as tmp:
        archives: dict[int, bytes | Path] = {}
        for layer, volume in zip(annotation.volume_layers, descriptors, strict=False):
            path = Path(tmp) / f"{volume.id}.zip"
            volume_exchange.write_layer_archive(
                session, settings, layer, path, list(scale) if scale else None, annotation.version
            )
            archives[volume.id] = path
        write_annotation_zip_files(replace(skeleton, volumes=descriptors), archives, out, nml_name=nml_name)


def safe_filename(name: str) -> str:
    return _UNSAFE_FILENAME.sub("_", name).strip(" ._")[:120]


def _with_provenance(
    session: Session, annotation: Annotation, dataset: Dataset, skeleton: Skeleton
) -> Skeleton:
    org = session.get(Organization, dataset.organization_id)
    experiment = dict(skeleton.parameters.experiment)
    experiment.update(
        name=dataset.name,
        organization=org.name if org else "",
        datasetId=dataset.id,
        description=annotation.description,
    )
    scale = dataset.data_source.get("scale") or {}
    factor = scale.get("factor") if isinstance(scale, dict) else scale
    parameters = replace(
        skeleton.parameters,
        experiment=tuple(experiment.items()),
        scale=tuple(factor) if factor else skeleton.parameters.scale,
        unit=scale.get("unit") if isinstance(scale, dict) else skeleton.parameters.unit,
    )
    owner = annotation.owner
    meta = dict(skeleton.meta)
    meta.update(annotationId=annotation.id, username=f"{owner.first_name} {owner.last_name}".strip())
    return replace(skeleton, parameters=_with_edit_view(parameters, annotation), meta=tuple(meta.items()))


def _vec3(values: list[float] | None) -> tuple[float, float, float] | None:
    return (values[0], values[1], values[2]) if values is not None and len(values) == 3 else None


def _with_edit_view(parameters: Parameters, annotation: Annotation) -> Parameters:
    """The view the viewer stored (where the owner last worked) wins over the one the skeleton carries."""
    return replace(
        parameters,
        edit_position=_vec3(annotation.edit_position) or parameters.edit_position,
        edit_rotation=_vec3(annotation.edit_rotation) or parameters.edit_rotation,
        zoom_level=annotation.zoom_level if annotation.zoom_level is not None else parameters.zoom_level,
    )


def import_upload(
    *,
    session: Session,
    actor: Actor,
    settings: Settings,
    filename: str,
    upload: IO[bytes],
    dataset_id: str | None = None,
    caches: AppCaches = NO_CACHES,
) -> Annotation:
    """One uploaded NML (or annotation zip: the NML plus its volume data) becomes one annotation owned by the
    caller. A bad file is refused with what and where; nothing is created, no volume file is left behind."""
    require_user(actor)
    with _read_upload(filename, upload, settings) as parsed:
        skeleton = parsed.skeleton
        dataset = _dataset_for(session, actor, skeleton, dataset_id)
        name = skeleton.parameters.experiment_attr("annotationName") or _stem(filename)
        annotation = service.create(
            session=session,
            actor=actor,
            dataset_id=dataset.id,
            name=name,
            description=skeleton.parameters.experiment_attr("description") or "",
        )
        service.set_edit_view_from(annotation, skeleton.parameters)
        versions.initialise(
            session=session, annotation=annotation, settings=settings, skeleton=skeleton, caches=caches
        )
        try:
            volume_exchange.import_layers(
                session=session,
                settings=settings,
                annotation=annotation,
                dataset=dataset,
                skeleton=skeleton,
                archives=parsed.archives,
                budget=parsed.budget,
                labels=parsed.labels,
            )
            session.flush()
        except BaseException:
            volume_exchange.remove_layer_files(settings, annotation.id)
            raise
    return annotation


def remove_volume_files(settings: Settings, annotation_id: str) -> None:
    """The volume data an upload wrote, when its transaction does not commit."""
    volume_exchange.remove_layer_files(settings, annotation_id)


@dataclass
class ParsedUpload:
    """The NML of an upload and, for a zip, its volume archives copied to a temporary folder (volume id ->
    file, each member copied once however many `<volume>`s name it); leaving the `with` block removes them.
    `budget` is what the upload may still decode (the nested archives draw on it too)."""

    skeleton: Skeleton
    archives: dict[int, Path] = field(default_factory=dict)
    labels: dict[int, str] = field(default_factory=dict)  # volume id -> the member's name, for messages
    folder: Path | None = None
    budget: ByteBudget | None = None

    def __enter__(self) -> ParsedUpload:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None


def _stem(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0][:300] if "." in base else base[:300]


def _read_upload(filename: str, upload: IO[bytes], settings: Settings) -> ParsedUpload:
    limits = NmlLimits.from_settings(settings)
    try:
        if filename.lower().endswith(".zip") or zipfile.is_zipfile(upload):
            upload.seek(0)
            return _read_zip(upload, settings, limits)
        upload.seek(0)
        return ParsedUpload(read_nml(upload, limits=limits))
    except NmlError as exc:
        raise BadInput(f"{filename}: {exc}", line=exc.line) from exc


def _read_zip(upload: IO[bytes], settings: Settings, limits: NmlLimits) -> ParsedUpload:
    budget = ByteBudget(annotation_zip_limits(settings))
    with open_zip(upload, "the upload", budget.limits) as archive:
        members = archive.infolist()
        nmls = [m for m in members if m.filename.lower().endswith(".nml") and not m.is_dir()]
        if len(nmls) != 1:
            raise BadInput(f"the zip must hold exactly one .nml file (found {len(nmls)})")
        with BoundedMember(archive, nmls[0], budget, nmls[0].filename, limits.max_bytes) as member:
            try:
                skeleton = read_nml(io.BufferedReader(member, CHUNK), limits=limits)
            except NmlError as exc:
                raise BadInput(f"{nmls[0].filename}: {exc}", line=exc.line) from exc
        return _extract_volume_archives(archive, skeleton, budget, settings)


def _volume_members(
    archive: zipfile.ZipFile, skeleton: Skeleton, max_layers: int
) -> dict[int, zipfile.ZipInfo]:
    """volume id -> the member holding its data; at most `max_layers` volumes with data."""
    by_name = {m.filename: m for m in archive.infolist() if not m.is_dir()}
    found = {}
    for volume in skeleton.volumes:
        member = next((by_name[n] for n in archive_names(volume) if n in by_name), None)
        if member is not None:
            found[volume.id] = member
    if len(found) > max_layers:
        raise BadInput(f"the annotation brings {len(found)} volume layers; at most {max_layers} are allowed")
    return found


def _extract_volume_archives(
    archive: zipfile.ZipFile, skeleton: Skeleton, budget: ByteBudget, settings: Settings
) -> ParsedUpload:
    """Copy each `<volume>`'s data archive out of the upload into a temporary folder: streamed, every
    member at most once, the bytes written counted against the temp limit and the upload's budget."""
    members = _volume_members(archive, skeleton, settings.annotation_max_volume_layers)
    parsed = ParsedUpload(skeleton, budget=budget)
    copied: dict[str, Path] = {}
    written = 0
    try:
        for volume_id, member in members.items():
            if member.filename not in copied:
                if parsed.folder is None:
                    parsed.folder = Path(tempfile.mkdtemp(prefix="voxelhub-upload-"))
                target = parsed.folder / f"{len(copied)}.zip"
                left = settings.annotation_upload_max_temp_bytes - written
                with target.open("wb") as sink:
                    written += _copy_capped(archive, member, sink, budget, left, settings)
                copied[member.filename] = target
            parsed.archives[volume_id] = copied[member.filename]
            parsed.labels[volume_id] = member.filename
    except BaseException:
        parsed.__exit__()
        raise
    return parsed


def _copy_capped(
    archive: zipfile.ZipFile,
    member: zipfile.ZipInfo,
    sink: IO[bytes],
    budget: ByteBudget,
    left: int,
    settings: Settings,
) -> int:
    limit = settings.annotation_upload_max_temp_bytes
    return copy_member(
        archive,
        member,
        sink,
        budget,
        max_bytes=left,
        too_large=f"the volume archives of the upload unpack to more than {limit} bytes",
    )


def _dataset_for(session: Session, actor: Actor, skeleton: Skeleton, dataset_id: str | None) -> Dataset:
    """The dataset named by the form, else by the NML's `<experiment datasetId>`, else by organization + name."""
    wanted = dataset_id or skeleton.parameters.experiment_attr("datasetId")
    if wanted:
        from voxelhub.datasets import service as datasets

        return datasets.get(session=session, actor=actor, dataset_id=wanted)
    org_name = skeleton.parameters.experiment_attr("organization")
    name = skeleton.parameters.experiment_attr("name")
    if not name:
        raise BadInput("the NML names no dataset: send datasetId with the upload")
    stmt = (
        select(Dataset)
        .join(Organization, Organization.id == Dataset.organization_id)
        .where(Dataset.name == name)
    )
    if org_name:
        stmt = stmt.where(Organization.name == org_name)
    else:
        stmt = stmt.where(Dataset.organization_id == require_user(actor).organization_id)
    dataset = session.scalar(stmt)
    if dataset is None:
        raise NotFound()
    from voxelhub.datasets import service as datasets

    return datasets.get(session=session, actor=actor, dataset_id=dataset.id)


def owner_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip()
