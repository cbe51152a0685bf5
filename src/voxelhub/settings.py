"""One validated settings object, built from `VOXELHUB_*` environment variables at start-up.

Nothing reads the environment at import time: `Settings.from_env()` is called by the CLI (or a test)
and the result is passed down to `create_app`.
"""

from __future__ import annotations

import ipaddress
import json
import math
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"
DEFAULT_NEUROGLANCER_URL = "https://neuroglancer-demo.appspot.com/"


class SettingsError(ValueError):
    """A setting has a value voxelhub cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path = Path("voxelhub-data")
    database_url: str = ""
    # The one answer to "is this link into this server?" and the origin of every absolute link the server
    # writes. Never taken from a request's Host header, which the visitor chooses.
    public_url: str = DEFAULT_PUBLIC_URL
    # The Neuroglancer client "Open in Neuroglancer" links lead to (a lab may host its own copy); the viewer
    # state goes after `#!`.
    neuroglancer_url: str = DEFAULT_NEUROGLANCER_URL
    secure_cookies: bool = False
    # Derives default API tokens (voxelhub.accounts.server_key); made in the data folder if empty. Never printed.
    secret_key: str = field(default="", repr=False)
    session_days: int = 14
    login_max_failures_per_account: int = 5
    login_max_failures_per_address: int = 20
    login_window_seconds: int = 900
    # Past the per-address limit a correct password still logs in (see `accounts.auth.login`); past this one,
    # nothing from the address is even checked: it bounds the password-hashing work one address can cause.
    login_max_failures_per_address_hard: int = 100
    token_guess_max_per_address: int = 30  # unknown share/API tokens per address and window
    token_guess_window_seconds: int = 900
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed ("*" for any; empty: nobody's), so that the
    # limits above count the real client, not the proxy. Honoured by uvicorn (`voxelhub serve`).
    forwarded_allow_ips: str = ""
    # PostgreSQL connections per server process (each `--workers` worker is a process): at most
    # pool + overflow open at once; a request waits `db_pool_timeout_seconds` for one, then gets a 503.
    db_pool_size: int = 10
    db_max_overflow: int = 20
    db_pool_timeout_seconds: int = 10
    worker_start_timeout_seconds: int = 30  # `serve --workers N`: a worker not up by then is restarted
    # Request bodies, counted while they stream in (`api.body_limit`): uploads, the annotation saves, the rest.
    max_upload_bytes: int = 2 * 1024**3
    max_save_body_bytes: int = 64 * 1024**2
    max_json_body_bytes: int = 1024**2
    # Answers of the data routes: a raw box at most this many bytes, at most this many buckets per request.
    max_data_answer_bytes: int = 64 * 1024**2
    max_buckets_per_request: int = 256
    # Decoded dataset chunks kept in memory per server process (`voxelhub.storage.chunk_engine`), in MiB; 0: none.
    decoded_chunk_cache_mb: int = 128
    # Bucket answers compressed (zstd/gzip) for clients that accept it (`voxelhub.api.answer_encoding`); off
    # behind a proxy that compresses, or to trade bandwidth for the server's CPU.
    compress_buckets: bool = True
    # Uploaded zips (annotation zips with their nested volume archives, dataset zips): what one upload may
    # unpack, counted on the bytes actually decompressed, never on the sizes a zip declares.
    zip_max_ratio: int = 100  # decoded bytes per compressed byte of one member (beyond its first MiB)
    annotation_zip_max_members: int = 100_000  # entries of the upload and of each nested volume archive
    annotation_zip_max_member_bytes: int = 256 * 1024**2  # one member read into memory (a WKW file, a chunk)
    annotation_zip_max_total_bytes: int = (
        4 * 1024**3
    )  # everything one upload decodes, nested archives included
    annotation_upload_max_temp_bytes: int = 4 * 1024**3  # volume archives copied to the temporary folder
    annotation_max_volume_layers: int = 16  # volume layers one uploaded annotation may bring
    dataset_zip_max_members: int = 1_000_000
    dataset_zip_max_member_bytes: int = 4 * 1024**3
    dataset_zip_max_total_bytes: int = 16 * 1024**3
    # What one uploaded NML may hold (annotations/nml/limits.py says why each bound exists).
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
    # One save (POST /api/annotations/{id}/updates): its number of actions (its bytes: max_save_body_bytes).
    max_update_actions: int = 100_000
    volumes_url: str = ""  # where volume annotation layers live: a local folder or s3://bucket/prefix
    volumes_storage_options: dict[str, Any] = field(default_factory=dict)  # for s3fs (endpoint, keys, …)
    # Where uploaded datasets go: the data folder's `datasets/` by default, or s3://bucket/prefix with a profile.
    datasets_url: str = ""
    datasets_storage_profile: str = ""
    # Named object-store options, credentials included (voxelhub.storage.profiles): datasets store the name only.
    storage_profiles: dict[str, dict[str, Any]] = field(default_factory=dict)
    # `voxelhub gc` never deletes a volume object younger than this: a save may have written it and not yet committed
    volume_gc_grace_seconds: int = 3600
    # Object stores (datasets and volume layers on S3): seconds to connect and to wait for each answer, seconds
    # one request may spend on the store in all (retries included), threads reading stores at once per process.
    store_connect_timeout_seconds: float = 5.0
    store_read_timeout_seconds: float = 10.0
    store_deadline_seconds: float = 15.0
    store_workers: int = 16
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
            neuroglancer_url=_neuroglancer_url(env.get("VOXELHUB_NEUROGLANCER_URL", "")),
            secure_cookies=_flag(env.get("VOXELHUB_SECURE_COOKIES", "")),
            compress_buckets=env.get("VOXELHUB_COMPRESS_BUCKETS", "1").strip().lower()
            not in {"0", "false", "no", "off"},
            secret_key=_secret_key(env.get("VOXELHUB_SECRET_KEY", "")),
            volumes_url=_volumes_url(env.get("VOXELHUB_VOLUMES_URL", "")),
            volumes_storage_options=_json_object(env, "VOXELHUB_VOLUMES_STORAGE_OPTIONS"),
            storage_profiles=_profiles(env),
            datasets_url=_volumes_url(env.get("VOXELHUB_DATASETS_URL", "")),
            datasets_storage_profile=env.get("VOXELHUB_DATASETS_STORAGE_PROFILE", "").strip(),
            forwarded_allow_ips=parse_address_list(env.get("VOXELHUB_FORWARDED_ALLOW_IPS", "")),
            volume_gc_grace_seconds=_grace_seconds(env.get("VOXELHUB_VOLUME_GC_GRACE_SECONDS", "3600")),
            **_byte_limits(env),
            **_counts(env),
            **_store_limits(env),
        )


def _secret_key(value: str) -> str:
    value = value.strip()
    if value and len(value) < 32:
        raise SettingsError(
            "VOXELHUB_SECRET_KEY must be at least 32 characters (e.g. 48 random URL-safe ones)"
        )
    return value


_BYTE_LIMITS = {
    "max_upload_bytes": "VOXELHUB_MAX_UPLOAD_BYTES",
    "max_save_body_bytes": "VOXELHUB_MAX_SAVE_BODY_BYTES",
    "max_json_body_bytes": "VOXELHUB_MAX_JSON_BODY_BYTES",
    "max_data_answer_bytes": "VOXELHUB_MAX_DATA_ANSWER_BYTES",
}


# field -> (variable, smallest allowed value)
_COUNTS = {
    "db_pool_size": ("VOXELHUB_DB_POOL_SIZE", 1),
    "db_max_overflow": ("VOXELHUB_DB_MAX_OVERFLOW", 0),
    "db_pool_timeout_seconds": ("VOXELHUB_DB_POOL_TIMEOUT", 1),
    "worker_start_timeout_seconds": ("VOXELHUB_WORKER_START_TIMEOUT", 1),
    "decoded_chunk_cache_mb": ("VOXELHUB_DECODED_CHUNK_CACHE_MB", 0),
}


def _profiles(env: dict[str, str]) -> dict[str, dict[str, Any]]:
    profiles = _json_object(env, "VOXELHUB_STORAGE_PROFILES")
    for name, options in profiles.items():
        if not isinstance(options, dict):
            raise SettingsError(
                f"VOXELHUB_STORAGE_PROFILES: profile {name!r} must be a JSON object of options"
            )
    return profiles


def _counts(env: dict[str, str]) -> dict[str, Any]:
    """Pool sizes and timeouts an operator may change (whole numbers, at least the smallest allowed)."""
    found: dict[str, Any] = {}
    for field_name, (variable, smallest) in _COUNTS.items():
        text = env.get(variable, "").strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < smallest:
            raise SettingsError(f"{variable} must be a whole number of at least {smallest}")
        found[field_name] = int(text)
    return found


def _byte_limits(env: dict[str, str]) -> dict[str, Any]:
    """The body and answer limits an operator may change (positive whole numbers of bytes)."""
    limits = {}
    for field_name, variable in _BYTE_LIMITS.items():
        text = env.get(variable, "").strip()
        if not text:
            continue
        if not text.isdigit() or int(text) < 1:
            raise SettingsError(f"{variable} must be a positive number of bytes")
        limits[field_name] = int(text)
    return limits


def _grace_seconds(text: str) -> int:
    if not text.strip().isdigit():
        raise SettingsError("VOXELHUB_VOLUME_GC_GRACE_SECONDS must be a whole number of seconds (0 or more)")
    return int(text.strip())


_STORE_SECONDS = {
    "store_connect_timeout_seconds": "VOXELHUB_STORE_CONNECT_TIMEOUT",
    "store_read_timeout_seconds": "VOXELHUB_STORE_READ_TIMEOUT",
    "store_deadline_seconds": "VOXELHUB_STORE_DEADLINE",
}


def _store_limits(env: dict[str, str]) -> dict[str, Any]:
    """Object-store timeouts (positive seconds) and the number of store threads (a positive whole number)."""
    limits: dict[str, Any] = {}
    for field_name, variable in _STORE_SECONDS.items():
        text = env.get(variable, "").strip()
        if text:
            limits[field_name] = _positive_seconds(variable, text)
    workers = env.get("VOXELHUB_STORE_WORKERS", "").strip()
    if workers:
        if not workers.isdigit() or int(workers) < 1:
            raise SettingsError("VOXELHUB_STORE_WORKERS must be a positive whole number")
        limits["store_workers"] = int(workers)
    return limits


def _positive_seconds(variable: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (0 < value < math.inf):
        raise SettingsError(f"{variable} must be a positive number of seconds")
    return value


def parse_address_list(value: str) -> str:
    """A comma-separated list of proxy addresses or networks, or "*"; checked here so a typo fails at start."""
    items = [item.strip() for item in value.split(",") if item.strip()]
    for item in items:
        if item == "*":
            continue
        try:
            ipaddress.ip_network(item, strict=False)
        except ValueError:
            raise SettingsError(
                f"forwarded-allow-ips: {item!r} is not an IP address or network (or *)"
            ) from None
    return ",".join(items)


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
        raise SettingsError(
            "VOXELHUB_PUBLIC_URL must be an http:// or https:// URL such as https://data.example.org"
        )
    return value


def _neuroglancer_url(value: str) -> str:
    """An http(s) address without query or fragment (the state is appended as `#!…`); a trailing `/` is kept
    or added, since the client is a folder's index.html."""
    value = value.strip()
    if not value:
        return DEFAULT_NEUROGLANCER_URL
    parts = urlsplit(value)
    odd = parts.query or parts.fragment or parts.username is not None or any(c.isspace() for c in value)
    if parts.scheme not in ("http", "https") or not parts.hostname or odd or len(value) > 2000:
        raise SettingsError(
            "VOXELHUB_NEUROGLANCER_URL must be an http:// or https:// address of a Neuroglancer client such as "
            "https://neuroglancer.example.org/"
        )
    return value if value.endswith("/") or parts.path.endswith(".html") else value + "/"


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
