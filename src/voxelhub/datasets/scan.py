"""Reading a dataset folder in either layout it may have: webKnossos' (`layout`) or OME-Zarr (`ome_layout`)."""

from __future__ import annotations

from dataclasses import replace

from voxelhub.datasets.layout import PROPERTIES_FILE, DatasetFormatError, DataSource, scan_wk_layout
from voxelhub.datasets.ome_layout import find_ome_root, scan_ome_zarr
from voxelhub.storage import Location


def scan_dataset(location: Location, name: str | None = None) -> DataSource:
    """Read a dataset folder (webKnossos layout or OME-Zarr) and verify every mag array.

    Raises DatasetFormatError(path, problem) for anything broken or unsupported.
    """
    if location.exists(PROPERTIES_FILE):
        source = scan_wk_layout(location)
    else:
        if find_ome_root(location) is None:
            raise DatasetFormatError(
                PROPERTIES_FILE,
                "file not found, and the folder is not an OME-Zarr "
                "image (no multiscales metadata in .zattrs or zarr.json)",
            )
        source = scan_ome_zarr(location)
    if name:
        source = replace(source, name=name)
    return source
