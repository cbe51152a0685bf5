"""One validated settings object, built from `VOXELHUB_*` environment variables at start-up.

Nothing reads the environment at import time: `Settings.from_env()` is called by the CLI (or a test)
and the result is passed down to `create_app`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


class SettingsError(ValueError):
    """A setting has a value voxelhub cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("voxelhub-data")
    database_url: str = ""
    # The one answer to "is this link into this server?" and the origin of every absolute link the server
    # writes. Never taken from a request's Host header, which the visitor chooses.
    public_url: str = DEFAULT_PUBLIC_URL
    secure_cookies: bool = False
    session_days: int = 14
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    max_upload_bytes: int = 2 * 1024**3
    volumes_url: str = ""  # where volume annotation layers live: a local folder or s3://bucket/prefix
    volumes_storage_options: dict[str, Any] = field(default_factory=dict)  # for s3fs (endpoint, keys, …)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def effective_database_url(self) -> str:
        """SQLite in the data folder unless a database URL was given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'voxelhub.sqlite3').resolve()}"

    @property
    def datasets_dir(self) -> Path:
        return self.data_dir / "datasets"

    @property
    def volumes_dir(self) -> Path:
        return self.data_dir / "volumes"

    @property
    def volumes_location_url(self) -> str:
        """The volumes folder in the data folder, unless VOXELHUB_VOLUMES_URL names another place."""
        return self.volumes_url or str(self.volumes_dir.resolve())

    def with_overrides(self, **changes: object) -> Settings:
        return replace(self, **changes)  # type: ignore[arg-type]

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if environ is None else environ)
        url = env.get("VOXELHUB_DATABASE_URL", "")
        if url and not url.startswith(("sqlite", "postgresql")):
            raise SettingsError(
                "VOXELHUB_DATABASE_URL must start with sqlite:// or postgresql+psycopg:// "
                f"(got a URL starting with {url.split(':', 1)[0]!r})"
            )
        return cls(
            data_dir=Path(env.get("VOXELHUB_DATA_DIR", "voxelhub-data")),
            database_url=url,
            public_url=_public_url(env.get("VOXELHUB_PUBLIC_URL", "")),
            secure_cookies=_flag(env.get("VOXELHUB_SECURE_COOKIES", "")),
            volumes_url=_volumes_url(env.get("VOXELHUB_VOLUMES_URL", "")),
            volumes_storage_options=_json_object(env, "VOXELHUB_VOLUMES_STORAGE_OPTIONS"),
        )


def _public_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if not value:
        return DEFAULT_PUBLIC_URL
    parts = urlsplit(value)
    try:
        parts.port  # noqa: B018 (raises on a port that is no number)
    except ValueError:
        parts = parts._replace(netloc="")
    odd = parts.query or parts.fragment or parts.username is not None or any(c.isspace() for c in value)
    if parts.scheme not in ("http", "https") or not parts.hostname or odd:
        raise SettingsError("VOXELHUB_PUBLIC_URL must be an http:// or https:// URL such as https://data.example.org")
    return value


def _volumes_url(value: str) -> str:
    value = value.strip().rstrip("/")
    if value and "://" in value and not value.startswith(("s3://", "file://")):
        raise SettingsError("VOXELHUB_VOLUMES_URL must be a folder or an s3://bucket/prefix URL")
    return value


def _json_object(env: dict[str, str], name: str) -> dict[str, Any]:
    """A JSON object from the environment (never echoed back: it may hold credentials)."""
    text = env.get(name, "").strip()
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        raise SettingsError(f"{name} must be a JSON object") from None
    if not isinstance(value, dict):
        raise SettingsError(f"{name} must be a JSON object")
    return value


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}
