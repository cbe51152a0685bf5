"""`policy.can(actor, READ, obj)` and the SQL listing filters agree exactly, on random worlds.

Each example builds a world in the database — organizations, teams, users with roles and team memberships
(some managing), datasets public or private with allowed teams, annotations of every visibility (and an unknown
one, which must be denied everywhere) shared with teams — and checks, for every actor (anonymous, a link holder,
each user, each user holding a link), that the dataset listing, the readable-annotations listing and the "Shared
Annotations" listing hold exactly the objects `can` lets that actor read (share tokens never list anything).
The public gallery holds exactly the public datasets. The example's rows are rolled back afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from voxelhub.accounts.models import Organization, Team, TeamMembership, User
from voxelhub.accounts.service import principal_for
from voxelhub.annotations import service as annotations
from voxelhub.annotations.models import Annotation, AnnotationSharedTeam
from voxelhub.datasets import service as datasets
from voxelhub.datasets.access import read_facts
from voxelhub.datasets.models import Dataset, DatasetAllowedTeam
from voxelhub.ids import new_id
from voxelhub.policy import ANONYMOUS, Action, Actor, ShareGrant, can, readable_annotations, readable_datasets

VISIBILITIES = ("Private", "Internal", "Public", "Secret")  # "Secret": unknown, so denied


@dataclass(frozen=True)
class Plan:
    orgs: int
    teams: list[int]  # team -> org
    users: list[tuple[int, bool, bool, dict[int, bool]]]  # org, admin, dataset manager, {team: is manager}
    datasets: list[tuple[int, bool, frozenset[int]]]  # org, public, allowed teams
    annotations: list[tuple[int, int, str, frozenset[int]]]  # owner, dataset, visibility, shared teams


@st.composite
def plans(draw: st.DrawFn) -> Plan:
    orgs = draw(st.integers(1, 2))
    teams = draw(st.lists(st.integers(0, orgs - 1), max_size=4))

    def teams_of(org: int) -> list[int]:
        return [t for t, o in enumerate(teams) if o == org]

    users = []
    for _ in range(draw(st.integers(1, 5))):
        org = draw(st.integers(0, orgs - 1))
        member_of = draw(st.lists(st.sampled_from(teams_of(org)), unique=True)) if teams_of(org) else []
        users.append(
            (org, draw(st.booleans()), draw(st.booleans()), {t: draw(st.booleans()) for t in member_of})
        )
    found = []
    for _ in range(draw(st.integers(0, 4))):
        org = draw(st.integers(0, orgs - 1))
        allowed = draw(st.frozensets(st.sampled_from(teams_of(org)))) if teams_of(org) else frozenset()
        found.append((org, draw(st.booleans()), allowed))
    notes = []
    for _ in range(draw(st.integers(0, 6)) if found else 0):
        owner = draw(st.integers(0, len(users) - 1))
        org_teams = teams_of(users[owner][0])
        shared = draw(st.frozensets(st.sampled_from(org_teams))) if org_teams else frozenset()
        notes.append(
            (owner, draw(st.integers(0, len(found) - 1)), draw(st.sampled_from(VISIBILITIES)), shared)
        )
    return Plan(orgs=orgs, teams=teams, users=users, datasets=found, annotations=notes)


def build(session: Session, plan: Plan) -> tuple[list[User], list[Dataset], list[Annotation]]:
    orgs = [Organization(id=new_id(), name=f"org-{i}-{new_id()[:8]}") for i in range(plan.orgs)]
    teams = [
        Team(id=new_id(), organization_id=orgs[o].id, name=f"team {t}") for t, o in enumerate(plan.teams)
    ]
    session.add_all(orgs + teams)
    users = []
    for i, (org, admin, manager, member_of) in enumerate(plan.users):
        user = User(
            id=new_id(),
            organization_id=orgs[org].id,
            email=f"u{i}-{new_id()}@x.org",
            password_hash="-",
            is_admin=admin,
            is_dataset_manager=manager,
        )
        user.memberships = [
            TeamMembership(team_id=teams[t].id, is_team_manager=m) for t, m in member_of.items()
        ]
        users.append(user)
    found = []
    for i, (org, public, allowed) in enumerate(plan.datasets):
        dataset = Dataset(
            id=new_id(), organization_id=orgs[org].id, name=f"d{i}", location="/nowhere", is_public=public
        )
        dataset.allowed_team_links = [DatasetAllowedTeam(team_id=teams[t].id) for t in allowed]
        found.append(dataset)
    notes = []
    for owner, dataset, visibility, shared in plan.annotations:
        annotation = Annotation(
            id=new_id(),
            organization_id=users[owner].organization_id,
            owner_id=users[owner].id,
            dataset_id=found[dataset].id,
            visibility=visibility,
            volume_layers=[],
        )
        annotation.shared_team_links = [AnnotationSharedTeam(team_id=teams[t].id) for t in shared]
        notes.append(annotation)
    session.add_all(users + found + notes)
    session.flush()
    return users, found, notes


def ids(session: Session, stmt) -> set[str]:  # type: ignore[no-untyped-def]
    return set(session.scalars(stmt))


def check_actor(session: Session, actor: Actor, found: list[Dataset], notes: list[Annotation]) -> None:
    readable = {d.id for d in found if can(actor, Action.READ, d)}
    listed = ids(session, readable_datasets(select(Dataset.id), actor))
    assert listed == readable, ("datasets", actor)
    assert {d.id for d in datasets.list_readable(session=session, actor=actor)} == readable
    for dataset in found:  # the data routes decide on DatasetFacts by the same rule
        assert can(actor, Action.READ, read_facts(session, dataset.id)) == (dataset.id in readable)
    readable_notes = {a.id for a in notes if can(actor, Action.READ, a)}
    assert ids(session, readable_annotations(select(Annotation.id), actor)) == readable_notes, (
        "annotations",
        actor,
    )
    if actor.user is None:
        return
    user = actor.user
    shared = {
        a.id
        for a in notes
        if a.id in readable_notes
        and a.visibility in ("Internal", "Public")
        and a.shared_team_ids & user.team_ids
        and a.owner_id != user.user_id
    }
    assert {a.id for a in annotations.list_shared(session=session, actor=actor)} == shared, ("shared", actor)


def check_links_never_list(session: Session, actor: Actor, found: list[Dataset]) -> None:
    """A share token grants reading its dataset, but never makes it show up in a list."""
    holder = actor.with_grants(tuple(ShareGrant("dataset", d.id, link_id="l") for d in found))
    assert all(can(holder, Action.READ, d) for d in found)
    assert ids(session, readable_datasets(select(Dataset.id), holder)) == ids(
        session, readable_datasets(select(Dataset.id), actor)
    )


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(plan=plans())
def test_can_read_agrees_with_the_listings(session_factory: sessionmaker[Session], plan: Plan) -> None:
    session = session_factory()
    try:
        users, found, notes = build(session, plan)
        gallery = {d.id for d in datasets.list_public(session=session)}
        assert (
            gallery
            == {d.id for d in found if can(ANONYMOUS, Action.LIST_PUBLIC, d)}
            == {d.id for d in found if d.is_public}
        )
        actors = [ANONYMOUS] + [Actor(user=principal_for(u)) for u in users]
        for actor in actors:
            check_actor(session, actor, found, notes)
            check_links_never_list(session, actor, found)
    finally:
        session.rollback()
        session.close()
