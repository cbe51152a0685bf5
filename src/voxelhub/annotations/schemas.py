"""Wire shapes of the annotations API (docs/api.md, "Annotations")."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field

from voxelhub.schemas import StrictInput, VersionNumber, WireModel


def _skeleton_only() -> list[Literal["skeleton", "volume"]]:
    return ["skeleton"]


class AnnotationCreate(StrictInput):
    dataset_id: str = Field(max_length=24)
    name: str = Field(default="", max_length=300)
    description: str = Field(default="", max_length=10000)
    layers: list[Literal["skeleton", "volume"]] = Field(default_factory=_skeleton_only, max_length=2)


# The stored view (webKnossos' editPosition, editRotation, zoomLevel): bounded as the viewer's hash is.
Coordinate = Annotated[float, Field(ge=-(2**31), le=2**31, allow_inf_nan=False)]
Angle = Annotated[float, Field(ge=-360, le=360, allow_inf_nan=False)]
Vector3 = Annotated[list[Coordinate], Field(min_length=3, max_length=3)]
Rotation3 = Annotated[list[Angle], Field(min_length=3, max_length=3)]
ZoomLevel = Annotated[float, Field(gt=0, le=1e6, allow_inf_nan=False)]


class AnnotationUpdate(StrictInput):
    name: str | None = Field(default=None, max_length=300)
    description: str | None = Field(default=None, max_length=10000)
    visibility: Literal["Private", "Internal", "Public"] | None = None
    # Where the owner works now: the viewer sends it alongside its saves (owner only; no new version).
    edit_position: Vector3 | None = None
    edit_rotation: Rotation3 | None = None
    zoom_level: ZoomLevel | None = None


class OwnerRef(WireModel):
    id: str
    first_name: str
    last_name: str


class TeamRef(WireModel):
    id: str
    name: str


class Restrictions(WireModel):
    allow_access: bool
    allow_update: bool
    allow_download: bool
    allow_finish: bool = False
    allow_save: bool = False


class AnnotationLayerInfo(WireModel):
    name: str
    typ: str
    tracing_id: str


class AnnotationInfo(WireModel):
    id: str
    name: str
    description: str
    visibility: str
    owner: OwnerRef
    dataset_id: str
    dataset_name: str
    organization: str
    dataset_readable: bool
    teams: list[TeamRef]
    version: int
    forked_from: str | None
    restrictions: Restrictions
    typ: str = "Explorational"
    state: str = "Active"
    annotation_layers: list[AnnotationLayerInfo]
    volume_layers: list[dict[str, Any]]
    modified: int
    created: int
    sharing_url: str | None = None
    # Where the owner last worked (null until the viewer saved a view): a link without `#…` opens there.
    edit_position: list[float] | None = None
    edit_rotation: list[float] | None = None
    zoom_level: float | None = None
    # The owner's public annotation is on a private dataset that has no active sharing link, so the link
    # above would show no image data: the Share dialog then creates one (POST …/sharingToken).
    dataset_link_missing: bool = False


class UpdateAction(StrictInput):
    name: str = Field(max_length=50)
    value: dict[str, Any]


class UpdateBatch(StrictInput):
    version: VersionNumber
    actions: list[UpdateAction]  # how many: Settings.max_update_actions, checked before validation


class VersionAnswer(WireModel):
    version: int


class UploadAnswerAnnotation(WireModel):
    id: str
    typ: str = "Explorational"


class UploadAnswer(WireModel):
    annotation: UploadAnswerAnnotation
    messages: list[str] = []
