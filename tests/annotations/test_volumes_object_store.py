"""Volume layers in an S3-compatible object store (VOXELHUB_VOLUMES_URL=s3://…): painting, reading with the
fallback, copy-on-write forks, annotation-zip download and upload, all with nothing written to local disk."""

from __future__ import annotations

import io
import re
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.annotations.test_volumes import painted, read, synthetic  # noqa: F401 (synthetic is a fixture)
from tests.datasets.helpers import register_folder
from tests.factories import build_world, logged_in_client
from tests.storage.s3server import BUCKET, running_s3
from voxelhub.annotations.volume import gc
from voxelhub.annotations.volume.layers import volumes_location
from voxelhub.db import transaction
from voxelhub.settings import Settings


@pytest.fixture(scope="module")
def s3_options() -> Iterator[dict[str, Any]]:
    with running_s3() as options:
        yield options


@pytest.fixture
def settings(settings: Settings, s3_options: dict[str, Any]) -> Settings:  # type: ignore[override]
    return settings.with_overrides(
        volumes_url=f"s3://{BUCKET}/volumes-{uuid.uuid4().hex[:8]}", volumes_storage_options=s3_options
    )


def bucket_keys(settings: Settings, s3_options: dict[str, Any]) -> list[str]:
    import s3fs

    fs = s3fs.S3FileSystem(**s3_options, skip_instance_cache=True)
    root = settings.volumes_url.removeprefix("s3://")
    return sorted(path[len(root) + 1 :] for path in fs.find(root))


def test_volume_layers_live_in_the_object_store(
    app, settings, session_factory, synthetic, s3_options
) -> None:  # noqa: F811
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    owner = logged_in_client(app, world.users["admin_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]})
    assert created.status_code == 201, created.text
    annotation_id = created.json()["id"]

    saved = owner.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(31)}]},
    )
    assert saved.status_code == 200, saved.text
    keys = bucket_keys(settings, s3_options)
    # chunk objects: <annotation>/<layer node>/<mag>/<x>/<y>/<z>/v<version>-<random> (docs/volume-storage.md)
    assert any(re.fullmatch(rf"{annotation_id}/[0-9a-f]{{24}}/1/1/0/0/v1-[0-9a-f]+", key) for key in keys)
    assert any(
        re.fullmatch(rf"{annotation_id}/[0-9a-f]{{24}}/2/0/0/0/v1-[0-9a-f]+", key) for key in keys
    )  # coarser
    assert not (Path(settings.volumes_dir).exists() and any(Path(settings.volumes_dir).rglob("*")))
    assert (read(owner, annotation_id, [[1, 0, 0]])[0] == 31).all()

    fork = owner.post(f"/api/annotations/{annotation_id}/duplicate")
    assert fork.status_code in (200, 201), fork.text
    fork_id = fork.json()["id"]
    assert (read(owner, fork_id, [[1, 0, 0]])[0] == 31).all()  # read through to the original's objects
    assert not any(key.startswith(f"{fork_id}/") for key in bucket_keys(settings, s3_options))

    download = owner.get(f"/api/annotations/{annotation_id}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    again = owner.post(
        "/api/annotations/upload",
        files={"file": ("again.zip", download.content)},
        data={"datasetId": dataset_id},
    )
    assert again.status_code == 200, again.text
    again_id = again.json()["annotation"]["id"]
    assert (read(owner, again_id, [[1, 0, 0]])[0] == 31).all()
    assert any(key.startswith(f"{again_id}/") for key in bucket_keys(settings, s3_options))


def test_a_failed_upload_leaves_no_object_behind(
    app, settings, session_factory, synthetic, s3_options
) -> None:  # noqa: F811
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    owner = logged_in_client(app, world.users["admin_a"])
    before = bucket_keys(settings, s3_options)
    good = np.zeros((32, 32, 32), dtype="<u4")
    nml = b'<things><volume id="0" name="Volume" location="data_Volume.zip"/></things>'
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("a.nml", nml)
        inner = io.BytesIO()
        with zipfile.ZipFile(inner, "w") as data:
            data.writestr("1/header.wkw", b"WKW\x01\x05\x01\x03\x04" + (24).to_bytes(8, "little"))
            # mag 1 is fine, mag 2's file is cut short: the import fails after writing mag 1.
            data.writestr(
                "1/z0/y0/x0.wkw", b"WKW\x01\x05\x01\x03\x04" + (16).to_bytes(8, "little") + good.tobytes()
            )
            data.writestr("2/header.wkw", b"WKW\x01\x05\x01\x03\x04" + (16).to_bytes(8, "little"))
            data.writestr(
                "2/z0/y0/x0.wkw", b"WKW\x01\x05\x01\x03\x04" + (16).to_bytes(8, "little") + b"\x00" * 10
            )
        zf.writestr("data_Volume.zip", inner.getvalue())
    answer = owner.post(
        "/api/annotations/upload",
        files={"file": ("bad.zip", buffer.getvalue())},
        data={"datasetId": dataset_id},
    )
    assert answer.status_code == 400, answer.text
    assert bucket_keys(settings, s3_options) == before


def test_gc_reclaims_a_deleted_originals_unshared_objects(
    app,
    settings,
    session_factory,
    synthetic,  # noqa: F811
    s3_options,
) -> None:
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    owner = logged_in_client(app, world.users["admin_a"])
    original = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["volume"]}).json()[
        "id"
    ]
    url = f"/api/annotations/{original}/layers/Volume/buckets"
    assert (
        owner.post(
            url,
            json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(31)}]},
        ).status_code
        == 200
    )
    fork_id = owner.post(f"/api/annotations/{original}/duplicate").json()["id"]
    shared = set(bucket_keys(settings, s3_options))
    assert (
        owner.post(
            url,
            json={"version": 1, "buckets": [{"mag": [1, 1, 1], "position": [1, 0, 0], "data": painted(32)}]},
        ).status_code
        == 200
    )
    unshared = set(bucket_keys(settings, s3_options)) - shared
    assert owner.delete(f"/api/annotations/{original}").status_code == 204
    with transaction(session_factory) as session:
        dry = gc.run(session, settings, volumes_location(settings), dry_run=True, grace_seconds=0)
    assert {key for key, _ in dry.objects} == unshared and dry.bytes > 0
    assert set(bucket_keys(settings, s3_options)) == shared | unshared
    with transaction(session_factory) as session:
        gc.run(session, settings, volumes_location(settings), dry_run=False, grace_seconds=0)
    assert set(bucket_keys(settings, s3_options)) == shared
    assert (read(owner, fork_id, [[1, 0, 0]])[0] == 31).all()
