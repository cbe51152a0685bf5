"""Migration 0006 on volume layers saved in the old layout (zarr arrays under `<annotation>/<layer>/`, forks
reading through the original's prefix): they keep reading, as the frozen base of version 0; the original's
later paints no longer reach its old fork; gc keeps the old arrays while an annotation needs them."""

from __future__ import annotations

import json

import numpy as np
import zarr
from sqlalchemy import text

from tests.accounts.test_migration_0004 import _alembic
from tests.annotations.test_volume_history import paint, read_at
from tests.annotations.test_volumes import read, synthetic, volume_setup  # noqa: F401 (fixtures)
from tests.factories import logged_in_client
from voxelhub.annotations.volume import gc
from voxelhub.annotations.volume.layers import volumes_location
from voxelhub.db import transaction


def _old_layout(settings, annotation_id: str, value: int) -> None:  # type: ignore[no-untyped-def]
    store = zarr.storage.LocalStore(settings.volumes_dir / annotation_id / "Volume")
    for mag, size in (("1", 64), ("2", 32)):
        array = zarr.create_array(
            store,
            name=mag,
            shape=(size,) * 3,
            chunks=(32,) * 3,
            dtype="uint32",
            fill_value=0,
            dimension_names=["x", "y", "z"],
            overwrite=True,
        )
        if mag == "1":
            array[0:32, 0:32, 0:32] = value


def _set_storage(engine, annotation_id: str, storage: dict) -> None:  # type: ignore[no-untyped-def, type-arg]
    with engine.begin() as connection:
        raw = connection.execute(
            text("SELECT volume_layers FROM annotations WHERE id = :i"), {"i": annotation_id}
        ).scalar()
        layers = json.loads(raw) if isinstance(raw, str) else raw
        layers[0]["storage"] = storage
        connection.execute(
            text("UPDATE annotations SET volume_layers = :v WHERE id = :i"),
            {"v": json.dumps(layers), "i": annotation_id},
        )


def test_old_layout_layers_keep_reading_and_their_forks_become_snapshots(
    app, engine, settings, session_factory, volume_setup
) -> None:  # noqa: F811
    world, _, owner, info = volume_setup
    original = info["id"]
    colleague = logged_in_client(app, world.users["tm_a"])
    fork = colleague.post(f"/api/annotations/{original}/duplicate").json()["id"]
    _alembic(engine, "0004", down=True)
    _old_layout(settings, original, 42)
    _set_storage(engine, original, {"own": f"{original}/Volume", "bases": []})
    _set_storage(engine, fork, {"own": f"{fork}/Volume", "bases": [f"{original}/Volume"]})
    _alembic(engine, "head")

    assert (read(owner, original, [[0, 0, 0]])[0] == 42).all()
    assert (read(colleague, fork, [[0, 0, 0]])[0] == 42).all()
    paint(owner, original, 0, [0, 0, 0], 99)
    assert (read(owner, original, [[0, 0, 0]])[0] == 99).all()
    assert (read_at(owner, original, [0, 0, 0], 0) == 42).all()
    assert (read(colleague, fork, [[0, 0, 0]])[0] == 42).all()  # the old arrays are no longer written
    old_files = {
        p for p in (settings.volumes_dir / original).rglob("*") if p.is_file() and "Volume" in p.parts
    }
    with transaction(session_factory) as session:
        gc.run(session, settings, volumes_location(settings), dry_run=False, grace_seconds=0)
    assert all(p.exists() for p in old_files)
    assert owner.delete(f"/api/annotations/{original}").status_code == 204
    with transaction(session_factory) as session:
        gc.run(session, settings, volumes_location(settings), dry_run=False, grace_seconds=0)
    assert all(p.exists() for p in old_files)  # the fork still reads them
    assert (read(colleague, fork, [[0, 0, 0]])[0] == 42).all()
    assert colleague.delete(f"/api/annotations/{fork}").status_code == 204
    with transaction(session_factory) as session:
        garbage = gc.run(session, settings, volumes_location(settings), dry_run=False, grace_seconds=0)
    assert garbage.objects and not any(p.exists() for p in old_files)
    assert not [p for p in settings.volumes_dir.rglob("*") if p.is_file()]  # nothing left behind
    assert np.asarray(garbage.bytes) > 0
