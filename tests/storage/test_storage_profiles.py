"""Storage profiles: an object store's credentials live in the server's settings, and a dataset row keeps only
the profile's name; credentials offered for the database are refused, and nothing is registered."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.factories import build_world
from tests.storage.s3server import upload_dir
from voxelhub.api.app import create_app
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.datasets.models import Dataset
from voxelhub.db import transaction
from voxelhub.errors import BadInput
from voxelhub.policy import SYSTEM
from voxelhub.storage.profiles import (
    StorageProfileMissing,
    credential_names_in,
    effective_options,
    storable_options,
)


def test_credentials_are_found_at_any_depth_and_in_any_case():
    assert credential_names_in({"endpoint_url": "x", "client_kwargs": {"aws_secret_access_key": "s"}}) == [
        "aws_secret_access_key"
    ]
    assert credential_names_in({"Key": "k", "config_kwargs": {"retries": {"max_attempts": 2}}}) == ["Key"]
    assert credential_names_in({"endpoint_url": "http://127.0.0.1:9000"}) == []


def test_only_known_profiles_and_no_credentials_may_be_stored():
    profiles = {"lab": {"key": "k", "secret": "s"}}
    assert storable_options({"profile": "lab", "endpoint_url": "e"}, profiles) == {
        "profile": "lab",
        "endpoint_url": "e",
    }
    with pytest.raises(BadInput, match="credentials"):
        storable_options({"secret": "s"}, profiles)
    with pytest.raises(BadInput, match="not configured"):
        storable_options({"profile": "elsewhere"}, profiles)


def test_the_stored_options_are_laid_over_the_profile():
    profiles = {"lab": {"key": "k", "endpoint_url": "http://profile"}}
    assert effective_options({"profile": "lab", "endpoint_url": "http://row"}, profiles) == {
        "key": "k",
        "endpoint_url": "http://row",
    }
    assert effective_options({}, profiles) is None
    with pytest.raises(StorageProfileMissing):
        effective_options({"profile": "gone"}, profiles)


@pytest.fixture
def s3_dataset(s3_options, tmp_path) -> str:  # type: ignore[no-untyped-def]
    return upload_dir(
        s3_options, build_synthetic(tmp_path / "em", size=(64, 64, 64), seed=5), f"profiles/{tmp_path.name}"
    )


def test_a_dataset_on_a_profile_stores_the_name_only_and_reads(
    settings, session_factory, s3_options, s3_dataset
):
    from voxelhub.datasets import service

    world = build_world(session_factory)
    profiles = {"lab-s3": s3_options}
    with transaction(session_factory) as session:
        dataset = service.register_folder(
            session=session,
            actor=SYSTEM,
            organization_id=world.org_ids["a"],
            location_url=s3_dataset,
            name="on-s3",
            storage_options={"profile": "lab-s3"},
            profiles=profiles,
        )
        dataset.is_public = True
        dataset_id = dataset.id
    with transaction(session_factory) as session:
        stored = session.scalar(select(Dataset.storage_options).where(Dataset.id == dataset_id))
    assert stored == {"profile": "lab-s3"}
    assert "testing" not in json.dumps(stored)

    from fastapi.testclient import TestClient

    app = create_app(settings.with_overrides(storage_profiles=profiles), migrate=False)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        answer = client.get(f"/data/zarr/{dataset_id}/color/1/zarr.json")
    assert answer.status_code == 200 and answer.json()["zarr_format"] == 3


def test_credentials_for_the_database_are_refused_and_nothing_is_registered(
    session_factory, s3_options, s3_dataset
):
    from voxelhub.datasets import service

    world = build_world(session_factory)
    with pytest.raises(BadInput, match="credentials"), transaction(session_factory) as session:
        service.register_folder(
            session=session,
            actor=SYSTEM,
            organization_id=world.org_ids["a"],
            location_url=s3_dataset,
            name="leaky",
            storage_options=s3_options,
        )
    with transaction(session_factory) as session:
        assert session.scalar(select(Dataset.id).where(Dataset.name == "leaky")) is None
