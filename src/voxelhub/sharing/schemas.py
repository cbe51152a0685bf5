"""Wire shapes of share links, short links and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from voxelhub.schemas import StrictInput, WireModel


class SharingTokenAnswer(WireModel):
    sharing_token: str


class ShareLinkCreate(StrictInput):
    name: str = Field(max_length=200)
    expires_at: datetime | None = None


class ShareLinkPublic(WireModel):
    id: str
    name: str
    is_default: bool
    token: str | None
    url: str | None
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    status: str
    use_count: int  # requests made with the link (the viewer makes many per look)
    visits: int  # distinct visitors (session, else address) per hour
    first_used_at: datetime | None
    last_used_at: datetime | None


class AuditEventPublic(WireModel):
    action: str
    at: datetime
    actor_user_id: str | None
    actor_name: str | None
    details: dict[str, Any]


class ShortLinkCreate(StrictInput):
    long_link: str = Field(max_length=8000)


class ShortLinkPublic(WireModel):
    key: str
    long_link: str


class LongLinkAnswer(WireModel):
    long_link: str
