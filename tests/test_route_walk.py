"""Walk every registered route as anonymous, outsider, member and link holder against PRIVATE objects
(a private dataset with a sharing link, a private annotation) and check that only the actors in this table
get a success. A route missing from the table fails the test, so every new route must say who may use it."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.annotations.world import build_annotation_world
from tests.factories import logged_in_client
from voxelhub.db import transaction

ACTORS = ("anonymous", "outsider", "member", "link_holder")
PUBLIC_ROUTES = frozenset(ACTORS)
LOGGED_IN = frozenset({"outsider", "member"})
NOBODY: frozenset[str] = frozenset()

# (method, path) -> actors that may succeed on a PRIVATE dataset / private annotation of another user.
ROUTE_TABLE: dict[tuple[str, str], frozenset[str]] = {
    ("GET", "/api/buildinfo"): PUBLIC_ROUTES,
    ("POST", "/api/auth/login"): NOBODY,  # wrong credentials in this walk
    ("POST", "/api/auth/logout"): PUBLIC_ROUTES,
    ("GET", "/api/user"): LOGGED_IN,
    ("GET", "/api/auth/token"): LOGGED_IN,
    ("POST", "/api/auth/token"): LOGGED_IN,  # one's own token only
    ("DELETE", "/api/auth/token"): LOGGED_IN,
    ("GET", "/api/auth/tokens"): LOGGED_IN,
    ("POST", "/api/auth/tokens"): LOGGED_IN,
    ("DELETE", "/api/auth/tokens/{token_id}"): NOBODY,  # the admin's token: nobody else's to end
    ("PUT", "/api/auth/password"): NOBODY,  # wrong old password in this walk
    ("GET", "/api/users"): NOBODY,
    ("POST", "/api/users"): NOBODY,
    ("GET", "/api/users/{user_id}"): NOBODY,
    ("PATCH", "/api/users/{user_id}"): NOBODY,
    ("GET", "/api/teams"): LOGGED_IN,
    ("POST", "/api/teams"): NOBODY,
    ("DELETE", "/api/teams/{team_id}"): NOBODY,
    ("GET", "/api/datasets"): PUBLIC_ROUTES,  # a list, filtered (checked elsewhere)
    ("GET", "/api/datasets/disambiguate/{organization}/{name}/toId"): frozenset({"link_holder"}),
    ("GET", "/api/datasets/{dataset_id}"): frozenset({"link_holder"}),
    ("PATCH", "/api/datasets/{dataset_id}"): NOBODY,
    ("POST", "/api/datasets/upload"): NOBODY,  # admins and dataset managers only (none walks here)
    ("PATCH", "/api/datasets/{dataset_id}/teams"): NOBODY,
    ("GET", "/api/spotlight"): PUBLIC_ROUTES,
    ("GET", "/api/datasets/{dataset_id}/sharingToken"): NOBODY,
    ("POST", "/api/datasets/{dataset_id}/sharingToken"): NOBODY,
    ("DELETE", "/api/datasets/{dataset_id}/sharingToken"): NOBODY,
    ("GET", "/api/datasets/{dataset_id}/shareLinks"): NOBODY,
    ("POST", "/api/datasets/{dataset_id}/shareLinks"): NOBODY,
    ("DELETE", "/api/datasets/{dataset_id}/shareLinks/{link_id}"): NOBODY,
    ("GET", "/api/datasets/{dataset_id}/auditLog"): NOBODY,
    ("POST", "/api/shortLinks"): LOGGED_IN,
    ("GET", "/api/shortLinks/byKey/{key}"): NOBODY,  # unknown key in this walk
    ("GET", "/links/{key}"): NOBODY,
    ("POST", "/api/annotations"): NOBODY,  # on the private dataset: only a logged-in reader
    ("GET", "/api/annotations/readable"): LOGGED_IN,
    ("GET", "/api/annotations/{annotation_id}/info"): NOBODY,
    ("PATCH", "/api/annotations/{annotation_id}"): NOBODY,
    ("GET", "/api/annotations/{annotation_id}/sharedTeams"): NOBODY,
    ("PATCH", "/api/annotations/{annotation_id}/sharedTeams"): NOBODY,
    ("DELETE", "/api/annotations/{annotation_id}"): NOBODY,
    ("GET", "/api/annotations/{annotation_id}/skeleton"): NOBODY,
    ("POST", "/api/annotations/{annotation_id}/updates"): NOBODY,
    ("GET", "/api/annotations/{annotation_id}/history"): NOBODY,
    ("POST", "/api/annotations/{annotation_id}/duplicate"): NOBODY,
    ("GET", "/api/annotations/{annotation_id}/download"): NOBODY,
    ("POST", "/api/annotations/upload"): NOBODY,  # no file in this walk; anonymous: 401
    ("POST", "/api/annotations/{annotation_id}/volumes"): NOBODY,
    ("POST", "/api/annotations/{annotation_id}/layers/{layer}/buckets"): NOBODY,
    ("PUT", "/api/annotations/{annotation_id}/layers/{layer}/segments"): NOBODY,
    ("POST", "/data/annotations/{annotation_id}/layers/{layer}/buckets"): NOBODY,
    ("GET", "/data/datasets/{dataset_id}/layers/{layer}/data"): frozenset({"link_holder"}),
    ("POST", "/data/datasets/{dataset_id}/layers/{layer}/buckets"): frozenset({"link_holder"}),
    ("GET", "/api/datasets/{dataset_id}/layers/{layer}/thumbnail"): frozenset({"link_holder"}),
    ("GET", "/data/zarr/{dataset_id}/{key:path}"): frozenset({"link_holder"}),
    ("HEAD", "/data/zarr/{dataset_id}/{key:path}"): frozenset({"link_holder"}),
    ("GET", "/data/s/{share_token}/zarr/{dataset_id}/{key:path}"): PUBLIC_ROUTES,  # the token is in the path
    ("HEAD", "/data/s/{share_token}/zarr/{dataset_id}/{key:path}"): PUBLIC_ROUTES,
    ("OPTIONS", "/data/zarr/{rest:path}"): PUBLIC_ROUTES,  # CORS preflight: no data
    ("OPTIONS", "/data/s/{share_token}/zarr/{rest:path}"): PUBLIC_ROUTES,
}
EXCLUDED_PREFIXES = ("/api/openapi.json", "/api/docs", "/static")


def _flat_routes(app):  # type: ignore[no-untyped-def]
    """(path, methods) of every route, including those of included routers (newer FastAPI wraps them)."""
    for route in app.routes:
        if hasattr(route, "effective_route_contexts"):
            for context in route.effective_route_contexts():
                plain = getattr(context, "starlette_route", None)
                if not context.path and plain is not None:  # a plain Starlette route (the zarr routes)
                    yield plain.path, set(plain.methods or ())
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
    assert len(found) > 40, f"the route walk found only {len(found)} routes: it must see them all"
    return found


def test_every_route_is_in_the_table(app) -> None:
    missing = [r for r in registered_routes(app) if r not in ROUTE_TABLE and not _is_page(r)]
    assert not missing, f"routes without an access row in tests/test_route_walk.py: {missing}"


def _is_page(route: tuple[str, str]) -> bool:
    return route[0] == "GET" and not route[1].startswith(("/api/", "/data/", "/links/"))


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: ids.get(m.group(1), "x"), path)


@pytest.mark.parametrize("actor", ACTORS)
def test_walk_all_routes(app, session_factory, actor: str) -> None:
    world = build_annotation_world(session_factory)
    with transaction(session_factory) as session:
        admin_id = world.accounts.user_id(session, "admin_a")
        _make_real(session, world.dataset_id)
    admin = logged_in_client(app, world.accounts.users["admin_a"])
    token = admin.get(f"/api/datasets/{world.dataset_id}/sharingToken").json()["sharingToken"]
    link_id = admin.get(f"/api/datasets/{world.dataset_id}/shareLinks").json()[0]["id"]
    admin_token_id = admin.post("/api/auth/tokens", json={"name": "walk"}).json()["id"]
    ids = {
        "dataset_id": world.dataset_id, "annotation_id": world.annotation_ids["Private"],
        "user_id": admin_id, "token_id": admin_token_id,
        "team_id": world.accounts.team_ids["a1"], "link_id": link_id, "organization": "org-a",
        "name": "l4-sample", "key": "color/1/zarr.json", "layer": "color", "share_token": token, "rest": "x",
    }
    client = _client(app, world, actor, token)
    bodies = {
        "/api/auth/login": {"email": "admin@a.org", "password": "wrong-pass"},
        "/api/shortLinks": {"longLink": "/x"},
        "/data/datasets/{dataset_id}/layers/{layer}/buckets": {"mag": [1, 1, 1], "buckets": [[0, 0, 0]]},
        "/data/annotations/{annotation_id}/layers/{layer}/buckets": {"mag": [1, 1, 1], "buckets": [[0, 0, 0]]},
        "/api/annotations/{annotation_id}/volumes": {"name": "v"},
        "/api/annotations": {"datasetId": world.dataset_id, "name": "x"},
        "/api/users": {"email": "new@a.org", "password": "long enough pw"},
        "/api/teams": {"name": "x"},
        "/api/auth/tokens": {"name": "x"},
        ("PUT", "/api/auth/password"): {"oldPassword": "wrong-pass", "newPassword": "long enough pw"},
        "/api/datasets/{dataset_id}/shareLinks": {"name": "x"},
        "/api/annotations/{annotation_id}/updates": {"version": 0, "actions": []},
        ("PATCH", "/api/datasets/{dataset_id}"): {"isPublic": True},
        ("PATCH", "/api/annotations/{annotation_id}"): {"name": "x"},
        ("PATCH", "/api/users/{user_id}"): {"isAdmin": True},
    }
    # Logging out ends the walker's session, so it goes last.
    routes = sorted(registered_routes(app), key=lambda r: r == ("POST", "/api/auth/logout"))
    for method, path in routes:
        if _is_page((method, path)) and (method, path) not in ROUTE_TABLE:
            continue
        url = fill(path, ids)
        body = bodies.get((method, path), bodies.get(path) if method == "POST" else None)
        if path.endswith(("/teams", "/sharedTeams")) and method == "PATCH":
            body = [world.accounts.team_ids["a1"]]
        query = {"x": 0, "y": 0, "z": 0, "width": 2, "height": 2, "depth": 2} if url.endswith("/data") else {}
        answer = client.request(method, url, json=body, params=query, follow_redirects=False)
        allowed = actor in ROUTE_TABLE[(method, path)]
        if allowed:
            assert answer.status_code < 400, (actor, method, path, answer.status_code, answer.text[:200])
        else:
            assert answer.status_code >= 400, (actor, method, path, answer.status_code, answer.text[:200])


def _make_real(session, dataset_id: str) -> None:  # type: ignore[no-untyped-def]
    """Point the walk's private dataset at a real fixture folder, so data routes have voxels to refuse."""
    from tests.datasets.helpers import SIMPLE_ZARR3
    from voxelhub.datasets.layout import scan_dataset
    from voxelhub.datasets.models import Dataset
    from voxelhub.storage import open_location

    dataset = session.get(Dataset, dataset_id)
    dataset.location = str(SIMPLE_ZARR3)
    dataset.data_source = scan_dataset(open_location(str(SIMPLE_ZARR3))).to_wk_json()


def _client(app, world, actor: str, token: str) -> TestClient:  # type: ignore[no-untyped-def]
    if actor == "outsider":
        return logged_in_client(app, world.accounts.users["member_b"])
    if actor == "member":
        return logged_in_client(app, world.accounts.users["member_a"])
    client = TestClient(app, base_url="http://127.0.0.1")
    if actor == "link_holder":
        client.params = {"token": token}
    return client
