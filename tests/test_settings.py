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
    settings = Settings.from_env({"VOXELHUB_VOLUMES_URL": "s3://lab-bucket/voxelhub/volumes/",
                                  "VOXELHUB_VOLUMES_STORAGE_OPTIONS": '{"endpoint_url": "http://127.0.0.1:9000"}'})
    assert settings.volumes_location_url == "s3://lab-bucket/voxelhub/volumes"
    assert settings.volumes_storage_options == {"endpoint_url": "http://127.0.0.1:9000"}


@pytest.mark.parametrize("env, needle", [
    ({"VOXELHUB_DATABASE_URL": "mysql://x"}, "VOXELHUB_DATABASE_URL"),
    ({"VOXELHUB_VOLUMES_URL": "gs://bucket"}, "VOXELHUB_VOLUMES_URL"),
    ({"VOXELHUB_VOLUMES_STORAGE_OPTIONS": "{secret-key: hunter2"}, "VOXELHUB_VOLUMES_STORAGE_OPTIONS"),
    ({"VOXELHUB_VOLUMES_STORAGE_OPTIONS": "[1, 2]"}, "JSON object"),
])
def test_unusable_values_are_refused_without_echoing_secrets(env: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)
    assert needle in str(caught.value) and "hunter2" not in str(caught.value)


def test_store_timeouts_and_workers() -> None:
    defaults = Settings.from_env({})
    assert (defaults.store_connect_timeout_seconds, defaults.store_read_timeout_seconds,
            defaults.store_deadline_seconds, defaults.store_workers) == (5.0, 10.0, 15.0, 16)
    settings = Settings.from_env({"VOXELHUB_STORE_CONNECT_TIMEOUT": "2", "VOXELHUB_STORE_READ_TIMEOUT": "3.5",
                                  "VOXELHUB_STORE_DEADLINE": "8", "VOXELHUB_STORE_WORKERS": "4"})
    assert (settings.store_connect_timeout_seconds, settings.store_read_timeout_seconds,
            settings.store_deadline_seconds, settings.store_workers) == (2.0, 3.5, 8.0, 4)


@pytest.mark.parametrize("env", [
    {"VOXELHUB_STORE_READ_TIMEOUT": "0"}, {"VOXELHUB_STORE_CONNECT_TIMEOUT": "soon"},
    {"VOXELHUB_STORE_DEADLINE": "inf"}, {"VOXELHUB_STORE_WORKERS": "0"}, {"VOXELHUB_STORE_WORKERS": "2.5"},
])
def test_unusable_store_settings_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(SettingsError, match=next(iter(env))):
        Settings.from_env(env)
