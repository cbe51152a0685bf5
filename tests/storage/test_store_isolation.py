"""An object store that stops answering (moto's server paused with SIGSTOP) costs only the requests that need
it: they get a JSON 503/504 naming the store within the store deadline, every other route of the process keeps
answering, and the same request succeeds again once the store is back, without a restart. And a chunk costs the
store one GET, found or missing."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np
import pytest
from fastapi.testclient import TestClient

from tests.datasets.helpers import register_folder
from tests.factories import build_world, logged_in_client
from tests.storage.s3server import BUCKET, S3Process, running_s3_process, upload_dir
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.settings import Settings

CHUNK = "color/1/c/0/0/0/0"
DEADLINE = 3.0


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Process]:
    with running_s3_process(tmp_path_factory.mktemp("moto") / "moto.log") as server:
        yield server


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "synthetic-em", size=(64, 64, 64))


@pytest.fixture(scope="module")
def s3_url(s3: S3Process, synthetic: Path) -> str:
    return upload_dir(s3.options, synthetic, "isolation")


PROFILE = "test-s3"  # the store's credentials, kept in the settings: the dataset row names the profile only


@pytest.fixture
def settings(settings: Settings, s3: S3Process) -> Settings:  # type: ignore[override]
    return settings.with_overrides(
        store_connect_timeout_seconds=1.0,
        store_read_timeout_seconds=1.0,
        store_deadline_seconds=DEADLINE,
        store_workers=2,
        storage_profiles={PROFILE: s3.options},
    )


@pytest.fixture
def datasets(session_factory, s3: S3Process, s3_url: str, synthetic: Path) -> dict[str, str]:  # type: ignore[no-untyped-def]
    org = build_world(session_factory).org_ids["a"]
    return {
        "s3": register_folder(
            session_factory,
            org,
            s3_url,
            public=True,
            storage_options={"profile": PROFILE},
            profiles={PROFILE: s3.options},
            name="in-s3",
        ),
        "local": register_folder(session_factory, org, synthetic, public=True, name="on-disk"),
    }


@pytest.fixture
def paused(s3: S3Process) -> Iterator[S3Process]:
    s3.pause()
    try:
        yield s3
    finally:
        s3.resume()


class Pending:
    """A request made in a thread of its own, so that the test can do other things while it waits."""

    def __init__(self, client: TestClient, url: str) -> None:
        self.started = time.monotonic()
        self.answer: httpx.Response | None = None
        self.seconds = 0.0
        self._thread = threading.Thread(target=self._run, args=(client, url), daemon=True)
        self._thread.start()

    def _run(self, client: TestClient, url: str) -> None:
        self.answer = client.get(url)
        self.seconds = time.monotonic() - self.started

    def wait(self, timeout: float) -> httpx.Response:
        self._thread.join(timeout)
        assert self.answer is not None, f"no answer within {timeout} s"
        return self.answer


def chunk_url(dataset_id: str, key: str = CHUNK) -> str:
    return f"/data/zarr/{dataset_id}/{key}"


def assert_names_the_store_only(answer: httpx.Response, s3: S3Process, s3_url: str) -> dict[str, Any]:
    body = answer.json()
    assert s3_url in body["error"] and body["store"] == s3_url
    assert int(answer.headers["Retry-After"]) >= 1
    for secret in (s3.options["endpoint_url"], "127.0.0.1", s3.options["secret"]):
        assert secret not in answer.text
    return dict(body)


def test_a_chunk_is_one_get_found_or_missing(
    client: TestClient, datasets: dict[str, str], s3: S3Process
) -> None:
    before = len(s3.requests())
    found = client.get(chunk_url(datasets["s3"]))
    assert found.status_code == 200 and found.content
    missing = client.get(chunk_url(datasets["s3"], "color/1/c/0/0/0/9"))
    assert missing.status_code == 404
    assert s3.requests()[before:] == [
        f"GET /{BUCKET}/isolation/{CHUNK}",
        f"GET /{BUCKET}/isolation/color/1/c/0/0/0/9",
    ]


def test_a_paused_store_answers_504_and_blocks_nothing_else(
    client: TestClient, datasets: dict[str, str], paused: S3Process, s3_url: str
) -> None:
    pending = Pending(client, chunk_url(datasets["s3"]))
    time.sleep(0.2)  # it now waits on the store
    for url in ("/api/buildinfo", chunk_url(datasets["local"]), f"/api/datasets/{datasets['local']}"):
        assert client.get(url).status_code == 200, url
    assert pending.answer is None  # the others were answered while the store request still waited
    answer = pending.wait(DEADLINE + 5)
    assert answer.status_code == 504
    assert pending.seconds < DEADLINE + 2
    assert_names_the_store_only(answer, paused, s3_url)

    paused.resume()
    assert client.get(chunk_url(datasets["s3"])).status_code == 200  # the same process, no restart


def test_decoding_routes_fail_the_same_way(
    client: TestClient, datasets: dict[str, str], paused: S3Process, s3_url: str
) -> None:
    box = f"/data/datasets/{datasets['s3']}/layers/color/data?x=0&y=0&z=0&width=8&height=8&depth=8"
    answer = client.get(box)
    assert answer.status_code in (503, 504)
    assert_names_the_store_only(answer, paused, s3_url)
    paused.resume()
    assert client.get(box).status_code == 200


def test_a_full_store_pool_answers_503_at_once(
    client: TestClient, datasets: dict[str, str], paused: S3Process, s3_url: str
) -> None:
    holding = [Pending(client, chunk_url(datasets["s3"], f"color/1/c/0/0/{i}/0")) for i in range(2)]
    time.sleep(0.3)  # both store threads now wait on the store
    extra = client.get(chunk_url(datasets["s3"], "color/1/c/0/0/1/1"))
    assert extra.status_code == 503
    assert all(p.answer is None for p in holding)  # answered while the pool was still full
    body = assert_names_the_store_only(extra, paused, s3_url)
    assert "2 store threads" in body["error"]
    assert client.get(chunk_url(datasets["local"])).status_code == 200
    assert [p.wait(DEADLINE + 5).status_code for p in holding] == [504, 504]


def test_volume_layers_in_a_paused_store(
    app,
    settings: Settings,
    session_factory,
    s3: S3Process,  # type: ignore[no-untyped-def]
    synthetic: Path,
) -> None:
    volumes_url = f"s3://{BUCKET}/volumes-isolation"
    app.state.settings = settings.with_overrides(volumes_url=volumes_url, volumes_storage_options=s3.options)
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    owner = logged_in_client(app, world.users["admin_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]})
    assert created.status_code == 201, created.text
    annotation_id = created.json()["id"]
    buckets = f"/data/annotations/{annotation_id}/layers/Volume/buckets"
    query = {"mag": [1, 1, 1], "buckets": [[1, 0, 0]]}
    # A painted bucket: its voxels are an object in the store (an unpainted one needs nothing from it).
    voxels = base64.b64encode(np.full((32,) * 3, 5, dtype="<u4").tobytes(order="F")).decode()
    painted = owner.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={
            "version": created.json()["version"],
            "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": voxels}],
        },
    )
    assert painted.status_code == 200, painted.text
    s3.pause()
    try:
        answer = owner.post(buckets, json=query)
        assert answer.status_code in (503, 504)
        assert answer.json()["store"] == volumes_url and "127.0.0.1" not in answer.text
        assert owner.get("/api/buildinfo").status_code == 200
    finally:
        s3.resume()
    assert owner.post(buckets, json=query).status_code == 200
