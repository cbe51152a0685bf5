"""`GET /api/health`: 200 when the database answers at the current schema and the volume store answers; a
503 naming what is wrong otherwise, within the probe's deadline, without error texts that could name hosts."""

from __future__ import annotations

import threading

from sqlalchemy import create_engine, text

from voxelhub.db import head_revision
from voxelhub.health import HealthProbe


def test_a_healthy_server_answers_ok_to_anyone(client):
    answer = client.get("/api/health")
    assert answer.status_code == 200
    assert answer.json() == {"status": "ok", "checks": {"database": "ok", "volumes": "ok"}}
    assert answer.headers["cache-control"] == "no-store"


def test_a_schema_behind_is_a_503_that_says_to_migrate(client, engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0001_accounts'"))
    try:
        answer = client.get("/api/health")
    finally:
        with engine.begin() as connection:
            connection.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head_revision()}
            )
    assert answer.status_code == 503
    assert answer.json()["status"] == "unavailable"
    assert answer.json()["checks"]["database"] == "schema not current: run `voxelhub migrate`"


def test_an_unreachable_database_is_reported_without_its_error_text(settings):
    engine = create_engine("postgresql+psycopg://secret-user:secret-password@127.0.0.1:1/nothing")
    probe = HealthProbe(settings, engine)
    try:
        found = probe.check()
    finally:
        probe.close()
        engine.dispose()
    assert not found.ok
    assert found.checks["database"] in ("unreachable", "timed out")
    assert "secret" not in repr(found.checks)


def test_an_unreachable_volume_store_is_reported(settings):
    dead_store = settings.with_overrides(
        volumes_url="s3://bucket/volumes",
        volumes_storage_options={
            "endpoint_url": "http://127.0.0.1:1",
            "key": "k",
            "secret": "s",
            "config_kwargs": {"retries": {"max_attempts": 1}},
        },
    )
    engine = create_engine("sqlite://")
    probe = HealthProbe(dead_store, engine, deadline=2.0)
    try:
        found = probe.check()
    finally:
        probe.close()
        engine.dispose()
    assert found.checks["volumes"] in ("unreachable", "timed out")


def test_a_stuck_dependency_times_out_and_later_checks_do_not_pile_up(settings, engine, monkeypatch):
    release = threading.Event()
    started: list[int] = []

    def stuck(self):  # type: ignore[no-untyped-def]
        started.append(1)
        release.wait(10)
        return "ok"

    monkeypatch.setattr(HealthProbe, "_volumes", stuck)
    probe = HealthProbe(settings, engine, deadline=0.2)
    try:
        first, second = probe.check(), probe.check()
    finally:
        release.set()
        probe.close()
    assert first.checks == second.checks == {"database": "ok", "volumes": "timed out"}
    assert started == [1]  # the second check waited on the stuck one instead of starting another
