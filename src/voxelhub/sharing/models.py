"""Share links, short links and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voxelhub.db import Base, UTCDateTime, utcnow
from voxelhub.ids import new_id


class ShareLink(Base):
    """A secret token granting read access to one object. A dataset has one default link (the one
    `GET /api/datasets/{id}/sharingToken` returns) and any number of further named links."""

    __tablename__ = "share_links"
    __table_args__ = (Index("ix_share_links_object", "object_kind", "object_id"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=new_id)
    object_kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(24))
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200), default="")
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    # The token itself is kept so that the owner can copy the link again (as webKnossos does);
    # lookups go through the digest.
    token: Mapped[str] = mapped_column(String(64))
    token_digest: Mapped[str] = mapped_column(String(64), unique=True)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    use_count: Mapped[int] = mapped_column(Integer, default=0)
    first_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class ShareLinkVisit(Base):
    """One visitor of a link in one hour: a link's visits are its rows. The visitor is a keyed digest of the
    session cookie or, without one, the client address (`sharing.usage`), never the value itself."""

    __tablename__ = "share_link_visits"

    link_id: Mapped[str] = mapped_column(ForeignKey("share_links.id", ondelete="CASCADE"), primary_key=True)
    hour: Mapped[datetime] = mapped_column(UTCDateTime(), primary_key=True)
    visitor: Mapped[str] = mapped_column(String(32), primary_key=True)


class AuditEvent(Base):
    """One sharing change: who did what to which object, and when."""

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_kind", "object_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    organization_id: Mapped[str] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    object_kind: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[str] = mapped_column(String(24))
    actor_user_id: Mapped[str | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True
    )
    action: Mapped[str] = mapped_column(String(50))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShortLink(Base):
    __tablename__ = "short_links"

    key: Mapped[str] = mapped_column(String(16), primary_key=True)
    long_link: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
