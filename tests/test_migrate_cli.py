"""`voxelhub migrate` and `serve --no-migrate`: one command migrates, processes started at once on a new
database never race on `alembic_version`, and a server told not to migrate refuses a schema it does not know."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import POSTGRES_URL
from voxelhub.cli import main
from voxelhub.db import make_engine, schema_state
from voxelhub.settings import Settings

STARTED_AT_ONCE = 3


def run_cli(data_dir: Path, *args: str, database_url: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VOXELHUB_DATA_DIR": str(data_dir), "VOXELHUB_DATABASE_URL": database_url}
    return subprocess.run(
        [sys.executable, "-m", "voxelhub.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_migrate_brings_an_empty_database_to_head_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VOXELHUB_DATABASE_URL", "")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "migrate", "--check"]) == 1
    assert "empty database" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "migrate"]) == 0
    assert "migrated from empty to" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "migrate"]) == 0
    assert "nothing to do" in capsys.readouterr().out
    assert main(["--data-dir", str(data), "migrate", "--check"]) == 0
    engine = make_engine(Settings(data_dir=data))
    assert schema_state(engine).at_head
    engine.dispose()


def test_serve_without_migrating_refuses_a_schema_behind_and_changes_nothing(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("VOXELHUB_DATABASE_URL", "")
    data = tmp_path / "data"
    assert main(["--data-dir", str(data), "serve", "--no-migrate", "--port", "1"]) == 2
    error = capsys.readouterr().err
    assert "run `voxelhub migrate` first" in error and "empty database" in error
    engine = make_engine(Settings(data_dir=data))
    assert schema_state(engine).current is None  # nothing was created
    engine.dispose()


def test_processes_started_at_once_on_a_new_sqlite_database_all_succeed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    results = _at_once(data, "")
    assert [r.returncode for r in results] == [0] * STARTED_AT_ONCE, [r.stderr for r in results]
    assert sum("migrated from empty" in r.stdout for r in results) == 1


@pytest.mark.skipif(not POSTGRES_URL, reason="PostgreSQL only (set VOXELHUB_DATABASE_URL)")
def test_processes_started_at_once_on_a_new_postgres_database_all_succeed(tmp_path):
    schema = "migrate_race"
    admin = create_engine(POSTGRES_URL)
    with admin.begin() as connection:
        connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    # A schema of its own, so that the race starts from nothing without touching the suite's tables.
    separator = "&" if "?" in POSTGRES_URL else "?"
    url = f"{POSTGRES_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    try:
        results = _at_once(tmp_path / "data", url)
        assert [r.returncode for r in results] == [0] * STARTED_AT_ONCE, [r.stderr for r in results]
        assert sum("migrated from empty" in r.stdout for r in results) == 1
    finally:
        with admin.begin() as connection:
            connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        admin.dispose()


def _at_once(data: Path, database_url: str) -> list[subprocess.CompletedProcess[str]]:
    env = {**os.environ, "VOXELHUB_DATA_DIR": str(data), "VOXELHUB_DATABASE_URL": database_url}
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "voxelhub.cli", "migrate"],
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(STARTED_AT_ONCE)
    ]
    outputs = [p.communicate(timeout=180) for p in processes]
    return [
        subprocess.CompletedProcess(p.args, p.returncode, out, err)
        for p, (out, err) in zip(processes, outputs, strict=True)
    ]
