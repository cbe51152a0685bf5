"""NML download and upload. Both stream: the export is written in chunks to a temporary file that the
answer streams from, and the import parses the uploaded file with iterparse, never building a DOM."""

from __future__ import annotations

import re
import tempfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from voxelhub.accounts.models import Organization, User
from voxelhub.annotations import service, versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.nml import read_nml
from voxelhub.annotations.nml_errors import NmlError
from voxelhub.annotations.nml_write import write_nml
from voxelhub.annotations.skeleton import Skeleton
from voxelhub.datasets.models import Dataset
from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import Action, Actor, authorize, require_user
from voxelhub.settings import Settings

MAX_NML_BYTES = 2 * 1024**3
MAX_ZIP_MEMBERS = 1000
_UNSAFE_FILENAME = re.compile(r"[^A-Za-z0-9_.\- ]+")
CHUNK = 1 << 20


@dataclass
class Export:
    filename: str
    media_type: str
    body: IO[bytes]

    def chunks(self) -> Iterator[bytes]:
        try:
            while chunk := self.body.read(CHUNK):
                yield chunk
        finally:
            self.body.close()


def export(*, session: Session, actor: Actor, annotation_id: str) -> Export:
    """The annotation as NML, with `<experiment>` naming its dataset and `<meta>` its id and owner."""
    annotation = service.get(session=session, actor=actor, annotation_id=annotation_id)
    authorize(actor, Action.DOWNLOAD, annotation)
    skeleton = _with_provenance(session, annotation, versions.load(session, annotation))
    out = tempfile.SpooledTemporaryFile(max_size=32 * 1024**2)  # noqa: SIM115 (closed by Export.chunks)
    write_nml(skeleton, out)
    out.seek(0)
    return Export(filename=f"{safe_filename(annotation.name) or annotation.id}.nml", media_type="application/xml",
                  body=out)


def safe_filename(name: str) -> str:
    return _UNSAFE_FILENAME.sub("_", name).strip(" ._")[:120]


def _with_provenance(session: Session, annotation: Annotation, skeleton: Skeleton) -> Skeleton:
    dataset = service.dataset_of(session, annotation)
    org = session.get(Organization, dataset.organization_id)
    experiment = dict(skeleton.parameters.experiment)
    experiment.update(name=dataset.name, organization=org.name if org else "", datasetId=dataset.id,
                      description=annotation.description)
    scale = (dataset.data_source.get("scale") or {})
    factor = scale.get("factor") if isinstance(scale, dict) else scale
    parameters = replace(
        skeleton.parameters, experiment=tuple(experiment.items()),
        scale=tuple(factor) if factor else skeleton.parameters.scale,  # type: ignore[arg-type]
        unit=scale.get("unit") if isinstance(scale, dict) else skeleton.parameters.unit,
    )
    owner = annotation.owner
    meta = dict(skeleton.meta)
    meta.update(annotationId=annotation.id, username=f"{owner.first_name} {owner.last_name}".strip())
    return replace(skeleton, parameters=parameters, meta=tuple(meta.items()))


def import_upload(
    *, session: Session, actor: Actor, settings: Settings, filename: str, upload: IO[bytes],
    dataset_id: str | None = None,
) -> Annotation:
    """One uploaded NML (or zip holding one NML) becomes one annotation owned by the caller. A bad file
    is refused with what and where; nothing is created."""
    require_user(actor)
    skeleton = _read_upload(filename, upload)
    dataset = _dataset_for(session, actor, skeleton, dataset_id)
    name = skeleton.parameters.experiment_attr("annotationName") or _stem(filename)
    annotation = service.create(session=session, actor=actor, dataset_id=dataset.id, name=name,
                                description=skeleton.parameters.experiment_attr("description") or "")
    versions.initialise(session=session, annotation=annotation, settings=settings, skeleton=skeleton)
    return annotation


def _stem(filename: str) -> str:
    base = filename.rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0][:300] if "." in base else base[:300]


def _read_upload(filename: str, upload: IO[bytes]) -> Skeleton:
    try:
        if filename.lower().endswith(".zip") or zipfile.is_zipfile(upload):
            upload.seek(0)
            return _read_zip(upload)
        upload.seek(0)
        return read_nml(upload, max_bytes=MAX_NML_BYTES)
    except NmlError as exc:
        raise BadInput(f"{filename}: {exc}", line=exc.line) from exc


def _read_zip(upload: IO[bytes]) -> Skeleton:
    try:
        archive = zipfile.ZipFile(upload)
    except zipfile.BadZipFile as exc:
        raise BadInput(f"not a valid zip file ({exc})") from exc
    with archive:
        members = archive.infolist()
        if len(members) > MAX_ZIP_MEMBERS:
            raise BadInput(f"the zip holds more than {MAX_ZIP_MEMBERS} files")
        nmls = [m for m in members if m.filename.lower().endswith(".nml") and not m.is_dir()]
        if len(nmls) != 1:
            raise BadInput(f"the zip must hold exactly one .nml file (found {len(nmls)})")
        if nmls[0].file_size > MAX_NML_BYTES:
            raise BadInput("the NML inside the zip is too large")
        with archive.open(nmls[0]) as member:
            try:
                return read_nml(member, max_bytes=MAX_NML_BYTES)
            except NmlError as exc:
                raise BadInput(f"{nmls[0].filename}: {exc}", line=exc.line) from exc


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
    stmt = select(Dataset).join(Organization, Organization.id == Dataset.organization_id).where(Dataset.name == name)
    if org_name:
        stmt = stmt.where(Organization.name == org_name)
    else:
        stmt = stmt.where(Dataset.organization_id == require_user(actor).organization_id)
    dataset = session.scalar(stmt)
    if dataset is None:
        raise NotFound(f"dataset {name!r} not found")
    from voxelhub.datasets import service as datasets

    return datasets.get(session=session, actor=actor, dataset_id=dataset.id)


def owner_name(user: User) -> str:
    return f"{user.first_name} {user.last_name}".strip()
