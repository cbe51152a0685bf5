"""Three `voxelhub serve` processes started at the same moment on an empty database all come up: one migrates,
the others wait on the advisory lock and find the schema current (issue 14: 2 of 3 used to exit with a
traceback, racing on `alembic_version`)."""

from __future__ import annotations

from tests.deploy import stack
from voxelhub.db import make_engine, schema_state
from voxelhub.settings import Settings

STARTED_AT_ONCE = 3


def test_serve_processes_started_at_once_on_an_empty_database_all_come_up(s3, tmp_path):
    with stack.fresh_database(stack.postgres_url()) as database_url:
        deployment = stack.Deployment(database_url, s3, tmp_path)
        # No --no-migrate: every one of them tries to migrate.
        processes = [
            stack.start_process(deployment, f"start{i}", args=(), metrics=False)
            for i in range(STARTED_AT_ONCE)
        ]
        try:
            for process in processes:
                stack.wait_until_up(process)
            logs = [p.log.read_text(errors="replace") for p in processes]
            assert not [log for log in logs if "Traceback" in log]
        finally:
            for process in processes:
                process.stop()
        engine = make_engine(Settings(database_url=database_url))
        try:
            assert schema_state(engine).at_head
        finally:
            engine.dispose()
