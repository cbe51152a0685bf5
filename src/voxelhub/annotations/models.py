"""Annotation tables: the annotation itself, the teams it is shared with, and its versioned skeleton.

A skeleton is stored as a chain of versions: every save appends the update actions it applied; every
`SNAPSHOT_EVERY` versions (and at import) the whole skeleton is stored as a compact snapshot, so that any
version loads from the nearest snapshot plus a few actions.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voxelhub.accounts.models import User
from voxelhub.db import Base, UTCDateTime, utcnow
from voxelhub.ids import new_id

VISIBILITIES = ("Private", "Internal", "Public")


class Annotation(Base):
    __tablename__ = "annotations"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    owner_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    visibility: Mapped[str] = mapped_column(String(10), default="Internal")
    version: Mapped[int] = mapped_column(Integer, default=0)
    forked_from_id: Mapped[str | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), nullable=True
    )
    # Volume layers: [{"name", "fallbackLayer", "largestSegmentId", "elementClass", "storage": {...}}]
    volume_layers: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    has_skeleton: Mapped[bool] = mapped_column(default=True)
    # Where the owner last worked (webKnossos' editPosition, editRotation, zoomLevel): saved by the viewer
    # alongside the edits, outside the versions (moving around is no edit); a bare link opens there.
    edit_position: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    edit_rotation: Mapped[list[float] | None] = mapped_column(JSON, nullable=True)
    zoom_level: Mapped[float | None] = mapped_column(Float, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    modified_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    owner: Mapped[User] = relationship(lazy="joined")
    shared_team_links: Mapped[list[AnnotationSharedTeam]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def shared_team_ids(self) -> frozenset[str]:
        return frozenset(link.team_id for link in self.shared_team_links)

    @property
    def owner_team_ids(self) -> frozenset[str]:
        return frozenset(m.team_id for m in self.owner.memberships)


class AnnotationSharedTeam(Base):
    __tablename__ = "annotation_shared_teams"

    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True
    )
    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class SkeletonVersion(Base):
    __tablename__ = "skeleton_versions"

    annotation_id: Mapped[str] = mapped_column(
        ForeignKey("annotations.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    snapshot: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    author_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolumeLayerNode(Base):
    """One volume layer's lineage: the annotation that owns it (NULL once that annotation is deleted: its
    data may still be read by copies), the layer and version it was copied from, and the old-layout
    prefixes (before bucket refs existed) that are its frozen base at version 0."""

    __tablename__ = "volume_layer_nodes"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_id)
    annotation_id: Mapped[str | None] = mapped_column(
        ForeignKey("annotations.id", ondelete="SET NULL"), nullable=True, index=True
    )
    parent_id: Mapped[str | None] = mapped_column(
        ForeignKey("volume_layer_nodes.id"), nullable=True, index=True
    )
    parent_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    legacy_prefixes: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class VolumeBucketRef(Base):
    """Which immutable chunk object a bucket of a layer holds from `from_version` on; a NULL key means "not
    painted in this layer": the bucket reads from the layer's base (old-layout prefixes, then the parent)."""

    __tablename__ = "volume_bucket_refs"

    layer_id: Mapped[str] = mapped_column(
        ForeignKey("volume_layer_nodes.id", ondelete="CASCADE"), primary_key=True
    )
    mag: Mapped[str] = mapped_column(String(40), primary_key=True)
    x: Mapped[int] = mapped_column(Integer, primary_key=True)
    y: Mapped[int] = mapped_column(Integer, primary_key=True)
    z: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_version: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str | None] = mapped_column(String(300), nullable=True)
