"""Datasets uploaded as a zip through the API: who may, voxel-exact data afterwards, and hostile or broken zips
refused with the file and the problem named, leaving no folder and no dataset behind."""

from __future__ import annotations

import io
import stat
import zipfile
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.datasets.helpers import SIMPLE_ZARR, SIMPLE_ZARR3, decode, truth_cxyz
from tests.factories import build_world, logged_in_client
from voxelhub.datasets.models import Dataset
from voxelhub.db import transaction


def zip_folder(folder: Path, *, wrap: str | None = None, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                name = path.relative_to(folder).as_posix()
                zf.write(path, f"{wrap}/{name}" if wrap else name)
        for name, data in (extra or {}).items():
            zf.writestr(name, data)
    return buffer.getvalue()


def dataset_count(session_factory) -> int:  # type: ignore[no-untyped-def]
    with transaction(session_factory) as session:
        return session.scalar(select(func.count()).select_from(Dataset)) or 0


def uploaded_folders(settings) -> list[Path]:  # type: ignore[no-untyped-def]
    """The unpacked uploads: datasets/<organization id>/<upload id>/."""
    root = settings.datasets_dir
    return sorted(root.glob("*/*")) if root.exists() else []


def upload(client: TestClient, data: bytes, name: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/datasets/upload", files={"file": ("my-dataset.zip", data)}, data={"name": name} if name else {}
    )


@pytest.mark.parametrize("folder, wrap", [(SIMPLE_ZARR3, None), (SIMPLE_ZARR, "simple_zarr_dataset")])
def test_an_admin_uploads_a_dataset_zip_and_reads_it_voxel_exact(app, session_factory, folder, wrap) -> None:
    world = build_world(session_factory)
    admin = logged_in_client(app, world.users["admin_a"])
    answer = upload(admin, zip_folder(folder, wrap=wrap), name="uploaded")
    assert answer.status_code == 201, answer.text
    dataset = answer.json()
    assert dataset["name"] == "uploaded" and dataset["isPublic"] is False and dataset["allowedTeams"] == []
    assert [layer["name"] for layer in dataset["dataSource"]["dataLayers"]] == ["color"]
    mag = "1-1-1" if (folder / "color" / "1-1-1").exists() else "1"
    truth = truth_cxyz(folder, "color", mag)
    box = {"x": 0, "y": 0, "z": 0, "width": 24, "height": 24, "depth": 24, "mag": "1-1-1"}
    raw = admin.get(f"/data/datasets/{dataset['id']}/layers/color/data", params=box)
    assert raw.status_code == 200, raw.text
    assert np.array_equal(decode(raw.content, "uint8", (3, 24, 24, 24)), truth)
    # New datasets are private: a member of the organization does not see it.
    member = logged_in_client(app, world.users["member_a"])
    assert member.get(f"/api/datasets/{dataset['id']}").status_code == 404


def test_the_name_defaults_to_the_file_name_and_a_taken_name_is_refused(
    app, session_factory, settings
) -> None:
    world = build_world(session_factory)
    manager = logged_in_client(app, world.users["dsm_a"])
    first = upload(manager, zip_folder(SIMPLE_ZARR3))
    assert first.status_code == 201, first.text
    assert first.json()["name"] == "my-dataset"
    folders = uploaded_folders(settings)
    again = upload(manager, zip_folder(SIMPLE_ZARR3))
    assert again.status_code == 409
    assert uploaded_folders(settings) == folders


@pytest.mark.parametrize("role", ["member_a", "team_a", "tm_a"])
def test_who_may_not_upload_a_dataset(app, session_factory, settings, role) -> None:
    world = build_world(session_factory)
    client = logged_in_client(app, world.users[role])
    answer = upload(client, zip_folder(SIMPLE_ZARR3))
    assert answer.status_code == 403
    assert dataset_count(session_factory) == 0 and uploaded_folders(settings) == []
    anonymous = TestClient(app).post(
        "/api/datasets/upload", files={"file": ("a.zip", zip_folder(SIMPLE_ZARR3))}
    )
    assert anonymous.status_code == 401


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _with_member(name: str, data: bytes = b"x", *, link: bool = False) -> bytes:
    buffer = io.BytesIO(zip_folder(SIMPLE_ZARR3))
    with zipfile.ZipFile(buffer, "a") as zf:
        info = zipfile.ZipInfo(name)
        if link:
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(info, data)
    return buffer.getvalue()


BROKEN_PROPERTIES = (
    b'{"dataLayers": [{"name": "color", "category": "color", "elementClass": "uint13", "mags": []}]}'
)


@pytest.mark.parametrize(
    "data, needle",
    [
        (_with_member("../escape.txt"), "outside"),
        (_with_member("/etc/cron.d/evil"), "outside"),
        (_with_member("color/./x"), "outside"),
        (_with_member("color/link", b"/etc/passwd", link=True), "link"),
        (b"PK\x03\x04 not really a zip", "zip"),
        (zip_folder(SIMPLE_ZARR3)[:200], "zip"),
        (zip_folder(Path("/nonexistent")), "empty"),
        (_zip({"datasource-properties.json": BROKEN_PROPERTIES}), "datasource-properties.json"),
        (_zip({"readme.txt": b"hello"}), "not an OME-Zarr image"),
    ],
)
def test_hostile_or_broken_zips_are_refused_and_leave_nothing(
    app, session_factory, settings, data, needle
) -> None:
    world = build_world(session_factory)
    admin = logged_in_client(app, world.users["admin_a"])
    answer = upload(admin, data)
    assert answer.status_code == 400, answer.text
    assert needle in answer.text
    assert dataset_count(session_factory) == 0 and uploaded_folders(settings) == []
    assert not Path("/escape.txt").exists() and not (settings.data_dir.parent / "escape.txt").exists()


@pytest.mark.parametrize("wrap", [None, "simple_zarr_dataset"])
def test_with_a_datasets_store_an_upload_goes_there_and_leaves_the_local_disk(
    settings, engine, session_factory, wrap
) -> None:
    """With VOXELHUB_DATASETS_URL on an object store, the upload is read from the store (by any process), its row
    names the profile only, and nothing stays in the receiving process's data folder."""
    from tests.storage.s3server import BUCKET, running_s3
    from voxelhub.api.app import create_app

    with running_s3() as s3:
        stored = settings.with_overrides(
            datasets_url=f"s3://{BUCKET}/uploads",
            datasets_storage_profile="lab-s3",
            storage_profiles={"lab-s3": s3},
        )
        app = create_app(stored, migrate=False)
        world = build_world(session_factory)
        admin = logged_in_client(app, world.users["admin_a"])
        answer = upload(admin, zip_folder(SIMPLE_ZARR, wrap=wrap), name="in-the-store")
        assert answer.status_code == 201, answer.text
        dataset_id = answer.json()["id"]
        with transaction(session_factory) as session:
            row = session.get(Dataset, dataset_id)
            assert row.location.startswith(f"s3://{BUCKET}/uploads/") and row.storage_options == {
                "profile": "lab-s3"
            }
        assert uploaded_folders(stored) == []
        box = {"x": 0, "y": 0, "z": 0, "width": 24, "height": 24, "depth": 24, "mag": "1-1-1"}
        raw = admin.get(f"/data/datasets/{dataset_id}/layers/color/data", params=box)
        assert raw.status_code == 200, raw.text
        truth = truth_cxyz(
            SIMPLE_ZARR, "color", "1-1-1" if (SIMPLE_ZARR / "color" / "1-1-1").exists() else "1"
        )
        assert np.array_equal(decode(raw.content, "uint8", (3, 24, 24, 24)), truth)
