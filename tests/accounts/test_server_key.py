"""The server key that default API tokens are derived from: made once in the data folder (owner-only), or
given in VOXELHUB_SECRET_KEY; a changed key never locks a script out."""

from __future__ import annotations

import stat

import pytest

from tests.factories import build_world, logged_in_client, token_client
from voxelhub.accounts.server_key import KEY_FILE, server_key
from voxelhub.api.app import create_app
from voxelhub.settings import Settings, SettingsError


def test_the_key_is_made_once_readable_only_by_its_owner(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    first = server_key(settings)
    assert len(first) >= 32 and server_key(settings) == first
    mode = (tmp_path / "data" / KEY_FILE).stat().st_mode
    assert stat.S_IMODE(mode) == 0o600
    assert server_key(settings.with_overrides(secret_key="k" * 40)) == b"k" * 40


def test_a_short_key_in_the_environment_is_refused(tmp_path) -> None:
    with pytest.raises(SettingsError, match="VOXELHUB_SECRET_KEY"):
        Settings.from_env({"VOXELHUB_DATA_DIR": str(tmp_path), "VOXELHUB_SECRET_KEY": "short"})
    assert "k" * 40 not in repr(Settings.from_env({"VOXELHUB_SECRET_KEY": "k" * 40}))


def test_a_changed_key_makes_a_new_default_and_keeps_the_old_token_working(
    app, settings, session_factory
) -> None:
    build_world(session_factory)
    old = logged_in_client(app, "member@a.org").get("/api/auth/token").json()["token"]
    other_app = create_app(settings.with_overrides(secret_key="another key " * 4), migrate=False)
    try:
        member = logged_in_client(other_app, "member@a.org")
        new = member.get("/api/auth/token").json()["token"]
        assert new != old and member.get("/api/auth/token").json()["token"] == new
        assert token_client(other_app, old).get("/api/user").status_code == 200
        assert token_client(other_app, new).get("/api/user").status_code == 200
        assert [t["isDefault"] for t in member.get("/api/auth/tokens").json()] == [False, True]
    finally:
        other_app.state.engine.dispose()
