"""Annotations: skeleton tracings and volume annotations, versioned saves, NML import/export, forks.

The domain itself (tables, services, versioned saves, forks, downloads and uploads) lives here; three
subpackages hold the engines it uses, each depending only on the ones before it:

- `skeleton`: the in-memory skeleton (columnar trees), update actions, snapshots, viewer JSON;
- `nml`: reading and writing NML files and annotation zips (uses `skeleton`);
- `volume`: volume layers in zarr stores, their buckets and segments, volume archives in zips.

Package `__init__` modules import nothing, so importing one engine never drags in another.
"""
