"""Secrets stay out of the access log and out of caches.

The access log decodes a query the way the app does before redacting, so any spelling the app accepts as a
token is redacted. Every answer that carries a secret (a CSRF or API token, a sharing token, a share link or a
short link key's target) says `Cache-Control: no-store`: the walk below calls every GET route and every route
that hands out a secret, and checks each answer in which a known secret shows up."""

from __future__ import annotations

import logging
import re

import pytest
from fastapi.testclient import TestClient

from tests.annotations.world import build_annotation_world
from tests.factories import PASSWORD, logged_in_client
from tests.test_route_walk import registered_routes
from voxelhub.api.access_log import redacted_target

SECRET = "Zq9secretTOKENvalue_0123456789ab"


def _is_page(route: tuple[str, str]) -> bool:
    return route[0] == "GET" and not route[1].startswith(("/api/", "/data/", "/links/"))


def fill(path: str, ids: dict[str, str]) -> str:
    """The route with its parameters from `ids` ("x" for one this walk has no object for)."""
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: ids.get(m.group(1), "x"), path)


@pytest.mark.parametrize(
    "query",
    [
        f"token={SECRET}",
        f"%74oken={SECRET}",
        f"%74%6Fken={SECRET}",
        f"%2574oken={SECRET}",
        f"sharingToken={SECRET}",
        f"sharing%54oken={SECRET}",
        f"x=1&token=abcd&token={SECRET}",
        f"token={SECRET}&token=abcd",
        f"a=1;token={SECRET}",
        f"x=1&TOKEN={SECRET}",
        f"next=/datasets/x/view%3Ftoken%3D{SECRET}",
        f"next=/datasets/x/view?token={SECRET}",
        f"token={SECRET[:10]}%20{SECRET[10:]}",
        f"token=%{SECRET}",
    ],
)
def test_the_log_never_shows_a_token_in_any_spelling(query: str) -> None:
    line = redacted_target("/api/datasets/x", query)
    assert SECRET not in line and SECRET[4:14] not in line, line


@pytest.mark.parametrize(
    "path",
    [
        f"/data/s/{SECRET}/zarr/x/color/1/zarr.json",
        f"/data/v15/s/{SECRET}/zarr/x/.zattrs",
        f"/links/{SECRET}",
        f"/api/shortLinks/byKey/{SECRET}",
        f"/datasets/x/view%3Ftoken={SECRET}",
        f"/data%2Fs%2F{SECRET}/zarr",
    ],
)
def test_the_log_never_shows_a_token_in_a_path(path: str) -> None:
    line = redacted_target(path, "")
    assert SECRET not in line and SECRET[4:14] not in line, line


def test_other_parameters_are_logged_readably() -> None:
    assert redacted_target("/data/datasets/x/layers/color/data", "mag=1-1-1&x=0&width=2") == (
        "/data/datasets/x/layers/color/data?mag=1-1-1&x=0&width=2"
    )
    assert redacted_target("/api/datasets/x", f"%74oken={SECRET}") == "/api/datasets/x?token=Zq9s***"


def test_tokens_the_app_accepts_are_redacted_in_the_served_log(app, session_factory, caplog) -> None:
    """End to end: each spelling is accepted by the app as a token (200 on a private dataset) and the
    log line of that very request holds no secret, nor the API token sent in X-Auth-Token."""
    world = build_annotation_world(session_factory)
    admin = logged_in_client(app, world.accounts.users["admin_a"])
    token = admin.get(f"/api/datasets/{world.dataset_id}/sharingToken").json()["sharingToken"]
    api_token = admin.get("/api/auth/token").json()["token"]
    caplog.set_level(logging.INFO, logger="voxelhub.access")
    anonymous = TestClient(app, base_url="http://127.0.0.1")
    ds = f"/api/datasets/{world.dataset_id}"
    for url in (
        f"{ds}?%74oken={token}",
        f"{ds}?x=1&token=wrong&token={token}",
        f"{ds}?sharing%54oken={token}",
        f"/api/v16/datasets/{world.dataset_id}?token={token}",
    ):
        assert anonymous.get(url).status_code == 200, url
    assert anonymous.get(ds, headers={"X-Auth-Token": api_token}).status_code == 200
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name == "voxelhub.access")
    assert logged.count(world.dataset_id) >= 5
    assert token not in logged and token[4:] not in logged and api_token not in logged


def test_answers_that_carry_a_secret_are_not_stored(app, session_factory) -> None:
    world = build_annotation_world(session_factory)
    owner_email, admin_email = world.accounts.users["team_a"], world.accounts.users["admin_a"]
    admin, owner = logged_in_client(app, admin_email), logged_in_client(app, owner_email)
    ds = f"/api/datasets/{world.dataset_id}"
    sharing_token = admin.get(f"{ds}/sharingToken").json()["sharingToken"]
    view = f"/datasets/l4-sample-{world.dataset_id}/view?token={sharing_token}"
    public = owner.post("/api/annotations", json={"datasetId": world.dataset_id}).json()["id"]
    handed_out = {
        ("POST", "/api/auth/login"): TestClient(app, base_url="http://127.0.0.1").post(
            "/api/auth/login", json={"email": admin_email, "password": PASSWORD}
        ),
        ("GET", "/api/auth/token"): admin.get("/api/auth/token"),
        ("POST", "/api/auth/token"): admin.post("/api/auth/token"),
        ("POST", "/api/auth/tokens"): admin.post("/api/auth/tokens", json={"name": "walk"}),
        ("POST", "/api/datasets/{dataset_id}/shareLinks"): admin.post(f"{ds}/shareLinks", json={"name": "r"}),
        ("POST", "/api/shortLinks"): owner.post("/api/shortLinks", json={"longLink": view}),
        ("PATCH", "/api/annotations/{annotation_id}"): owner.patch(
            f"/api/annotations/{public}", json={"visibility": "Public"}
        ),
    }
    short_key = handed_out[("POST", "/api/shortLinks")].json()["key"]
    secrets = {
        sharing_token,
        short_key,
        handed_out[("POST", "/api/auth/token")].json()["token"],
        handed_out[("GET", "/api/auth/token")].json()["token"],
        handed_out[("POST", "/api/auth/tokens")].json()["token"],
        handed_out[("POST", "/api/datasets/{dataset_id}/shareLinks")].json()["token"],
        handed_out[("POST", "/api/auth/login")].json()["csrfToken"],
        owner.headers["X-CSRF-Token"],
    }
    ids = {
        "dataset_id": world.dataset_id,
        "annotation_id": public,
        "key": short_key,
        "layer": "color",
        "organization": "org-a",
        "name": "l4-sample",
        "share_token": sharing_token,
    }
    walked = dict(handed_out)
    for method, path in registered_routes(app):
        if method == "GET" and not _is_page((method, path)):
            for client in (admin, owner):
                walked[(method, f"{path} as {client is owner and 'owner' or 'admin'}")] = client.get(
                    fill(path, ids), follow_redirects=False
                )
    carrying = set()
    for (method, path), answer in walked.items():
        shown = answer.text + answer.headers.get("location", "")
        if answer.status_code < 400 and any(secret in shown for secret in secrets):
            carrying.add((method, path))
            assert answer.headers.get("cache-control") == "no-store", (method, path)
    assert set(handed_out) <= carrying
    for expected in (
        "/api/datasets/{dataset_id}/sharingToken as admin",
        "/api/datasets/{dataset_id}/shareLinks as admin",
        "/api/shortLinks/byKey/{key} as owner",
        "/links/{key} as owner",
        "/api/annotations/{annotation_id}/info as owner",
        "/api/annotations/readable as owner",
    ):
        assert ("GET", expected) in carrying, expected
