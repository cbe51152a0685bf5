"""The README's first command in small: `voxelhub demo` builds everything, prints logins that work, and is
idempotent; bad CLI arguments give a one-line error, never a traceback."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import httpx2 as httpx

from tests.server import running_server


def voxelhub(settings, *args: str) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    env = dict(os.environ, VOXELHUB_DATA_DIR=str(settings.data_dir), VOXELHUB_DEMO_SIZE="96,96,64")
    if settings.database_url:
        env["VOXELHUB_DATABASE_URL"] = settings.database_url
    return subprocess.run(
        [sys.executable, "-m", "voxelhub.cli", *args], env=env, capture_output=True, text=True, timeout=300
    )


def test_demo_prints_working_logins_and_is_idempotent(settings, engine) -> None:
    first = voxelhub(settings, "demo")
    assert first.returncode == 0, first.stderr
    logins = re.findall(r"^\s+(\S+@demo\.voxelhub\.org)\s+(\S+)", first.stdout, re.M)
    assert len(logins) == 6
    token = re.search(r"view\?token=(\S+)", first.stdout)
    assert token is not None
    again = voxelhub(settings, "demo")
    assert again.returncode == 0 and again.stdout.count("@demo.voxelhub.org") == 6
    with running_server(settings) as base:
        client = httpx.Client(base_url=base)
        email, password = logins[0]
        answer = client.post("/api/auth/login", json={"email": email, "password": password})
        assert answer.status_code == 200 and answer.json()["user"]["isAdmin"] is True
        names = {d["name"] for d in client.get("/api/datasets").json()}
        assert {"temca2-fly-brain", "synthetic-em"} <= names
        assert [g["name"] for g in httpx.get(f"{base}/api/spotlight").json()] == ["temca2-fly-brain"]
        shared = client.get("/api/annotations/readable", params={"scope": "own"})
        assert shared.status_code == 200
        tracer = httpx.Client(base_url=base)
        tracer.post("/api/auth/login", json={"email": logins[3][0], "password": logins[3][1]})
        assert len(tracer.get("/api/annotations/readable", params={"scope": "own"}).json()) == 3


def test_cli_errors_are_one_line_and_nonzero(settings, engine) -> None:
    for args in (
        ["user", "add", "x@y.org", "--org", "nope", "--password", "long enough"],
        ["org", "create", "bad/name", "--admin-email", "a@b.org", "--admin-password", "long enough"],
        ["dataset", "add", "/does/not/exist", "--org", "x"],
        ["serve", "--workers", "0"],
    ):
        result = voxelhub(settings, *args)
        assert result.returncode != 0
        assert "Traceback" not in result.stderr and result.stderr.strip().count("\n") <= 3, result.stderr
