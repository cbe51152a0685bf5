"""Volume snapshots across real server processes on one database: a copy made through one server is not
changed by paints through another, survives the deletion of its original, and `voxelhub gc` then reclaims
exactly the original's chunks the copy cannot see. And a server killed (SIGKILL) in the middle of a stream of
paints restarts serving the last acknowledged version or the one in flight, whole, with nothing acknowledged lost."""

from __future__ import annotations

import base64
import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx
import numpy as np

from tests.annotations.test_volumes import synthetic  # noqa: F401 (a fixture)
from tests.datasets.helpers import register_folder
from tests.factories import PASSWORD, build_world
from tests.server import _wait_until_up, free_port, running_server
from voxelhub.settings import Settings


def client(base: str, email: str) -> httpx.Client:
    c = httpx.Client(base_url=base, timeout=30)
    answer = c.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    c.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
    return c


def painted(value: int) -> str:
    return base64.b64encode(np.full((32, 32, 32), value, dtype="<u4").tobytes(order="F")).decode()


def paint(c: httpx.Client, annotation_id: str, version: int, position: list[int], value: int) -> int:
    answer = c.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={
            "version": version,
            "buckets": [{"mag": [1, 1, 1], "position": position, "data": painted(value)}],
        },
    )
    assert answer.status_code == 200, answer.text
    return int(answer.json()["version"])


def read(
    c: httpx.Client, annotation_id: str, position: list[int], *, mag: int = 1, version: int | None = None
) -> np.ndarray:
    query = "" if version is None else f"?version={version}"
    answer = c.post(
        f"/data/annotations/{annotation_id}/layers/Volume/buckets{query}",
        json={"mag": [mag] * 3, "buckets": [position]},
    )
    assert answer.status_code == 200, answer.text
    return np.frombuffer(answer.content, dtype="<u4").reshape((32,) * 3, order="F")


def env_of(settings: Settings) -> dict[str, str]:
    env = dict(os.environ, VOXELHUB_DATA_DIR=str(settings.data_dir), PYTHONUNBUFFERED="1")
    if settings.database_url:
        env["VOXELHUB_DATABASE_URL"] = settings.database_url
    return env


def volume_objects(settings: Settings) -> set[str]:
    root = settings.volumes_dir
    return (
        {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()
    )


def setup_annotation(session_factory, synthetic_path: Path, base: str) -> tuple[httpx.Client, str, dict]:  # type: ignore[no-untyped-def, type-arg]
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic_path)
    client(base, world.users["admin_a"]).patch(
        f"/api/datasets/{dataset_id}/teams", json=[world.team_ids["a1"]]
    )
    owner = client(base, world.users["team_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]})
    assert created.status_code == 201, created.text
    return owner, created.json()["id"], world.users


def test_a_copy_through_another_server_is_a_snapshot_and_gc_reclaims_only_the_originals_chunks(
    session_factory, settings, synthetic
) -> None:  # noqa: F811
    with running_server(settings) as first, running_server(settings) as second:
        owner, original, users = setup_annotation(session_factory, synthetic, first)
        paint(owner, original, 0, [0, 0, 0], 5)
        colleague = client(second, users["tm_a"])
        fork = colleague.post(f"/api/annotations/{original}/duplicate").json()["id"]
        shared = volume_objects(settings)  # version 1 of the original: what the copy reads
        paint(owner, original, 1, [0, 0, 0], 99)
        paint(owner, original, 2, [1, 1, 1], 98)
        assert (read(colleague, fork, [0, 0, 0]) == 5).all()
        assert not (read(colleague, fork, [1, 1, 1]) == 98).any()
        assert (read(colleague, fork, [0, 0, 0], mag=2)[:16, :16, :16] == 5).all()
        unshared = volume_objects(settings) - shared
        assert unshared and all(re.search(r"/v[23]-", key) for key in unshared)

        assert owner.delete(f"/api/annotations/{original}").status_code == 204
        assert (read(colleague, fork, [0, 0, 0]) == 5).all()
        dry = subprocess.run(
            [sys.executable, "-m", "voxelhub.cli", "gc", "--dry-run", "--grace-minutes", "0"],
            env=env_of(settings),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert dry.returncode == 0, dry.stderr
        assert f"would delete {len(unshared)} objects" in dry.stdout
        assert volume_objects(settings) == shared | unshared
        done = subprocess.run(
            [sys.executable, "-m", "voxelhub.cli", "gc", "--grace-minutes", "0"],
            env=env_of(settings),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert volume_objects(settings) == shared  # exactly the original's unshared chunks are gone
        assert (read(colleague, fork, [0, 0, 0]) == 5).all()
        assert (read(colleague, fork, [0, 0, 0], mag=2)[:16, :16, :16] == 5).all()
        paint(colleague, fork, 0, [1, 1, 1], 7)
        assert (read(colleague, fork, [1, 1, 1]) == 7).all()


@contextmanager
def killable_server(settings: Settings) -> Iterator[tuple[str, subprocess.Popen]]:  # type: ignore[type-arg]
    port = free_port()
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    log_path = Path(settings.data_dir) / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "voxelhub.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=env_of(settings),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log_path)
        yield base, process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_a_server_killed_during_paints_restarts_with_nothing_acknowledged_lost(
    session_factory, settings, synthetic
) -> None:  # noqa: F811
    acknowledged: list[int] = []
    with killable_server(settings) as (base, process):
        owner, annotation, users = setup_annotation(session_factory, synthetic, base)
        stop = threading.Event()

        def stream() -> None:
            version = 0
            while not stop.is_set():
                try:
                    answer = owner.post(
                        f"/api/annotations/{annotation}/layers/Volume/buckets",
                        json={
                            "version": version,
                            "buckets": [
                                {"mag": [1, 1, 1], "position": [0, 0, 0], "data": painted(version + 1)},
                                {"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(version + 1)},
                            ],
                        },
                    )
                except httpx.HTTPError:
                    return
                assert answer.status_code == 200, answer.text
                version = int(answer.json()["version"])
                acknowledged.append(version)

        painter = threading.Thread(target=stream)
        painter.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 8 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.013 * (len(acknowledged) % 7))  # somewhere inside a save
        process.send_signal(signal.SIGKILL)
        process.wait()
        stop.set()
        painter.join(timeout=60)
    assert len(acknowledged) >= 8
    last = acknowledged[-1]
    with killable_server(settings) as (base, _):
        reader = client(base, users["team_a"])
        current = reader.get(f"/api/annotations/{annotation}/info").json()["version"]
        assert current in (last, last + 1)  # the save in flight either committed whole or not at all
        for version in [*acknowledged, current]:
            for position in ([0, 0, 0], [1, 0, 0]):
                assert (read(reader, annotation, position, version=version) == version).all(), version
            coarse = read(reader, annotation, [0, 0, 0], mag=2, version=version)
            assert (coarse[:32, :16, :16] == version).all(), version
        assert paint(reader, annotation, current, [0, 0, 0], 1234) == current + 1  # no repair step needed
