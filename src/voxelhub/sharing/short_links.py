"""Short links for long viewer URLs of this server (like wklink.org)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import Actor, require_user
from voxelhub.sharing.models import ShortLink

KEY_LENGTH = 10
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_LINK_LENGTH = 8000


def create(*, session: Session, actor: Actor, long_link: str, server_origin: str) -> ShortLink:
    """Any logged-in user; only links into this server (a relative path or an absolute URL of this host)."""
    user = require_user(actor)
    if len(long_link) > MAX_LINK_LENGTH:
        raise BadInput(f"longLink: at most {MAX_LINK_LENGTH} characters")
    parts = urlsplit(long_link)
    origin = urlsplit(server_origin)
    if parts.scheme or parts.netloc:
        if (parts.scheme, parts.netloc) != (origin.scheme, origin.netloc):
            raise BadInput("longLink: only links into this server can be shortened")
    elif not long_link.startswith("/") or long_link.startswith("//"):
        raise BadInput("longLink: must be an absolute URL of this server or a path starting with '/'")
    link = ShortLink(key=_new_key(), long_link=long_link, created_by=user.user_id)
    session.add(link)
    session.flush()
    return link


def _new_key() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


def resolve(*, session: Session, key: str) -> ShortLink:
    if not key.isalnum() or len(key) > 16:
        raise NotFound("no such link")
    link = session.get(ShortLink, key)
    if link is None:
        raise NotFound("no such link")
    return link
