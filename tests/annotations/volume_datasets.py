"""Datasets for uploaded volume annotations: an upload may bring only mags its dataset has and data inside the
dataset's box, so a webKnossos fixture zip needs the dataset it was made on. This builds a stand-in: a
segmentation layer with the archives' mags and a box around their data, metadata only (no voxels)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np
import zarr
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.datasets.helpers import register_folder
from voxelhub.annotations.nml.annotation_zip import archive_names
from voxelhub.annotations.nml.reader import read_nml
from voxelhub.annotations.volume.exchange import DecodedArchive, parse_mag
from voxelhub.annotations.volume.layers import mag_key


def archives_of(zip_path: Path, tmp_path: Path) -> list[DecodedArchive]:
    """The volume archives of an annotation zip, each decoded from its own copy in `tmp_path`."""
    out = []
    with zipfile.ZipFile(zip_path) as zf:
        skeleton = read_nml(zf.read(next(n for n in zf.namelist() if n.endswith(".nml"))))
        for volume in skeleton.volumes:
            name = next((n for n in archive_names(volume) if n in zf.namelist()), None)
            if name:
                target = tmp_path / f"fit-{zip_path.stem}-{volume.id}.zip"
                target.write_bytes(zf.read(name))
                out.append(DecodedArchive(target))
    return out


def _extent(archives: list[DecodedArchive]) -> list[int]:
    """The far corner (mag-1 voxels) of every block of every archive, at least 64 on each axis."""
    high = [64, 64, 64]
    for archive in archives:
        for mag_name, mag in archive.mags.items():
            for block in archive.blocks(mag_name):
                end = [(o + s) * f for o, s, f in zip(block.offset, block.voxels.shape, mag, strict=True)]
                high = [max(a, b) for a, b in zip(high, end, strict=True)]
    return high


def write_fitting_dataset(folder: Path, archives: list[DecodedArchive], layer: str = "segmentation") -> Path:
    mags = sorted({tuple(parse_mag(m)) for a in archives for m in a.mags} or {(1, 1, 1)})
    high = _extent(archives)
    dtype = next((a.dtype for a in archives if a.dtype is not None), np.dtype("uint32"))
    entries = []
    for mag in mags:
        shape = (1, *(-(-h // f) for h, f in zip(high, mag, strict=True)))
        zarr.create_array(
            zarr.storage.LocalStore(folder / layer / mag_key(mag)),
            shape=shape,
            chunks=(1, 32, 32, 32),
            dtype=dtype,
            fill_value=0,
            dimension_names=["c", "x", "y", "z"],
        )
        entries.append({"mag": list(mag), "path": f"./{layer}/{mag_key(mag)}"})
    box = {"topLeft": [0, 0, 0], "width": high[0], "height": high[1], "depth": high[2]}
    import json

    (folder / "datasource-properties.json").write_text(
        json.dumps(
            {
                "id": {"name": folder.name, "team": ""},
                "scale": [11.24, 11.24, 28],
                "dataLayers": [
                    {
                        "name": layer,
                        "category": "segmentation",
                        "boundingBox": box,
                        "elementClass": dtype.name,
                        "dataFormat": "zarr3",
                        "mags": entries,
                        "numChannels": 1,
                        "largestSegmentId": 0,
                    }
                ],
            }
        )
    )
    return folder


def fitting_dataset(
    session_factory: sessionmaker[Session],
    admin: TestClient,
    org_id: str,
    team_id: str,
    zip_path: Path,
    tmp_path: Path,
) -> str:
    """Register the stand-in dataset of an annotation zip, readable by `team_id`; answers its id."""
    folder = tmp_path / f"dataset-{zip_path.stem}"
    folder.mkdir()
    write_fitting_dataset(folder, archives_of(zip_path, tmp_path))
    dataset_id = register_folder(session_factory, org_id, folder, name=f"fit-{zip_path.stem}"[:60])
    assert admin.patch(f"/api/datasets/{dataset_id}/teams", json=[team_id]).status_code == 200
    return dataset_id
