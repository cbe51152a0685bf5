"""Settings from the environment: defaults, the volumes location, and clear errors for unusable values."""

from __future__ import annotations

from pathlib import Path

import pytest

from voxelhub.settings import Settings, SettingsError


def test_defaults_keep_everything_in_the_data_folder(tmp_path: Path) -> None:
    settings = Settings.from_env({"VOXELHUB_DATA_DIR": str(tmp_path)})
    assert settings.effective_database_url == f"sqlite:///{(tmp_path / 'voxelhub.sqlite3').resolve()}"
    assert settings.volumes_location_url == str((tmp_path / "volumes").resolve())
    assert settings.volumes_storage_options == {}


def test_volumes_in_an_object_store() -> None:
    settings = Settings.from_env(
        {
            "VOXELHUB_VOLUMES_URL": "s3://lab-bucket/voxelhub/volumes/",
            "VOXELHUB_VOLUMES_STORAGE_OPTIONS": '{"endpoint_url": "http://127.0.0.1:9000"}',
        }
    )
    assert settings.volumes_location_url == "s3://lab-bucket/voxelhub/volumes"
    assert settings.volumes_storage_options == {"endpoint_url": "http://127.0.0.1:9000"}


@pytest.mark.parametrize(
    "env, needle",
    [
        ({"VOXELHUB_DATABASE_URL": "mysql://x"}, "VOXELHUB_DATABASE_URL"),
        ({"VOXELHUB_VOLUMES_URL": "gs://bucket"}, "VOXELHUB_VOLUMES_URL"),
        ({"VOXELHUB_VOLUMES_STORAGE_OPTIONS": "{secret-key: hunter2"}, "VOXELHUB_VOLUMES_STORAGE_OPTIONS"),
        ({"VOXELHUB_VOLUMES_STORAGE_OPTIONS": "[1, 2]"}, "JSON object"),
    ],
)
def test_unusable_values_are_refused_without_echoing_secrets(env: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert needle in str(caught.value) and "hunter2" not in str(caught.value)


def test_pool_sizes_and_timeouts_come_from_the_environment_and_bad_ones_are_refused():
    from voxelhub.settings import Settings, SettingsError

    found = Settings.from_env(
        {
            "VOXELHUB_DB_POOL_SIZE": "3",
            "VOXELHUB_DB_MAX_OVERFLOW": "0",
            "VOXELHUB_DB_POOL_TIMEOUT": "2",
            "VOXELHUB_WORKER_START_TIMEOUT": "60",
        }
    )
    assert (
        found.db_pool_size,
        found.db_max_overflow,
        found.db_pool_timeout_seconds,
        found.worker_start_timeout_seconds,
    ) == (3, 0, 2, 60)
    for variable, bad in (
        ("VOXELHUB_DB_POOL_SIZE", "0"),
        ("VOXELHUB_DB_MAX_OVERFLOW", "-1"),
        ("VOXELHUB_DB_POOL_TIMEOUT", "soon"),
    ):
        try:
            Settings.from_env({variable: bad})
        except SettingsError as exc:
            assert variable in str(exc)
        else:
            raise AssertionError(f"{variable}={bad} was accepted")


def test_an_exhausted_database_pool_is_a_503_for_that_request(app, client, monkeypatch):
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    def no_connection(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PoolTimeout("QueuePool limit reached")

    # Every session the app opens finds the pool exhausted.
    monkeypatch.setattr(type(app.state.session_factory), "__call__", lambda self, **kw: no_connection())
    answer = client.get("/api/datasets")
    assert answer.status_code == 503
    assert answer.json() == {"error": "the database is busy; try again shortly"}
    assert answer.headers["retry-after"] == "2"


def test_store_timeouts_and_workers() -> None:
    defaults = Settings.from_env({})
    assert (
        defaults.store_connect_timeout_seconds,
        defaults.store_read_timeout_seconds,
        defaults.store_deadline_seconds,
        defaults.store_workers,
    ) == (5.0, 10.0, 15.0, 16)
    settings = Settings.from_env(
        {
            "VOXELHUB_STORE_CONNECT_TIMEOUT": "2",
            "VOXELHUB_STORE_READ_TIMEOUT": "3.5",
            "VOXELHUB_STORE_DEADLINE": "8",
            "VOXELHUB_STORE_WORKERS": "4",
        }
    )
    assert (
        settings.store_connect_timeout_seconds,
        settings.store_read_timeout_seconds,
        settings.store_deadline_seconds,
        settings.store_workers,
    ) == (2.0, 3.5, 8.0, 4)


@pytest.mark.parametrize(
    "env",
    [
        {"VOXELHUB_STORE_READ_TIMEOUT": "0"},
        {"VOXELHUB_STORE_CONNECT_TIMEOUT": "soon"},
        {"VOXELHUB_STORE_DEADLINE": "inf"},
        {"VOXELHUB_STORE_WORKERS": "0"},
        {"VOXELHUB_STORE_WORKERS": "2.5"},
    ],
)
def test_unusable_store_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)


def test_neuroglancer_address() -> None:
    assert Settings.from_env({}).neuroglancer_url == "https://neuroglancer-demo.appspot.com/"
    own = Settings.from_env({"VOXELHUB_NEUROGLANCER_URL": " https://ng.lab.example/client "})
    assert own.neuroglancer_url == "https://ng.lab.example/client/"  # the state follows the folder's `#!`
    page = Settings.from_env({"VOXELHUB_NEUROGLANCER_URL": "http://127.0.0.1:9000/index.html"})
    assert page.neuroglancer_url == "http://127.0.0.1:9000/index.html"
    for bad in (
        "javascript:alert(1)",
        "ftp://x/",
        "https://x/#!{}",
        "https://x/?a=1",
        "https://u@x/",
        "/ng/",
    ):
        with pytest.raises(SettingsError, match="VOXELHUB_NEUROGLANCER_URL"):
            Settings.from_env({"VOXELHUB_NEUROGLANCER_URL": bad})


def test_read_engine_settings() -> None:
    from voxelhub.app_caches import AppCaches

    assert (Settings().decoded_chunk_cache_mb, Settings().compress_buckets) == (128, True)
    found = Settings.from_env({"VOXELHUB_DECODED_CHUNK_CACHE_MB": "0", "VOXELHUB_COMPRESS_BUCKETS": "off"})
    assert (found.decoded_chunk_cache_mb, found.compress_buckets) == (0, False)
    assert Settings.from_env({"VOXELHUB_DECODED_CHUNK_CACHE_MB": "64"}).decoded_chunk_cache_mb == 64
    with pytest.raises(SettingsError, match="VOXELHUB_DECODED_CHUNK_CACHE_MB"):
        Settings.from_env({"VOXELHUB_DECODED_CHUNK_CACHE_MB": "lots"})
    assert AppCaches.sized(0).chunks.max_entries == 0  # keeps nothing
    sized = AppCaches.sized(64 * 1024**2).chunks
    assert sized.max_bytes == 64 * 1024**2
