"""Access checks of services that no route can reach with a denied caller (the routes pass the caller's own
organization), checked on the services themselves, and the one check that needs a readable annotation on an
unreadable dataset."""

from __future__ import annotations

import pytest

from tests.annotations.world import build_annotation_world, load
from tests.factories import build_world, logged_in_client
from tests.sharing.world import DATA_SOURCE
from voxelhub.accounts import service as accounts
from voxelhub.annotations import versions
from voxelhub.datasets import service as datasets
from voxelhub.db import transaction
from voxelhub.errors import Forbidden, NotFound


def test_teams_of_another_organization_are_not_listed(session_factory) -> None:
    world = build_world(session_factory)
    with transaction(session_factory) as session:
        assert accounts.list_teams(
            session=session, actor=world.actor(session, "member_a"), organization_id=world.org_ids["a"]
        )
        for outsider in ("member_b", "admin_b"):
            with pytest.raises(NotFound):
                accounts.list_teams(
                    session=session, actor=world.actor(session, outsider), organization_id=world.org_ids["a"]
                )


@pytest.mark.parametrize("role, error", [("member_a", Forbidden), ("tm_a", Forbidden), ("dsm_b", NotFound)])
def test_only_admins_and_dataset_managers_register_datasets(session_factory, role: str, error: type) -> None:
    world = build_world(session_factory)
    with transaction(session_factory) as session:
        actor = world.actor(session, role)
        with pytest.raises(error):
            datasets.register(
                session=session,
                actor=actor,
                organization_id=world.org_ids["a"],
                name="x",
                location="/nowhere",
                data_source=DATA_SOURCE,
            )
        with pytest.raises(error):  # refused before the folder is even looked at (no "no such folder")
            datasets.register_folder(
                session=session,
                actor=actor,
                organization_id=world.org_ids["a"],
                location_url="/nowhere/at/all",
            )
        assert datasets.register(
            session=session,
            actor=world.actor(session, "dsm_a"),
            organization_id=world.org_ids["a"],
            name="x",
            location="/nowhere",
            data_source=DATA_SOURCE,
        ).id


def test_copy_needs_the_dataset_too(app, session_factory) -> None:
    """A public annotation on a private dataset: an outsider reads the annotation but may not copy it."""
    world = build_annotation_world(session_factory)
    with transaction(session_factory) as session:
        versions.initialise(session=session, annotation=load(session, world.annotation_ids["Public"]))
    outsider = logged_in_client(app, world.accounts.users["member_b"])
    base = f"/api/annotations/{world.annotation_ids['Public']}"
    assert outsider.get(f"{base}/info").status_code == 200
    assert outsider.post(f"{base}/duplicate").status_code == 404
    assert logged_in_client(app, world.accounts.users["team_a"]).post(f"{base}/duplicate").status_code == 201
