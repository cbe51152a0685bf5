"""`annotations.info`: the info of a listing costs the same few queries for 1 row as for 20, spread over
several datasets (some with a sharing link) and shared with several teams: each kind of lookup (datasets,
organizations, teams, sharing tokens) is one query for all rows, never one per row."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import World, build_world
from tests.sharing.world import register_dataset
from voxelhub.annotations import info, service
from voxelhub.datasets import service as datasets
from voxelhub.db import transaction
from voxelhub.policy import Actor
from voxelhub.sharing import service as sharing

DATASETS = 4
ORIGIN = "http://127.0.0.1"


@pytest.fixture
def spread(session_factory: sessionmaker[Session]) -> tuple[World, list[str]]:
    """Datasets of org A allowed to team a1; every other one has an active sharing link."""
    world = build_world(session_factory)
    with transaction(session_factory) as session:
        admin = world.actor(session, "admin_a")
        dataset_ids = []
        for n in range(DATASETS):
            dataset_id = register_dataset(session, world.org_ids["a"], f"spread-{n}")
            dataset = datasets.set_allowed_teams(
                session=session, actor=admin, dataset_id=dataset_id, team_ids=[world.team_ids["a1"]]
            )
            if n % 2:
                sharing.get_or_create_default_link(session=session, actor=admin, dataset=dataset)
            dataset_ids.append(dataset_id)
    return world, dataset_ids


def add_annotations(
    factory: sessionmaker[Session], world: World, dataset_ids: list[str], start: int, end: int
) -> None:
    """Annotations of the member of a1, public and internal in turn, a pair of each per dataset round-robin
    (so every dataset, linked or not, has both), shared with a1 (and a2 for every other one)."""
    teams = [world.team_ids["a1"], world.team_ids["a2"]]
    with transaction(factory) as session:
        owner = world.actor(session, "team_a")
        for i in range(start, end):
            made = service.create(
                session=session,
                actor=owner,
                dataset_id=dataset_ids[i // 2 % len(dataset_ids)],
                name=f"spread {i}",
            )
            service.update(
                session=session,
                actor=owner,
                annotation_id=made.id,
                visibility="Public" if i % 2 else "Internal",
            )
            service.set_shared_teams(
                session=session, actor=owner, annotation_id=made.id, team_ids=teams[: 1 + i % 2]
            )


def statements_of(engine: Engine, fn: Callable[[], Any]) -> tuple[int, Any]:
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(engine, "before_cursor_execute", counted)
    try:
        result = fn()
    finally:
        event.remove(engine, "before_cursor_execute", counted)
    return count, result


def listing_cost(
    engine: Engine, factory: sessionmaker[Session], actor: Actor, scope: Literal["own", "shared"]
) -> tuple[int, list[Any]]:
    """Statements sent by one listing, on a fresh session (nothing read before is at hand)."""
    with factory() as session:
        return statements_of(
            engine, lambda: info.listing(session=session, actor=actor, scope=scope, origin=ORIGIN)
        )


@pytest.mark.parametrize("role, scope", [("team_a", "own"), ("tm_a", "shared")])
def test_a_listing_of_20_costs_the_queries_of_a_listing_of_1(
    engine: Engine,
    session_factory: sessionmaker[Session],
    spread: tuple[World, list[str]],
    role: str,
    scope: Literal["own", "shared"],
) -> None:
    world, dataset_ids = spread
    with transaction(session_factory) as session:
        actor = world.actor(session, role)
    add_annotations(session_factory, world, dataset_ids, 0, 1)
    one, found = listing_cost(engine, session_factory, actor, scope)
    assert len(found) == 1
    add_annotations(session_factory, world, dataset_ids, 1, 20)
    twenty, found = listing_cost(engine, session_factory, actor, scope)
    assert len(found) == 20 and {a.dataset_id for a in found} == set(dataset_ids)
    assert {len(a.teams) for a in found} == {1, 2}
    assert twenty == one, f"a listing of 20 sent {twenty} statements, a listing of 1 sent {one}"
    # The rows with their owners, memberships and shared teams; the datasets with their teams; organizations,
    # teams, tokens: 8 today. A little room, so that one more eager relationship does not fail this test.
    assert one <= 10, one


def test_the_owner_sees_the_token_of_an_existing_link_only(
    session_factory: sessionmaker[Session], spread: tuple[World, list[str]]
) -> None:
    """The Share dialog's link: with the dataset's token when the dataset has an active link, without it
    (and `datasetLinkMissing`) when it has none; internal annotations need no token."""
    world, dataset_ids = spread
    add_annotations(session_factory, world, dataset_ids, 0, 2 * DATASETS)
    with transaction(session_factory) as session:
        found = info.listing(
            session=session, actor=world.actor(session, "team_a"), scope="own", origin=ORIGIN
        )
    linked = {dataset_ids[n] for n in range(DATASETS) if n % 2}
    for annotation in found:
        url = annotation.sharing_url or ""
        assert url.startswith(f"{ORIGIN}/annotations/{annotation.id}")
        public = annotation.visibility == "Public"
        assert ("?token=" in url) == (public and annotation.dataset_id in linked)
        assert annotation.dataset_link_missing == (public and annotation.dataset_id not in linked)
