"""Short links for long viewer URLs of this server (like wklink.org)."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit, urlunsplit

from sqlalchemy.orm import Session

from voxelhub.errors import BadInput, NotFound
from voxelhub.policy import Actor, require_user
from voxelhub.redirects import is_local_path
from voxelhub.sharing.models import ShortLink

KEY_LENGTH = 10
_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_LINK_LENGTH = 8000


def create(*, session: Session, actor: Actor, long_link: str, server_origin: str) -> ShortLink:
    """Any logged-in user; only links into this server (a path of it, or an absolute URL under its public URL)."""
    user = require_user(actor)
    if len(long_link) > MAX_LINK_LENGTH:
        raise BadInput(f"longLink: at most {MAX_LINK_LENGTH} characters")
    if local_path(long_link, server_origin) is None:
        raise BadInput(
            "longLink: only links into this server can be shortened: a path starting with one '/' "
            "or an absolute URL of this server"
        )
    link = ShortLink(key=_new_key(), long_link=long_link, created_by=user.user_id)
    session.add(link)
    session.flush()
    return link


def local_path(long_link: str, server_origin: str) -> str | None:
    """The path (with query and fragment) that `long_link` names on this server, or None when it leads elsewhere.
    An absolute URL counts only under the configured public URL, compared as parsed (scheme, host, port)."""
    parts, origin = urlsplit(long_link), urlsplit(server_origin)
    if parts.scheme or parts.netloc:
        same = (parts.scheme.lower(), parts.netloc.lower()) == (origin.scheme.lower(), origin.netloc.lower())
        if not same or any(c.isspace() or ord(c) < 32 for c in long_link):
            return None
        path = urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment))
    else:
        path = long_link
    return path if is_local_path(path) else None


def follow(*, session: Session, key: str, server_origin: str) -> str:
    """Where `/links/{key}` sends the browser. The stored target is checked again now: it was stored under
    the rules and public URL of its day, and a row that no longer passes must not redirect anywhere."""
    link = resolve(session=session, key=key)
    if local_path(link.long_link, server_origin) is None:
        raise NotFound()
    return link.long_link


def _new_key() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(KEY_LENGTH))


def resolve(*, session: Session, key: str) -> ShortLink:
    if not key.isalnum() or len(key) > 16:
        raise NotFound()
    link = session.get(ShortLink, key)
    if link is None:
        raise NotFound()
    return link
