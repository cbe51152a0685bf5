"""Where the server may send a browser that asked to go somewhere: only to a path of this server.

Every redirect to a target that a visitor chose (the login's `next`, a short link's stored target) goes through
`local_target`, so that no link that looks like ours can hand our users on to a phishing page.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

DASHBOARD = "/dashboard"


def local_target(candidate: str, fallback: str = DASHBOARD) -> str:
    """`candidate` unchanged (with its query and `#fragment`) if it is a path of this server, else `fallback`."""
    return candidate if is_local_path(candidate) else fallback


def is_local_path(candidate: str) -> bool:
    """A path that every browser resolves against this server's own origin.

    Browsers drop tabs and newlines anywhere in a URL and read `\\` as `/`, so `/<TAB>/evil.example` and
    `/\\evil.example` are scheme-relative links to another host. A candidate is refused when it, or its
    percent-decoded form, has any control or whitespace character or backslash, does not start with exactly
    one `/`, or parses with a scheme or host.
    """
    decoded = unquote(candidate)
    for form in (candidate, decoded):
        if not form.startswith("/") or form.startswith(("//", "/\\")):
            return False
        if any(_unsafe_character(c) for c in form):
            return False
    parts = urlsplit(candidate)
    return not parts.scheme and not parts.netloc


def _unsafe_character(c: str) -> bool:
    # Category C: controls, invisible format characters (zero-width space, bidi marks), unassigned code points.
    return c == "\\" or c.isspace() or unicodedata.category(c).startswith("C")
