"""Shared fixtures: a fresh database per test (SQLite by default, PostgreSQL when VOXELHUB_DATABASE_URL
is set), an app built by `create_app`, and HTTP clients for several users."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from tests.browser import browser  # noqa: F401 (a fixture: Chromium for the browser tests)
from voxelhub.accounts.passwords import use_cheap_hashing_for_tests
from voxelhub.api.app import create_app
from voxelhub.db import Base, make_engine, make_session_factory, run_migrations, transaction
from voxelhub.settings import Settings

POSTGRES_URL = os.environ.get("VOXELHUB_DATABASE_URL", "")


use_cheap_hashing_for_tests()


def pytest_report_header() -> str:
    return f"voxelhub database: {'PostgreSQL' if POSTGRES_URL else 'SQLite'}"


@pytest.fixture(scope="session")
def postgres_schema_ready() -> Iterator[None]:
    """On PostgreSQL, start the session from an empty schema, migrated once."""
    if not POSTGRES_URL:
        yield
        return
    engine = make_engine(Settings(database_url=POSTGRES_URL))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    run_migrations(engine)
    engine.dispose()
    yield


def _empty_all_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        # access_epoch keeps its one row: the read memo reads it (and the TRUNCATE raises it, as it must).
        names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables if t.name != "access_epoch")
        conn.execute(text(f"TRUNCATE {names} CASCADE"))


@pytest.fixture
def settings(tmp_path: Path, postgres_schema_ready: None) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        database_url=POSTGRES_URL,
        public_url="http://127.0.0.1",  # where the test clients send their requests (base_url below)
        login_max_failures_per_account=5,
        login_max_failures_per_address=20,
    )


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrating takes a while; SQLite tests start from a copy of a database migrated once."""
    folder = tmp_path_factory.mktemp("template")
    engine = make_engine(Settings(data_dir=folder))
    run_migrations(engine)
    engine.dispose()
    return folder / "voxelhub.sqlite3"


@pytest.fixture
def engine(settings: Settings, migrated_sqlite_template: Path) -> Iterator[Engine]:
    if not POSTGRES_URL:
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(migrated_sqlite_template, settings.data_dir / "voxelhub.sqlite3")
    engine = make_engine(settings)
    if POSTGRES_URL:
        _empty_all_tables(engine)
    run_migrations(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine: Engine) -> sessionmaker[Session]:
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session for arranging and checking test data; commits when the test's block ends."""
    with transaction(session_factory) as session:
        yield session


@pytest.fixture
def app(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    app = create_app(settings, migrate=False)
    yield app
    app.state.engine.dispose()


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    with TestClient(app, base_url="http://127.0.0.1") as c:
        yield c
