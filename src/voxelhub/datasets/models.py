"""Dataset tables. A dataset's voxels stay where they are (a folder or an object-store prefix); the row keeps
where, the scanned `dataSource` metadata, and the sharing settings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voxelhub.db import Base, UTCDateTime, utcnow
from voxelhub.ids import new_id


class Dataset(Base):
    __tablename__ = "datasets"
    __table_args__ = (UniqueConstraint("organization_id", "name", name="uq_datasets_org_name"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_id)
    organization_id: Mapped[str] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    display_name: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    is_public: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    location: Mapped[str] = mapped_column(Text)
    storage_options: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    data_source: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    allowed_team_links: Mapped[list[DatasetAllowedTeam]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def allowed_team_ids(self) -> frozenset[str]:
        return frozenset(link.team_id for link in self.allowed_team_links)


class DatasetAllowedTeam(Base):
    __tablename__ = "dataset_allowed_teams"

    dataset_id: Mapped[str] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), primary_key=True)
    team_id: Mapped[str] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True, index=True
    )
