"""Registering real dataset folders in tests, and reading the truth straight from zarr-python."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import zarr
from sqlalchemy.orm import Session, sessionmaker

from tests.fixture_files import FIXTURES
from voxelhub.datasets import service
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM

SIMPLE_ZARR = FIXTURES / "simple_zarr_dataset"
SIMPLE_ZARR3 = FIXTURES / "simple_zarr3_dataset"


def register_folder(
    factory: sessionmaker[Session],
    org_id: str,
    folder: Path | str,
    *,
    public: bool = False,
    storage_options: dict | None = None,
    name: str | None = None,
) -> str:
    with transaction(factory) as session:
        dataset = service.register_folder(
            session=session,
            actor=SYSTEM,
            organization_id=org_id,
            location_url=str(folder),
            name=name,
            storage_options=storage_options,
        )
        dataset.is_public = public
        return dataset.id


def truth_cxyz(folder: Path, layer: str, mag_path: str) -> np.ndarray:
    """The whole array of a webKnossos-layout mag, as (c, x, y, z)."""
    array = zarr.open_array(str(folder / layer / mag_path), mode="r")[...]
    return array if array.ndim == 4 else array[np.newaxis]


def decode(body: bytes, dtype: str, shape: tuple[int, ...]) -> np.ndarray:
    return np.frombuffer(body, dtype=np.dtype(dtype).newbyteorder("<")).reshape(shape, order="F")
