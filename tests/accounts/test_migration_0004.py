"""Migration 0004 on a database that holds credentials made before it: plain API tokens lose their plain
secret but keep working, and deactivated users lose every credential (a reactivation must not revive them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect, text

from tests.factories import build_world, logged_in_client, token_client
from voxelhub.db import utcnow
from voxelhub.ids import new_secret_token, token_digest


def _alembic(engine, target: str, *, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    import voxelhub.db

    config = Config()
    config.set_main_option("script_location", str(Path(voxelhub.db.__file__).parent / "migrations"))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, target)


def _old_token(connection, user_id: str) -> str:  # type: ignore[no-untyped-def]
    token = new_secret_token()
    connection.execute(
        text("INSERT INTO api_tokens (user_id, token, token_digest, created_at) VALUES (:u, :t, :d, :c)"),
        {"u": user_id, "t": token, "d": token_digest(token), "c": utcnow()},
    )
    return token


def test_old_tokens_keep_working_hashed_and_inactive_users_lose_theirs(app, engine, session_factory) -> None:
    world = build_world(session_factory)
    member_id = _user_id(session_factory, world, "member_a")
    inactive_id = _user_id(session_factory, world, "tm_a")
    _alembic(engine, "0003", down=True)
    with engine.begin() as connection:
        active_token = _old_token(connection, member_id)
        inactive_token = _old_token(connection, inactive_id)
        connection.execute(
            text(
                "INSERT INTO auth_sessions (id_digest, user_id, csrf_token, created_at, expires_at) "
                "VALUES (:d, :u, 'c', :n, :e)"
            ),
            {
                "d": token_digest("old session"),
                "u": inactive_id,
                "n": utcnow(),
                "e": utcnow() + timedelta(days=1),
            },
        )
        connection.execute(
            text("UPDATE users SET is_active = :f WHERE id = :u"), {"f": False, "u": inactive_id}
        )
    _alembic(engine, "head")

    columns = {c["name"] for c in inspect(engine).get_columns("api_tokens")}
    assert "token" not in columns
    with engine.connect() as connection:
        dump = " ".join(str(v) for row in connection.execute(text("SELECT * FROM api_tokens")) for v in row)
        assert active_token not in dump and inactive_token not in dump
        assert (
            connection.execute(
                text("SELECT count(*) FROM auth_sessions WHERE user_id = :u"), {"u": inactive_id}
            ).scalar()
            == 0
        )
        assert (
            connection.execute(
                text("SELECT count(*) FROM api_tokens WHERE user_id = :u"), {"u": inactive_id}
            ).scalar()
            == 0
        )

    assert token_client(app, active_token).get("/api/user").json()["email"] == "member@a.org"
    member = logged_in_client(app, "member@a.org")
    # The old default cannot be shown again: a new default is made, and the old token keeps working, listed.
    new_default = member.get("/api/auth/token").json()["token"]
    assert new_default != active_token
    assert token_client(app, new_default).get("/api/user").status_code == 200
    assert token_client(app, active_token).get("/api/user").status_code == 200
    listed = member.get("/api/auth/tokens").json()
    assert [t["isDefault"] for t in listed] == [False, True] and listed[0]["name"].startswith("default until")
    assert member.get("/api/auth/token").json()["token"] == new_default

    admin = logged_in_client(app, "admin@a.org")
    assert admin.patch(f"/api/users/{inactive_id}", json={"isActive": True}).status_code == 200
    assert token_client(app, inactive_token).get("/api/user").status_code == 401


def _user_id(factory, world, role: str) -> str:  # type: ignore[no-untyped-def]
    with factory() as session:
        return world.user_id(session, role)
