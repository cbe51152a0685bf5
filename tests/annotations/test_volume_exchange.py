"""Volume data in annotation zips: every fixture zip written by webKnossos (zarr3 and WKW volume data) imports
into volume layers voxel-exact, the download is a zip of NML plus zarr3 archives that zarr-python reads, and
download → upload loses nothing (voxels of every mag, segments, fallback layer, largest segment id, groups)."""

from __future__ import annotations

import base64
import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
import zarr
from fastapi.testclient import TestClient
from lxml import etree
from zarr.storage import ZipStore

from tests.annotations.test_annotation_content import annotation_count, setup  # noqa: F401 (fixture)
from tests.annotations.volume_datasets import fitting_dataset
from tests.factories import logged_in_client
from tests.fixture_files import FIXTURES
from voxelhub.annotations.nml.annotation_zip import archive_names
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.annotations.volume.exchange import DecodedArchive, parse_mag

ZIPS = sorted((FIXTURES / "annotations").glob("*.zip"))


def upload(client: TestClient, name: str, data: bytes, dataset_id: str) -> dict:
    answer = client.post(
        "/api/annotations/upload", files={"file": (name, data)}, data={"datasetId": dataset_id}
    )
    assert answer.status_code == 200, answer.text
    annotation_id = answer.json()["annotation"]["id"]
    return client.get(f"/api/annotations/{annotation_id}/info").json()


def read_buckets(
    client: TestClient, annotation_id: str, layer: dict, mag: list[int], buckets: list[tuple[int, int, int]]
) -> list[np.ndarray]:
    out = []
    for start in range(0, len(buckets), 256):
        batch = [list(b) for b in buckets[start : start + 256]]
        answer = client.post(
            f"/data/annotations/{annotation_id}/layers/{layer['name']}/buckets",
            json={"mag": mag, "buckets": batch},
        )
        assert answer.status_code == 200, answer.text
        dtype = np.dtype(layer["elementClass"]).newbyteorder("<")
        size = 32**3 * dtype.itemsize
        out += [
            np.frombuffer(answer.content[i * size : (i + 1) * size], dtype=dtype).reshape(
                (32,) * 3, order="F"
            )
            for i in range(len(batch))
        ]
    return out


def archive_blocks(archive: DecodedArchive) -> dict[tuple[str, tuple[int, int, int]], np.ndarray]:
    """(mag, bucket) -> voxels, split into 32³ buckets whatever the archive's block size."""
    blocks = {}
    for mag_name in archive.mags:
        for block in archive.blocks(mag_name):
            sx, sy, sz = block.voxels.shape
            for i in range(0, sx, 32):
                for j in range(0, sy, 32):
                    for k in range(0, sz, 32):
                        bucket = (
                            (block.offset[0] + i) // 32,
                            (block.offset[1] + j) // 32,
                            (block.offset[2] + k) // 32,
                        )
                        piece = np.zeros((32, 32, 32), dtype=block.voxels.dtype)
                        part = block.voxels[i : i + 32, j : j + 32, k : k + 32]
                        piece[: part.shape[0], : part.shape[1], : part.shape[2]] = part
                        blocks[(mag_name, bucket)] = piece
    return blocks


def volumes_of_fixture(path: Path, tmp_path: Path) -> dict[int, DecodedArchive]:
    with zipfile.ZipFile(path) as zf:
        nml = next(n for n in zf.namelist() if n.endswith(".nml"))
        skeleton = read_nml(zf.read(nml))
        out = {}
        for volume in skeleton.volumes:
            name = next((n for n in archive_names(volume) if n in zf.namelist()), None)
            if name:
                target = tmp_path / f"{path.stem}-{volume.id}.zip"
                target.write_bytes(zf.read(name))
                out[volume.id] = DecodedArchive(target)
    return out


def volume_elements(nml: bytes) -> list[dict]:
    root = etree.fromstring(nml)
    return [
        {
            "attrs": {k: v for k, v in el.attrib.items() if k not in ("location", "format")},
            "segments": [dict(s.attrib) for s in el.iter("segment")],
            "groups": [dict(g.attrib) for g in el.iter("group")],
        }
        for el in root.iter("volume")
    ]


def nml_of(download: bytes) -> bytes:
    with zipfile.ZipFile(io.BytesIO(download)) as zf:
        return zf.read(next(n for n in zf.namelist() if n.endswith(".nml")))


@pytest.mark.parametrize("path", ZIPS, ids=[p.name for p in ZIPS])
def test_fixture_zip_volume_data_imports_voxel_exact_and_survives_download_and_upload(
    app, session_factory, setup, path, tmp_path
) -> None:  # noqa: F811
    world, _, owner, _ = setup
    admin = logged_in_client(app, world.users["admin_a"])
    dataset_id = fitting_dataset(
        session_factory, admin, world.org_ids["a"], world.team_ids["a1"], path, tmp_path
    )
    expected = volumes_of_fixture(path, tmp_path)
    info = upload(owner, path.name, path.read_bytes(), dataset_id)
    layers = info["volumeLayers"]
    assert len(layers) == len(expected)

    def check(annotation_id: str, layers: list[dict]) -> None:
        for layer, archive in zip(layers, expected.values(), strict=True):
            assert (
                sorted(map(tuple, layer["mags"])) == sorted(tuple(parse_mag(m)) for m in archive.mags)
                or not archive.mags
            )
            blocks = archive_blocks(archive)
            for mag_name in archive.mags:
                keys = [b for m, b in blocks if m == mag_name]
                got = read_buckets(owner, annotation_id, layer, parse_mag(mag_name), keys)
                for key, voxels in zip(keys, got, strict=True):
                    np.testing.assert_array_equal(
                        voxels, blocks[(mag_name, key)], err_msg=f"{mag_name} {key}"
                    )

    check(info["id"], layers)
    download = owner.get(f"/api/annotations/{info['id']}/download")
    assert download.status_code == 200
    with zipfile.ZipFile(path) as zf:
        original_nml = zf.read(next(n for n in zf.namelist() if n.endswith(".nml")))
    if not expected:  # the volume's data was omitted from the zip: the download is the NML alone, as it came
        assert download.headers["content-type"] == "application/xml"
        assert volume_elements(download.content) == volume_elements(original_nml)
        return
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].endswith('.zip"')
    with zipfile.ZipFile(io.BytesIO(download.content)) as zf:
        assert len([n for n in zf.namelist() if n.startswith("data_")]) == len(expected)
    assert volume_elements(nml_of(download.content)) == volume_elements(original_nml)

    again = upload(owner, "again.zip", download.content, dataset_id)
    check(again["id"], again["volumeLayers"])
    for first, second in zip(layers, again["volumeLayers"], strict=True):
        for key in (
            "name",
            "segments",
            "fallbackLayer",
            "largestSegmentId",
            "mags",
            "boundingBox",
            "elementClass",
        ):
            assert first[key] == second[key], key


def test_a_painted_layer_downloads_as_a_zarr3_archive_zarr_python_reads(app, setup, tmp_path) -> None:  # noqa: F811
    _, dataset_id, owner, annotation_id = setup
    added = owner.post(
        f"/api/annotations/{annotation_id}/volumes", json={"name": "cells", "useFallback": False}
    )
    assert added.status_code == 201, added.text
    voxels = np.zeros((32, 32, 32), dtype="<u4")
    voxels[3:9, 4:6, 1:2] = 7
    data = base64.b64encode(voxels.tobytes(order="F")).decode()
    painted = owner.post(
        f"/api/annotations/{annotation_id}/layers/cells/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": data}]},
    )
    assert painted.status_code == 200, painted.text
    segments = [{"id": 7, "name": "soma", "anchorPosition": [4, 4, 1], "color": [1, 0, 0, 1]}]
    assert (
        owner.put(f"/api/annotations/{annotation_id}/layers/cells/segments", json=segments).status_code == 200
    )

    download = owner.get(f"/api/annotations/{annotation_id}/download")
    assert download.status_code == 200 and download.headers["content-type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(download.content)) as zf:
        nml = zf.read(next(n for n in zf.namelist() if n.endswith(".nml")))
        (data_name,) = [n for n in zf.namelist() if n.startswith("data_")]
        (tmp_path / "data.zip").write_bytes(zf.read(data_name))
    volume = etree.fromstring(nml).find("volume")
    assert (
        volume.get("name") == "cells"
        and volume.get("location") == data_name
        and volume.get("format") == "zarr3"
    )
    assert volume.find("segments/segment").get("name") == "soma"
    array = zarr.open_array(
        ZipStore(tmp_path / "data.zip", mode="r"), path="volumeAnnotationData/1", mode="r"
    )
    assert array.shape[0] == 1 and array.metadata.dimension_names == ("c", "x", "y", "z")
    sx, sy, sz = (min(32, n) for n in array.shape[1:])
    np.testing.assert_array_equal(array[0, :sx, :sy, :sz], voxels[:sx, :sy, :sz])
    assert int(array[0, 3, 4, 1]) == 7


@pytest.mark.parametrize(
    "segments, needle",
    [
        ([{"id": -1}], "id"),
        ([{"id": 1, "color": [1, 0]}], "color"),
        ([{"id": 1}, {"id": 1}], "twice"),
        ([{"id": 1, "anchorPosition": ["a", 1, 2]}], "anchorPosition"),
        ([{"id": 1, "secret": True}], "unknown"),
        (["x"], "object"),
    ],
)
def test_bad_segments_are_refused(setup, segments, needle) -> None:  # noqa: F811
    _, _, owner, annotation_id = setup
    owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": "cells"})
    answer = owner.put(f"/api/annotations/{annotation_id}/layers/cells/segments", json=segments)
    assert answer.status_code == 400 and needle in answer.text
    assert owner.get(f"/api/annotations/{annotation_id}/info").json()["volumeLayers"][0]["segments"] == []


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return buffer.getvalue()


NML = b'<things><parameters><experiment name="x"/></parameters><volume id="0" name="Volume" location="data_Volume.zip"/></things>'
WKW_HEADER = b"WKW\x01\x05\x02\x03\x04" + (24).to_bytes(8, "little")
BAD_WKW = _zip(
    {
        "1/header.wkw": WKW_HEADER,
        "1/z0/y0/x0.wkw": WKW_HEADER + (1 << 40).to_bytes(8, "little") + b"\xff" * 40,
    }
)
GARBLED_LZ4 = _zip(
    {"1/header.wkw": WKW_HEADER, "1/z0/y0/x0.wkw": WKW_HEADER + (64).to_bytes(8, "little") + b"\xff" * 40}
)
HEADERLESS_WKW = _zip({"1/z0/y0/x0.wkw": WKW_HEADER + (64).to_bytes(8, "little") + b"\xff" * 40})


@pytest.mark.parametrize(
    "archive, needle",
    [
        (b"not a zip at all", "volume data"),
        (BAD_WKW, "outside the file"),
        (GARBLED_LZ4, "decompress"),
        (HEADERLESS_WKW, "header.wkw"),
        (_zip({"volumeAnnotationData/1/zarr.json": b"{not json"}), "volume data"),
    ],
)
def test_bad_volume_data_is_refused_and_leaves_nothing(
    setup, session_factory, settings, archive, needle
) -> None:  # noqa: F811
    _, dataset_id, owner, _ = setup
    before = annotation_count(session_factory)
    folders = set(settings.volumes_dir.iterdir()) if settings.volumes_dir.exists() else set()
    answer = owner.post(
        "/api/annotations/upload",
        files={"file": ("bad.zip", _zip({"a.nml": NML, "data_Volume.zip": archive}))},
        data={"datasetId": dataset_id},
    )
    assert answer.status_code == 400, answer.text
    assert needle in answer.json()["message"] if "message" in answer.json() else needle in answer.text
    assert annotation_count(session_factory) == before
    assert (set(settings.volumes_dir.iterdir()) if settings.volumes_dir.exists() else set()) == folders
