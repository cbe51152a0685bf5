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


class SettingsError(ValueError):
    """A setting has a value voxelhub cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("voxelhub-data")
    database_url: str = ""
    public_url: str = ""
    secure_cookies: bool = False
    session_days: int = 14
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    max_upload_bytes: int = 2 * 1024**3
    # What one uploaded NML may hold (annotations/nml_limits.py says why each bound exists).
    nml_max_bytes: int = 2 * 1024**3
    nml_max_tag_bytes: int = 1024**2
    nml_max_attributes: int = 64
    nml_max_attribute_chars: int = 100_000
    nml_max_depth: int = 100
    nml_max_nodes: int = 10_000_000
    nml_max_edges: int = 10_000_000
    nml_max_comments: int = 1_000_000
    nml_max_trees: int = 100_000
    nml_max_small_elements: int = 1_000_000
    # One save (POST /api/annotations/{id}/updates): its JSON body and its number of actions.
    max_update_bytes: int = 64 * 1024**2
    max_update_actions: int = 100_000
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
            public_url=env.get("VOXELHUB_PUBLIC_URL", "").rstrip("/"),
            secure_cookies=_flag(env.get("VOXELHUB_SECURE_COOKIES", "")),
            volumes_url=_volumes_url(env.get("VOXELHUB_VOLUMES_URL", "")),
            volumes_storage_options=_json_object(env, "VOXELHUB_VOLUMES_STORAGE_OPTIONS"),
        )


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
