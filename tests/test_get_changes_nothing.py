"""Issue 11, hole 12: no GET (and no HEAD) changes state. The dashboard's `GET /api/annotations/readable` and
`GET …/info` re-created a dataset sharing link right after an editor revoked it, recorded in the audit log as
the reader's act. This walks every GET route of the OpenAPI schema and every page, as the annotation's owner
(a team member who reads the dataset), as an editor of the dataset and anonymously, over a world where the
dataset's sharing link was just revoked, and checks that the database and the volume files are unchanged."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, inspect, select, text
from sqlalchemy.orm import Session, sessionmaker

from tests.datasets.helpers import register_folder
from tests.factories import build_world, logged_in_client
from tests.test_route_walk import registered_routes
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.db import transaction
from voxelhub.sharing.models import AuditEvent, ShareLink

# Bookkeeping that a read may update by design, not state a user changes: failed logins and share-token
# guesses (rate limits), and the use counts, visits and times of share links (`sharing.usage`) and of credentials.
BOOKKEEPING_TABLES = frozenset({"login_failures", "alembic_version", "share_link_visits"})
BOOKKEEPING_COLUMNS = frozenset({"use_count", "first_used_at", "last_used_at", "last_seen_at"})
# The one documented exception: webKnossos creates a dataset's sharing link on an EDITOR's
# `GET /api/datasets/{id}/sharingToken` when there is none, and its Python client relies on it.
# `test_only_an_editors_get_of_the_sharing_token_creates_a_link` checks it is the only one.
EDITOR_CREATES = "/api/datasets/{dataset_id}/sharingToken"
ZARR_ROUTES = ("/data/zarr/{dataset_id}/{key:path}", "/data/s/{share_token}/zarr/{dataset_id}/{key:path}")
QUERY_VALUES = {"x": 0, "y": 0, "z": 0, "width": 2, "height": 2, "depth": 2, "mag": "1-1-1"}


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "synthetic-em", size=(64, 64, 64))


@pytest.fixture
def revoked_world(app, session_factory, synthetic):  # type: ignore[no-untyped-def]
    """A private dataset whose sharing link an editor has just revoked; a public annotation with a painted
    volume layer on it, owned by a team member and shared with a team; a named link and a short link."""
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic)
    admin = logged_in_client(app, world.users["admin_a"])
    admin.patch(f"/api/datasets/{dataset_id}/teams", json=[world.team_ids["a1"]])
    admin.get(f"/api/datasets/{dataset_id}/sharingToken")
    named = admin.post(f"/api/datasets/{dataset_id}/shareLinks", json={"name": "reviewer"}).json()
    owner = logged_in_client(app, world.users["team_a"])
    info = owner.post(
        "/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]}
    ).json()
    base = f"/api/annotations/{info['id']}"
    voxels = base64.b64encode(np.full((32, 32, 32), 7, dtype="<u4").tobytes(order="F")).decode()
    painted = owner.post(
        f"{base}/layers/Volume/buckets",
        json={"version": 0, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": voxels}]},
    )
    assert painted.status_code == 200, painted.text
    owner.patch(base, json={"visibility": "Public"})
    owner.patch(f"{base}/sharedTeams", json=[world.team_ids["a2"]])
    key = owner.post("/api/shortLinks", json={"longLink": f"/annotations/{info['id']}"}).json()["key"]
    editor = logged_in_client(app, world.users["tm_a"])
    assert editor.delete(f"/api/datasets/{dataset_id}/sharingToken").status_code == 204
    clients = {"owner": owner, "editor": editor, "anonymous": TestClient(app, base_url="http://127.0.0.1")}
    for client in (owner, editor):  # an API token exists already: its first GET creates it (api.md)
        assert client.get("/api/auth/token").status_code == 200
    with transaction(session_factory) as session:
        user_id = world.user_id(session, "team_a")
    ids = {
        "dataset_id": dataset_id,
        "user_id": user_id,
        "annotation_id": info["id"],
        "team_id": world.team_ids["a1"],
        "link_id": named["id"],
        "share_token": named["token"],
        "organization": "org-a",
        "name": "synthetic-em",
        "short_key": key,
        "slug": f"synthetic-em-{dataset_id}",
        "rest": "x",
        "full_path": "x",
    }
    return world, ids, clients


def database_state(factory: sessionmaker[Session]) -> dict[str, list[tuple[str, ...]]]:
    """Every row of every table (bookkeeping left out), as sorted text, to compare before and after."""
    with factory() as session:
        tables = inspect(session.get_bind()).get_table_names()
        state = {}
        for table in sorted(set(tables) - BOOKKEEPING_TABLES):
            rows = session.execute(text(f'SELECT * FROM "{table}"')).mappings().all()
            state[table] = sorted(
                tuple(f"{k}={v!r}" for k, v in row.items() if k not in BOOKKEEPING_COLUMNS) for row in rows
            )
        return state


def volume_files(settings) -> set[tuple[str, int]]:  # type: ignore[no-untyped-def]
    root = settings.volumes_dir
    return {(str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*") if p.is_file()}


def get_routes(app) -> list[tuple[str, list[str]]]:  # type: ignore[no-untyped-def]
    """(path, required query parameters) of every GET in the OpenAPI schema, plus the pages (not in it)."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if "get" in operations:
            required = [
                p["name"]
                for p in operations["get"].get("parameters", [])
                if p.get("in") == "query" and p.get("required")
            ]
            found.append((path, required))
    assert len(found) > 20, "the walk must see every GET route of the schema"
    known = {path for path, _ in found}
    # Routes outside the schema: the pages and the zarr streaming routes.
    others = {path for method, path in registered_routes(app) if method == "GET"}
    assert set(ZARR_ROUTES) <= others, "the route listing must see the plain Starlette routes too"
    return found + [(path, []) for path in sorted(others - known)]


def fill(path: str, ids: dict[str, str]) -> str:
    values = dict(
        ids,
        key="segmentation/1/zarr.json" if "zarr" in path else ids["short_key"],
        layer="Volume" if path.startswith("/data/annotations/") else "segmentation",
        segment_id="7",
    )
    return re.sub(r"\{(\w+)(?::path)?\}", lambda m: values[m.group(1)], path)


def walk(client: TestClient, app, ids: dict[str, str], skip: frozenset[str] = frozenset()) -> list[Any]:  # type: ignore[no-untyped-def]
    answers = []
    for path, required in get_routes(app):
        if path in skip:
            continue
        url = fill(path, ids)
        params = {name: QUERY_VALUES.get(name, "x") for name in required}
        variants = [{}, {"scope": "shared"}] if path.endswith("/readable") else [{}]
        for extra in variants:
            for method in ("GET", "HEAD"):
                answer = client.request(method, url, params={**params, **extra}, follow_redirects=False)
                assert answer.status_code < 500, (method, url, answer.status_code, answer.text[:300])
                answers.append((method, url, answer.status_code))
    return answers


@pytest.mark.parametrize("who", ["owner", "editor", "anonymous"])
def test_no_get_or_head_changes_anything(app, settings, session_factory, revoked_world, who: str) -> None:
    world, ids, clients = revoked_world
    client = clients[who]
    app.state.usage_recorder.flush()
    before, files_before = database_state(session_factory), volume_files(settings)
    answers = walk(client, app, ids, skip=frozenset({EDITOR_CREATES}) if who == "editor" else frozenset())
    app.state.usage_recorder.flush()
    after = database_state(session_factory)
    changed = {
        table: (set(after[table]) ^ set(before.get(table, [])))
        for table in after
        if after[table] != before.get(table)
    }
    assert not changed, f"GET/HEAD changed the database as {who}: {changed}"
    assert volume_files(settings) == files_before
    assert (
        any(url.endswith("/readable") and status == 200 for _, url, status in answers) or who == "anonymous"
    )


def test_the_dashboard_does_not_undo_a_revocation(app, session_factory, revoked_world) -> None:
    """The scenario of the issue, step by step: the owner's dashboard and Share dialog after the revocation."""
    world, ids, clients = revoked_world
    owner = clients["owner"]
    listed = owner.get("/api/annotations/readable").json()
    info = owner.get(f"/api/annotations/{ids['annotation_id']}/info").json()
    for seen in [*listed, info]:
        assert "?token=" not in seen["sharingUrl"] and seen["datasetLinkMissing"] is True
    assert owner.get(f"/api/datasets/{ids['dataset_id']}/sharingToken").status_code == 404
    with transaction(session_factory) as session:
        active = session.scalars(
            select(ShareLink).where(ShareLink.is_default, ShareLink.revoked_at.is_(None))
        )
        assert list(active) == []
        assert [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.at))][
            -1
        ] == "link_revoked"
    # Asking explicitly (the Share dialog's Save does) makes a new link, recorded as the owner's act.
    created = owner.post(f"/api/datasets/{ids['dataset_id']}/sharingToken")
    assert created.status_code == 200
    token = created.json()["sharingToken"]
    info = owner.get(f"/api/annotations/{ids['annotation_id']}/info").json()
    assert info["sharingUrl"].endswith(f"?token={token}") and info["datasetLinkMissing"] is False


def test_only_an_editors_get_of_the_sharing_token_creates_a_link(app, session_factory, revoked_world) -> None:
    world, ids, clients = revoked_world
    url = f"/api/datasets/{ids['dataset_id']}/sharingToken"
    assert clients["owner"].get(url).status_code == 404  # a reader's GET: no link, none made
    assert clients["anonymous"].get(url).status_code == 404
    first = clients["editor"].get(url)
    assert first.status_code == 200
    assert clients["owner"].get(url).json() == first.json() == clients["editor"].get(url).json()
    with transaction(session_factory) as session:
        events = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.at))]
    assert events.count("link_created") == 3  # the first default link, the named one, and this one


def test_the_annotation_info_and_listings_send_selects_only(app, revoked_world) -> None:
    """Statement by statement, not only the rows after: `GET …/info` and both tabs of `GET /api/annotations/readable`
    send nothing but SELECTs (no INSERT of a link or an audit row, no UPDATE, not even one undone later), as the
    owner of a public annotation whose dataset's link was just revoked (where the link used to be re-created),
    and as an editor of that dataset."""
    world, ids, clients = revoked_world
    sent: list[str] = []

    def record(_conn, _cursor, statement: str, *_args) -> None:  # type: ignore[no-untyped-def]
        sent.append(statement)

    reads = [
        (f"/api/annotations/{ids['annotation_id']}/info", {}),
        ("/api/annotations/readable", {}),
        ("/api/annotations/readable", {"scope": "shared"}),
    ]
    event.listen(app.state.engine, "before_cursor_execute", record)
    try:
        for who in ("owner", "editor"):
            for url, params in reads:
                answer = clients[who].get(url, params=params)
                assert answer.status_code == 200, (who, url, answer.text[:300])
    finally:
        event.remove(app.state.engine, "before_cursor_execute", record)
    assert sent, "the listener must see the statements of the requests"
    assert [s for s in sent if not s.lstrip().upper().startswith("SELECT")] == []
