"""The server key: a secret kept outside the database, from which default API tokens are derived.

The database stores only digests of API tokens, so a leaked backup gives no working token. webKnossos (and so
the field's habits) shows a user's default token again on request; deriving it from this key and the token's row
id makes that possible without storing it. `VOXELHUB_SECRET_KEY` sets the key; without it, one is made once in
the data folder (readable only by its owner). Every server process must use the same key: set the variable
when processes do not share the data folder.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from voxelhub.settings import Settings

KEY_FILE = "secret-key"


def server_key(settings: Settings) -> bytes:
    if settings.secret_key:
        return settings.secret_key.encode()
    return _key_from_file(settings.data_dir / KEY_FILE)


def _key_from_file(path: Path) -> bytes:
    if not path.exists():
        _create_once(path)
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"the server key in {path} is too short; delete it to make a new one")
    return key.encode()


def _create_once(path: Path) -> None:
    """Write a new key under a temporary name, then link it into place: of several processes starting at
    once, exactly one key wins and nobody reads a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process was first: its key is the key
    finally:
        temporary.unlink(missing_ok=True)
