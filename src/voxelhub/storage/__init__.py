"""Storage: reading bytes and zarr arrays from local disk or an S3-compatible object store.

`open_location(url, storage_options)` gives a `Location`; keys are validated (`InvalidKey`) so that no
request can escape a dataset's root.
"""

from __future__ import annotations

from voxelhub.storage.arrays import ArrayCache, open_array
from voxelhub.storage.keys import InvalidKey, join_key, normalize_relative_path, validate_key
from voxelhub.storage.location import Location, LocationCache, open_location

__all__ = [
    "ArrayCache",
    "InvalidKey",
    "Location",
    "LocationCache",
    "join_key",
    "normalize_relative_path",
    "open_array",
    "open_location",
    "validate_key",
]
