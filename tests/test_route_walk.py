"""Walk every registered route (API, data and web pages) as each actor of spec/permissions.md and assert the EXACT
status of every (route, walker) cell.

Two worlds are walked, in one database:
- "private": a private dataset (allowed team a1, with a sharing link) and a Private annotation on it;
- "open": a public dataset (allowed team a1) and a Public annotation shared with team a1, which every walker CAN
  read, so that a missing write check answers 200/204 instead of 403 rather than hiding behind the read 404.
Every request carries a valid body, so a 422 can never pass for a denial.

A route without a row in EXPECTED (or a request body in BODIES, for POST/PUT/PATCH) fails the walk, naming the
route: a new route must say who may use it.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import zarr
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.factories import build_world, logged_in_client
from voxelhub.accounts import api_tokens
from voxelhub.accounts import service as accounts
from voxelhub.accounts.models import User
from voxelhub.accounts.service import TeamAssignment
from voxelhub.annotations import service as annotations
from voxelhub.annotations import versions
from voxelhub.annotations.models import Annotation
from voxelhub.annotations.volume import service as volume_service
from voxelhub.datasets import service as datasets
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM
from voxelhub.settings import Settings
from voxelhub.sharing import service as sharing
from voxelhub.sharing import short_links

# The actors of spec/permissions.md. "owner" owns the annotations and is a member of team a1 (so "team_manager",
# manager of a1, manages a team of the owner's); "team_member" is in a1, the datasets' allowed team.
WALKERS = (
    "anonymous",
    "link_holder",
    "outsider",
    "member",
    "team_member",
    "team_manager",
    "dataset_manager",
    "admin",
    "owner",
)
USER_OF = {
    "outsider": "member_b",
    "member": "member_a",
    "team_member": "team_a",
    "team_manager": "tm_a",
    "dataset_manager": "dsm_a",
    "admin": "admin_a",
    "owner": "owner_a",
}
WORLDS = ("private", "open")
EXCLUDED_PREFIXES = ("/api/openapi.json", "/api/docs", "/docs/", "/static", "/viewer")


def row(private: str, open_: str | None = None) -> dict[str, tuple[int, ...]]:
    """Statuses in WALKERS order, for the private world and (if different) the open world."""

    def parse(text: str) -> tuple[int, ...]:
        statuses = tuple(int(s) for s in text.split())
        assert len(statuses) == len(WALKERS), text
        return statuses

    return {"private": parse(private), "open": parse(open_ or private)}


def every(status: int) -> dict[str, tuple[int, ...]]:
    return row(" ".join([str(status)] * len(WALKERS)))


def logged_in(ok: int, denied: int = 401) -> dict[str, tuple[int, ...]]:
    return row(" ".join([str(denied)] * 2 + [str(ok)] * (len(WALKERS) - 2)))


def admin_only(ok: int) -> dict[str, tuple[int, ...]]:
    #            anon link out  mem  team tm   dsm  adm  own
    return row(f"401  401  403  403  403  403  403  {ok}  403")


def dataset_editors(ok: int) -> dict[str, tuple[int, ...]]:
    #              anon link out  mem  team tm    dsm   adm   own
    return row(
        f"  404  401  404  404  403  {ok}  {ok}  {ok}  403",
        f"  401  401  403  403  403  {ok}  {ok}  {ok}  403",
    )


def dataset_readers(ok: int) -> dict[str, tuple[int, ...]]:
    #              anon link  out  mem  team  tm    dsm   adm   own
    return row(f"  404  {ok}  404  404  {ok}  {ok}  {ok}  {ok}  {ok}", " ".join([str(ok)] * len(WALKERS)))


def annotation_readers(ok: int) -> dict[str, tuple[int, ...]]:
    # A Private annotation: its owner, the managers of the owner's teams and the organization's admins.
    #              anon link out  mem  team tm    dsm  adm   own
    return row(f"  404  404  404  404  404  {ok}  404  {ok}  {ok}", " ".join([str(ok)] * len(WALKERS)))


def annotation_owner(ok: int) -> dict[str, tuple[int, ...]]:
    #              anon link out  mem  team tm   dsm  adm  own
    return row(
        f"  404  404  404  404  404  403  404  403  {ok}", f"  401  401  403  403  403  403  403  403  {ok}"
    )


EXPECTED: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {
    ("GET", "/api/buildinfo"): every(200),
    ("GET", "/api/health"): every(200),
    ("POST", "/api/auth/login"): every(401),  # wrong password in this walk
    ("POST", "/api/auth/logout"): every(204),
    ("GET", "/api/user"): logged_in(200),
    ("GET", "/api/auth/token"): logged_in(200),
    ("POST", "/api/auth/token"): logged_in(200),  # one's own default token, replaced
    ("DELETE", "/api/auth/token"): logged_in(204),
    ("GET", "/api/auth/tokens"): logged_in(200),
    ("POST", "/api/auth/tokens"): logged_in(201),
    #                                                 anon link out  mem  team tm   dsm  adm  own
    ("DELETE", "/api/auth/tokens/{token_id}"): row(
        "401  401  404  404  404  404  404  404  204"
    ),  # the owner's
    ("PUT", "/api/auth/password"): logged_in(403),  # a wrong old password in this walk
    ("GET", "/api/users"): admin_only(200),
    ("POST", "/api/users"): admin_only(201),
    #                                      anon link out  mem  team tm   dsm  adm  own
    ("GET", "/api/users/{user_id}"): row(
        "401  401  404  404  404  404  404  200  200"
    ),  # the owner's profile
    ("PATCH", "/api/users/{user_id}"): row("401  401  404  404  404  404  404  200  403"),
    ("GET", "/api/teams"): logged_in(200),
    ("POST", "/api/teams"): admin_only(201),
    ("DELETE", "/api/teams/{team_id}"): row("401  401  404  403  403  403  403  204  403"),
    ("GET", "/api/datasets"): every(200),  # a list, filtered (tests/test_policy_property.py)
    ("GET", "/api/datasets/disambiguate/{organization}/{name}/toId"): dataset_readers(200),
    ("POST", "/api/datasets/upload"): row("401  401  403  403  403  403  201  201  403"),
    ("GET", "/api/datasets/{dataset_id}"): dataset_readers(200),
    ("PATCH", "/api/datasets/{dataset_id}"): dataset_editors(200),
    ("PATCH", "/api/datasets/{dataset_id}/teams"): dataset_editors(200),
    ("GET", "/api/spotlight"): every(200),
    # Any logged-in member of the dataset's organization who may read it.
    ("GET", "/api/datasets/{dataset_id}/sharingToken"): row(
        "404  401  404  404  200  200  200  200  200", "401  401  403  200  200  200  200  200  200"
    ),
    ("POST", "/api/datasets/{dataset_id}/sharingToken"): row(
        "404  401  404  404  200  200  200  200  200", "401  401  403  200  200  200  200  200  200"
    ),
    ("DELETE", "/api/datasets/{dataset_id}/sharingToken"): dataset_editors(204),
    ("GET", "/api/datasets/{dataset_id}/shareLinks"): dataset_editors(200),
    ("POST", "/api/datasets/{dataset_id}/shareLinks"): dataset_editors(201),
    ("DELETE", "/api/datasets/{dataset_id}/shareLinks/{link_id}"): dataset_editors(204),
    ("GET", "/api/datasets/{dataset_id}/auditLog"): dataset_editors(200),
    ("POST", "/api/shortLinks"): logged_in(201),
    ("GET", "/api/shortLinks/byKey/{key}"): every(200),
    ("GET", "/links/{key}"): every(302),
    # Any logged-in user who may read the dataset; without a login: 401.
    ("POST", "/api/annotations"): row(
        "401  401  404  404  201  201  201  201  201", "401  401  201  201  201  201  201  201  201"
    ),
    ("GET", "/api/annotations/readable"): logged_in(200),
    ("GET", "/api/annotations/{annotation_id}/info"): annotation_readers(200),
    ("PATCH", "/api/annotations/{annotation_id}"): annotation_owner(200),
    ("GET", "/api/annotations/{annotation_id}/sharedTeams"): annotation_owner(200),
    ("PATCH", "/api/annotations/{annotation_id}/sharedTeams"): annotation_owner(200),
    ("DELETE", "/api/annotations/{annotation_id}"): row(
        "404  404  404  404  404  403  404  204  204", "401  401  403  403  403  403  403  204  204"
    ),
    ("GET", "/api/annotations/{annotation_id}/skeleton"): annotation_readers(200),
    ("POST", "/api/annotations/{annotation_id}/updates"): annotation_owner(200),
    ("GET", "/api/annotations/{annotation_id}/history"): annotation_readers(200),
    ("POST", "/api/annotations/{annotation_id}/restore"): annotation_owner(200),
    # Copy to my account: any logged-in user who may read the annotation and its dataset.
    ("POST", "/api/annotations/{annotation_id}/duplicate"): row(
        "404  404  404  404  404  201  404  201  201", "401  401  201  201  201  201  201  201  201"
    ),
    ("GET", "/api/annotations/{annotation_id}/download"): annotation_readers(200),
    ("POST", "/api/annotations/upload"): row(
        "401  401  404  404  200  200  200  200  200", "401  401  200  200  200  200  200  200  200"
    ),
    ("POST", "/api/annotations/{annotation_id}/volumes"): annotation_owner(201),
    ("POST", "/api/annotations/{annotation_id}/layers/{layer}/buckets"): annotation_owner(200),
    ("PUT", "/api/annotations/{annotation_id}/layers/{layer}/segments"): annotation_owner(200),
    ("POST", "/data/annotations/{annotation_id}/layers/{layer}/buckets"): annotation_readers(200),
    (
        "GET",
        "/data/annotations/{annotation_id}/layers/{layer}/segments/{segment_id}/mesh",
    ): annotation_readers(200),
    ("GET", "/data/datasets/{dataset_id}/layers/{layer}/data"): dataset_readers(200),
    ("POST", "/data/datasets/{dataset_id}/layers/{layer}/buckets"): dataset_readers(200),
    ("GET", "/api/datasets/{dataset_id}/layers/{layer}/thumbnail"): dataset_readers(200),
    ("GET", "/data/datasets/{dataset_id}/layers/{layer}/segments/{segment_id}/mesh"): dataset_readers(200),
    ("GET", "/data/zarr/{dataset_id}/{key:path}"): dataset_readers(200),
    ("HEAD", "/data/zarr/{dataset_id}/{key:path}"): dataset_readers(200),
    ("GET", "/data/s/{share_token}/zarr/{dataset_id}/{key:path}"): every(200),  # the token is in the path
    ("HEAD", "/data/s/{share_token}/zarr/{dataset_id}/{key:path}"): every(200),
    ("OPTIONS", "/data/zarr/{rest:path}"): every(204),  # CORS preflight: no data
    ("OPTIONS", "/data/s/{share_token}/zarr/{rest:path}"): every(204),
    # The same view with transposes folded (for Neuroglancer): the same rules.
    ("GET", "/data/zarr-c/{dataset_id}/{key:path}"): dataset_readers(200),
    ("HEAD", "/data/zarr-c/{dataset_id}/{key:path}"): dataset_readers(200),
    ("GET", "/data/s/{share_token}/zarr-c/{dataset_id}/{key:path}"): every(200),
    ("HEAD", "/data/s/{share_token}/zarr-c/{dataset_id}/{key:path}"): every(200),
    ("OPTIONS", "/data/zarr-c/{rest:path}"): every(204),
    ("OPTIONS", "/data/s/{share_token}/zarr-c/{rest:path}"): every(204),
    # Web pages.
    ("GET", "/"): every(200),
    ("GET", "/spotlight"): every(200),
    ("GET", "/auth/login"): logged_in(303, denied=200),  # a logged-in visitor goes on to the dashboard
    ("GET", "/dashboard"): logged_in(200, denied=303),  # the others go to the login page
    ("GET", "/datasets/{slug}/settings"): dataset_editors(200),
    ("GET", "/datasets/{slug}/view"): dataset_readers(200),
    ("GET", "/annotations/{annotation_id}"): annotation_readers(200),
}
# Walked after every other route of both worlds, since they remove what the others use; logging out goes last.
DESTRUCTIVE = (
    ("DELETE", "/api/annotations/{annotation_id}"),
    ("DELETE", "/api/datasets/{dataset_id}/sharingToken"),
)
LOGOUT = ("POST", "/api/auth/logout")


def _flat_routes(app):  # type: ignore[no-untyped-def]
    """(path, methods) of every route, including those of included routers (newer FastAPI wraps them)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                inner = getattr(context, "starlette_route", None)
                if inner is not None and getattr(inner, "methods", None):  # plain Starlette routes (zarr)
                    yield inner.path, set(inner.methods)
                else:
                    yield context.path, set(context.methods or ())
        elif getattr(route, "methods", None):
            yield route.path, set(route.methods)


def registered_routes(app) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    found = []
    for path, methods in _flat_routes(app):
        if path.startswith(EXCLUDED_PREFIXES):
            continue
        implicit_head = {"HEAD"} if "GET" in methods and "zarr" not in path else set()
        for method in sorted(methods - implicit_head):
            found.append((method, path))
    assert len(found) > 50, f"the route walk found only {len(found)} routes: it must see them all"
    return list(dict.fromkeys(found))


def test_every_route_has_expectations(app) -> None:
    routes = registered_routes(app)
    missing = [f"{m} {p}" for m, p in routes if (m, p) not in EXPECTED]
    assert not missing, f"routes without a row in EXPECTED of tests/test_route_walk.py: {missing}"
    stale = [f"{m} {p}" for m, p in EXPECTED if (m, p) not in routes]
    assert not stale, f"rows in EXPECTED of tests/test_route_walk.py for routes that no longer exist: {stale}"
    no_body = [f"{m} {p}" for m, p in routes if m in ("POST", "PUT", "PATCH") and (m, p) not in BODIES]
    assert not no_body, (
        f"routes without a valid request body in BODIES of tests/test_route_walk.py: {no_body}"
    )


# ---- the world ---------------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def walk_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small EM-like dataset with color and segmentation layers, made here (no fixture files needed)."""
    return build_synthetic(tmp_path_factory.mktemp("walk") / "walk-em", size=(32, 32, 16), seed=5)


@pytest.fixture(scope="session")
def walk_dataset_zip(walk_dataset: Path) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for file in sorted(walk_dataset.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(walk_dataset).as_posix())
    return out.getvalue()


@dataclass
class Walk:
    users: dict[str, str]  # role -> email
    ids: dict[str, dict[str, str]]  # world -> placeholder -> value
    dataset_zip: bytes
    factory: sessionmaker[Session]

    def version_of(self, annotation_id: str) -> int:
        with transaction(self.factory) as session:
            annotation = session.get(Annotation, annotation_id)
            return annotation.version if annotation is not None else 0


def build_walk(factory: sessionmaker[Session], settings: Settings, folder: Path, dataset_zip: bytes) -> Walk:
    accounts_world = build_world(factory)
    with transaction(factory) as session:
        org_a = accounts_world.org_ids["a"]
        a1 = accounts_world.team_ids["a1"]
        accounts.create_user(
            session=session,
            actor=SYSTEM,
            organization_id=org_a,
            email="owner@a.org",
            password="correct horse battery",
            first_name="owner",
            last_name="a",
            teams=[TeamAssignment(a1)],
        )
        accounts_world.users["owner_a"] = "owner@a.org"
    ids = {}
    for world in WORLDS:
        with transaction(factory) as session:
            ids[world] = _build_objects(session, settings, accounts_world, folder, world)
            ids[world]["user_id"] = accounts_world.user_id(session, "owner_a")
            ids[world]["segment_id"] = str(zarr.open_array(str(folder / "segmentation" / "1"))[0, 16, 16, 8])
    return Walk(users=accounts_world.users, ids=ids, dataset_zip=dataset_zip, factory=factory)


def _build_objects(
    session: Session, settings: Settings, world: Any, folder: Path, name: str
) -> dict[str, str]:
    org_a, a1 = world.org_ids["a"], world.team_ids["a1"]
    dataset = datasets.register_folder(
        session=session, actor=SYSTEM, organization_id=org_a, location_url=str(folder), name=f"walk-{name}"
    )
    dataset.is_public = name == "open"
    datasets.set_allowed_teams(session=session, actor=SYSTEM, dataset_id=dataset.id, team_ids=[a1])
    admin, owner = world.actor(session, "admin_a"), world.actor(session, "owner_a")
    token = sharing.get_or_create_default_link(session=session, actor=admin, dataset=dataset).token
    spare_link = sharing.create_named_link(
        session=session, actor=admin, dataset=dataset, name="spare", expires_at=None
    )
    annotation = annotations.create(session=session, actor=owner, dataset_id=dataset.id, name=f"walk {name}")
    versions.initialise(session=session, annotation=annotation, settings=settings)
    volume_service.add_layer(session=session, settings=settings, actor=owner, annotation_id=annotation.id)
    if name == "open":
        annotations.update(session=session, actor=owner, annotation_id=annotation.id, visibility="Public")
        annotations.set_shared_teams(session=session, actor=owner, annotation_id=annotation.id, team_ids=[a1])
    else:
        annotations.update(session=session, actor=owner, annotation_id=annotation.id, visibility="Private")
    spare_team = accounts.create_team(
        session=session, actor=SYSTEM, organization_id=org_a, name=f"spare {name}"
    )
    owner_token = api_tokens.create_named_token(
        session=session, user=session.get(User, owner.user.user_id), name=f"walk {name}"
    )
    short = short_links.create(
        session=session, actor=owner, long_link="/dashboard", server_origin="http://127.0.0.1"
    )
    return {
        "world": name,
        "dataset_id": dataset.id,
        "annotation_id": annotation.id,
        "share_token": token,
        "link_id": spare_link.id,
        "team_id": spare_team.id,
        "organization": "org-a",
        "name": dataset.name,
        "slug": f"{dataset.name}-{dataset.id}",
        "short_key": short.key,
        "a1": a1,
        "token_id": owner_token.row.id,
        "shared_teams": a1 if name == "open" else "",
    }


# ---- requests ----------------------------------------------------------------------------------------------

Body = Callable[[Walk, dict[str, str]], dict[str, Any]]  # -> keyword arguments of client.request

MINIMAL_NML = b'<things><parameters><experiment name="walk"/></parameters></things>'
BUCKETS = {"mag": [1, 1, 1], "buckets": [[0, 0, 0]]}


def _json(value: Any) -> Body:
    return lambda walk, ids: {"json": value}


BODIES: dict[tuple[str, str], Body] = {
    ("POST", "/api/auth/login"): _json({"email": "admin@a.org", "password": "wrong-pass"}),
    ("POST", "/api/auth/logout"): _json(None),
    ("POST", "/api/auth/token"): _json(None),
    ("POST", "/api/auth/tokens"): lambda w, ids: {"json": {"name": f"walked {ids['world']}"}},
    ("PUT", "/api/auth/password"): _json(
        {"oldPassword": "not the password", "newPassword": "a new long password"}
    ),
    ("POST", "/api/datasets/{dataset_id}/sharingToken"): _json(None),
    ("POST", "/api/users"): lambda w, ids: {
        "json": {"email": f"new-{ids['world']}@a.org", "password": "long enough pw"}
    },
    ("PATCH", "/api/users/{user_id}"): _json({"firstName": "Walked"}),
    ("POST", "/api/teams"): lambda w, ids: {"json": {"name": f"walked {ids['world']}"}},
    ("POST", "/api/datasets/upload"): lambda w, ids: {
        "files": {"file": ("walked.zip", w.dataset_zip, "application/zip")},
        "data": {"name": f"walked-{ids['world']}"},
    },
    ("PATCH", "/api/datasets/{dataset_id}"): _json({"description": "walked"}),
    ("PATCH", "/api/datasets/{dataset_id}/teams"): lambda w, ids: {"json": [ids["a1"]]},
    ("POST", "/api/datasets/{dataset_id}/shareLinks"): _json({"name": "walked"}),
    ("POST", "/api/shortLinks"): _json({"longLink": "/dashboard"}),
    ("POST", "/api/annotations"): lambda w, ids: {"json": {"datasetId": ids["dataset_id"], "name": "walked"}},
    ("PATCH", "/api/annotations/{annotation_id}"): _json({"name": "walked"}),
    ("PATCH", "/api/annotations/{annotation_id}/sharedTeams"): lambda w, ids: {
        "json": [t for t in [ids["shared_teams"]] if t]
    },  # as they are: valid for a private one too
    ("POST", "/api/annotations/{annotation_id}/updates"): lambda w, ids: {
        "json": {"version": w.version_of(ids["annotation_id"]), "actions": []}
    },
    ("POST", "/api/annotations/{annotation_id}/duplicate"): _json(None),
    ("POST", "/api/annotations/{annotation_id}/restore"): _json({"version": 0}),
    ("POST", "/api/annotations/upload"): lambda w, ids: {
        "files": {"walk.nml": ("walk.nml", MINIMAL_NML, "application/xml")},
        "data": {"datasetId": ids["dataset_id"]},
    },
    ("POST", "/api/annotations/{annotation_id}/volumes"): _json({"name": "Walked"}),
    ("POST", "/api/annotations/{annotation_id}/layers/{layer}/buckets"): lambda w, ids: {
        "json": {"version": w.version_of(ids["annotation_id"]), "buckets": []}
    },
    ("PUT", "/api/annotations/{annotation_id}/layers/{layer}/segments"): _json([{"id": 1, "name": "walked"}]),
    ("POST", "/data/annotations/{annotation_id}/layers/{layer}/buckets"): _json(BUCKETS),
    ("POST", "/data/datasets/{dataset_id}/layers/{layer}/buckets"): _json(BUCKETS),
}
QUERIES = {
    ("GET", "/data/datasets/{dataset_id}/layers/{layer}/data"): {
        "x": 0,
        "y": 0,
        "z": 0,
        "width": 2,
        "height": 2,
        "depth": 2,
    },
}


def fill(path: str, ids: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "layer":
            if "/segments/" in path and path.startswith("/data/datasets"):
                return "segmentation"
            return "Volume" if path.startswith(("/api/annotations", "/data/annotations")) else "color"
        if name == "key":
            return "color/1/zarr.json" if "zarr" in path else ids["short_key"]
        if name == "rest":
            return "color/1/zarr.json"
        return ids[name]

    return re.sub(r"\{(\w+)(?::path)?\}", value, path)


def _client(app, walk: Walk, walker: str) -> TestClient:  # type: ignore[no-untyped-def]
    if walker in USER_OF:
        return logged_in_client(app, walk.users[USER_OF[walker]])
    return TestClient(app, base_url="http://127.0.0.1")


def _plan(routes: list[tuple[str, str]]) -> list[tuple[str, tuple[str, str]]]:
    """(world, route) in walking order: every harmless route in both worlds, then the destructive ones, then logout."""
    harmless = [r for r in routes if r not in DESTRUCTIVE and r != LOGOUT]
    plan = [(world, r) for world in WORLDS for r in harmless]
    plan += [(world, r) for world in WORLDS for r in DESTRUCTIVE if r in routes]
    return plan + [("open", LOGOUT)]


@pytest.mark.parametrize("walker", WALKERS)
def test_walk_all_routes(app, session_factory, settings, walk_dataset, walk_dataset_zip, walker: str) -> None:
    walk = build_walk(session_factory, settings, walk_dataset, walk_dataset_zip)
    client = _client(app, walk, walker)
    column = WALKERS.index(walker)
    wrong = []
    for world, (method, path) in _plan(registered_routes(app)):
        expected = EXPECTED.get((method, path))
        if expected is None:
            pytest.fail(
                f"{method} {path} has no row in EXPECTED of tests/test_route_walk.py: say who may use it"
            )
        ids = walk.ids[world]
        body = BODIES.get((method, path))
        if method in ("POST", "PUT", "PATCH") and body is None:
            pytest.fail(f"{method} {path} has no request body in BODIES of tests/test_route_walk.py")
        kwargs = body(walk, ids) if body else {}
        params = dict(QUERIES.get((method, path), {}))
        if walker == "link_holder":
            params["token"] = ids["share_token"]
        answer = client.request(method, fill(path, ids), params=params, follow_redirects=False, **kwargs)
        if answer.status_code != expected[world][column]:
            wrong.append(
                f"{world} {method} {path}: expected {expected[world][column]}, got {answer.status_code} "
                f"{answer.text[:120]!r}"
            )
    assert not wrong, f"{walker}:\n" + "\n".join(wrong)
