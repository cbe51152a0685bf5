"""A stateful property test of volume snapshots: random sequences of paint / copy (and copies of copies) /
delete / restore / gc / read-at-version, driven through the services on a real database and a real store
(local disk and the S3-compatible test server), against a plain in-memory model: per annotation, the list of
its versions, each a dict bucket -> painted value. Every read of every live annotation at every version must
match the model exactly, also after gc (with no grace period) has deleted what it thinks is garbage."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session, sessionmaker

from tests.annotations.test_volumes import synthetic  # noqa: F401 (a fixture)
from tests.datasets.helpers import register_folder
from tests.factories import World, build_world
from tests.storage.s3server import BUCKET, running_s3
from voxelhub.annotations import forks, restore, versions
from voxelhub.annotations import service as annotation_service
from voxelhub.annotations.volume import gc
from voxelhub.annotations.volume import service as volume_service
from voxelhub.annotations.volume.layers import volumes_location
from voxelhub.db import transaction
from voxelhub.policy import Actor
from voxelhub.settings import Settings

POSITIONS = [(0, 0, 0), (1, 0, 0), (0, 1, 1), (1, 1, 1)]
Model = list[dict[tuple[int, int, int], int]]  # version -> painted buckets


class VolumeSnapshots(RuleBasedStateMachine):
    annotations = Bundle("annotations")

    def __init__(
        self, factory: sessionmaker[Session], settings: Settings, dataset_id: str, owner: str
    ) -> None:
        super().__init__()
        self.factory, self.settings, self.dataset_id, self.owner = factory, settings, dataset_id, owner
        self.model: dict[str, Model] = {}

    def actor(self, session: Session) -> Actor:
        return World(users={"owner": self.owner}).actor(session, "owner")

    @rule(target=annotations)
    def create(self) -> str:
        with transaction(self.factory) as session:
            actor = self.actor(session)
            created = annotation_service.create(
                session=session, actor=actor, dataset_id=self.dataset_id, name="prop"
            )
            versions.initialise(session=session, annotation=created)
            volume_service.add_layer(
                session=session,
                settings=self.settings,
                actor=actor,
                annotation_id=created.id,
                use_fallback=False,
            )
            self.model[created.id] = [{}]
            return created.id

    @rule(annotation=annotations, position=st.sampled_from(POSITIONS), value=st.integers(1, 2**32 - 1))
    def paint(self, annotation: str, position: tuple[int, int, int], value: int) -> None:
        if annotation not in self.model:
            return
        data = base64.b64encode(np.full((32,) * 3, value, dtype="<u4").tobytes(order="F")).decode()
        with transaction(self.factory) as session:
            version = volume_service.paint(
                session=session,
                settings=self.settings,
                actor=self.actor(session),
                annotation_id=annotation,
                layer_name="Volume",
                base_version=len(self.model[annotation]) - 1,
                buckets=[{"mag": [1, 1, 1], "position": list(position), "data": data}],
            )
        self.model[annotation].append({**self.model[annotation][-1], position: value})
        assert version == len(self.model[annotation]) - 1

    @rule(target=annotations, annotation=annotations)
    def copy(self, annotation: str) -> str:
        if annotation not in self.model:
            return annotation
        with transaction(self.factory) as session:
            fork = forks.fork(
                session=session, actor=self.actor(session), annotation_id=annotation, settings=self.settings
            )
        self.model[fork.id] = [dict(self.model[annotation][-1])]
        return fork.id

    @rule(annotation=consumes(annotations))
    def delete(self, annotation: str) -> None:
        if annotation not in self.model:
            return
        with transaction(self.factory) as session:
            annotation_service.delete(session=session, actor=self.actor(session), annotation_id=annotation)
        del self.model[annotation]

    @rule(annotation=annotations, data=st.data())
    def restore(self, annotation: str, data: st.DataObject) -> None:
        if annotation not in self.model:
            return
        history = self.model[annotation]
        version = data.draw(st.integers(0, len(history) - 1))
        with transaction(self.factory) as session:
            restore.restore(
                session=session, actor=self.actor(session), annotation_id=annotation, version=version
            )
        history.append(dict(history[version]))

    @rule()
    def collect_garbage(self) -> None:
        with transaction(self.factory) as session:
            gc.run(session, self.settings, volumes_location(self.settings), dry_run=False, grace_seconds=0)

    @rule(annotation=annotations, data=st.data())
    def read_at_version(self, annotation: str, data: st.DataObject) -> None:
        if annotation not in self.model:
            return
        version = data.draw(st.integers(0, len(self.model[annotation]) - 1))
        self.check(annotation, version)

    @invariant()
    def newest_versions_match(self) -> None:
        for annotation in self.model:
            self.check(annotation, len(self.model[annotation]) - 1)

    def check(self, annotation: str, version: int) -> None:
        with transaction(self.factory) as session:
            raw = volume_service.read(
                session=session,
                settings=self.settings,
                actor=self.actor(session),
                annotation_id=annotation,
                layer_name="Volume",
                mag=[1, 1, 1],
                buckets=[list(p) for p in POSITIONS],
                version=version,
            )
            coarse = volume_service.read(
                session=session,
                settings=self.settings,
                actor=self.actor(session),
                annotation_id=annotation,
                layer_name="Volume",
                mag=[2, 2, 2],
                buckets=[[0, 0, 0]],
                version=version,
            )
        size = 32**3 * 4
        expected = self.model[annotation][version]
        for i, position in enumerate(POSITIONS):
            got = np.frombuffer(raw[i * size : (i + 1) * size], dtype="<u4")
            assert (got == expected.get(position, 0)).all(), (annotation, version, position)
        block = np.frombuffer(coarse, dtype="<u4").reshape((32,) * 3, order="F")
        for x, y, z in POSITIONS:  # each fine bucket is a 16³ corner of the coarse one
            assert (
                block[x * 16 : (x + 1) * 16, y * 16 : (y + 1) * 16, z * 16 : (z + 1) * 16]
                == expected.get((x, y, z), 0)
            ).all(), (annotation, version, "mag 2")


def run_machine(
    session_factory: sessionmaker[Session], settings: Settings, synthetic_path: Any, examples: int
) -> None:
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic_path)
    owner = world.users["admin_a"]
    run_state_machine_as_test(
        lambda: VolumeSnapshots(session_factory, settings, dataset_id, owner),
        settings=hypothesis_settings(
            max_examples=examples,
            stateful_step_count=8,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        ),
    )


def test_snapshots_on_local_disk(session_factory, settings, synthetic) -> None:  # noqa: F811
    run_machine(session_factory, settings, synthetic, examples=150)


@pytest.fixture(scope="module")
def s3_options() -> Iterator[dict[str, Any]]:
    with running_s3() as options:
        yield options


def test_snapshots_on_the_object_store(session_factory, settings, synthetic, s3_options) -> None:  # noqa: F811
    in_s3 = settings.with_overrides(
        volumes_url=f"s3://{BUCKET}/volumes-{uuid.uuid4().hex[:8]}", volumes_storage_options=s3_options
    )
    run_machine(session_factory, in_s3, synthetic, examples=60)
