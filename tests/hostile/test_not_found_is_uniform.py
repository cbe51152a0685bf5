"""Issue 11, hole 8: a 404 never tells "exists, but hidden from you" from "does not exist".

For each kind of object, the full answer (status, body, headers but the date) to an object that exists but is
hidden from the caller is compared byte for byte with the answer for one that does not exist, on the JSON
routes and the HTML pages. A page may echo the path the visitor asked for (the login link): the id asked for is
replaced by a placeholder before comparing, since the visitor chose it.
"""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from tests.annotations.world import build_annotation_world
from tests.factories import logged_in_client
from tests.sharing.world import add_link, build_dataset_world, register_dataset
from voxelhub.db import transaction
from voxelhub.ids import new_id
from voxelhub.sharing.models import ShareLink, ShortLink

MISSING = new_id()


def _answer(client: TestClient, method: str, url: str, id_: str, **kwargs) -> tuple:  # type: ignore[no-untyped-def]
    response = client.request(method, url.replace("{id}", id_), follow_redirects=False, **kwargs)
    headers = sorted((k, v.replace(id_, "ID")) for k, v in response.headers.items() if k.lower() != "date")
    return response.status_code, response.content.replace(id_.encode(), b"ID"), headers


def assert_same_404(
    client: TestClient, method: str, url: str, hidden: str, missing: str = MISSING, **kwargs
) -> None:  # type: ignore[no-untyped-def]
    seen = _answer(client, method, url, hidden, **kwargs)
    assert seen[0] == 404, (method, url, seen)
    assert seen == _answer(client, method, url, missing, **kwargs), (method, url)


DATASET_JSON = [
    ("GET", "/api/datasets/{id}"),
    ("PATCH", "/api/datasets/{id}"),
    ("GET", "/api/datasets/{id}/sharingToken"),
    ("DELETE", "/api/datasets/{id}/sharingToken"),
    ("GET", "/api/datasets/{id}/shareLinks"),
    ("POST", "/api/datasets/{id}/shareLinks"),
    ("GET", "/api/datasets/{id}/auditLog"),
    ("PATCH", "/api/datasets/{id}/teams"),
    ("GET", "/api/datasets/{id}/layers/color/thumbnail"),
    ("GET", "/data/datasets/{id}/layers/color/data?mag=1-1-1&x=0&y=0&z=0&width=1&height=1&depth=1"),
    ("GET", "/data/zarr/{id}/datasource-properties.json"),
    ("GET", "/api/v9/datasets/{id}"),
]
BODIES = {
    "PATCH /api/datasets/{id}": {"description": "x"},
    "POST /api/datasets/{id}/shareLinks": {"name": "x"},
    "PATCH /api/datasets/{id}/teams": [],
}


def test_datasets_hidden_and_missing_answer_alike(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    hidden = world.dataset_id
    for client in (TestClient(app, base_url="http://127.0.0.1"), logged_in_client(app, "admin@b.org")):
        for method, url in DATASET_JSON:
            assert_same_404(client, method, url, hidden, json=BODIES.get(f"{method} {url}"))
        for page in ("/datasets/fly-brain-{id}/view", "/datasets/fly-brain-{id}/settings"):
            assert_same_404(client, "GET", page, hidden)


def test_creating_an_annotation_on_a_hidden_dataset_answers_like_a_missing_one(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    outsider = logged_in_client(app, "admin@b.org")
    answers = [
        outsider.post("/api/annotations", json={"datasetId": ds, "layers": ["skeleton"]})
        for ds in (world.dataset_id, MISSING)
    ]
    assert answers[0].status_code == 404
    assert answers[0].content == answers[1].content and answers[0].headers.get("content-type") == answers[
        1
    ].headers.get("content-type")


def test_disambiguate_by_name_answers_alike(app, session_factory) -> None:
    build_dataset_world(session_factory)
    for client in (TestClient(app, base_url="http://127.0.0.1"), logged_in_client(app, "admin@b.org")):
        assert_same_404(
            client, "GET", "/api/datasets/disambiguate/org-a/{id}/toId", "fly-brain", "no-such-set"
        )
        assert_same_404(
            client, "GET", "/api/datasets/disambiguate/{id}/fly-brain/toId", "org-a", "no-such-org"
        )


def test_share_links_of_another_dataset_answer_like_missing_ones(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    with transaction(session_factory) as session:
        other = register_dataset(session, world.accounts.org_ids["a"], "other")
        add_link(session, other, world.accounts.org_ids["a"], "named")
        foreign_link = session.scalar(select(ShareLink.id).where(ShareLink.object_id == other))
    admin = logged_in_client(app, "admin@a.org")
    url = f"/api/datasets/{world.dataset_id}/shareLinks/{{id}}"
    assert_same_404(admin, "DELETE", url, foreign_link)


ANNOTATION_JSON = [
    ("GET", "/api/annotations/{id}/info"),
    ("PATCH", "/api/annotations/{id}"),
    ("GET", "/api/annotations/{id}/sharedTeams"),
    ("PATCH", "/api/annotations/{id}/sharedTeams"),
    ("GET", "/api/annotations/{id}/skeleton"),
    ("GET", "/api/annotations/{id}/download"),
    ("POST", "/api/annotations/{id}/duplicate"),
    ("DELETE", "/api/annotations/{id}"),
    ("POST", "/api/annotations/{id}/updates"),
]
ANNOTATION_BODIES = {
    "PATCH /api/annotations/{id}": {"name": "x"},
    "PATCH /api/annotations/{id}/sharedTeams": [],
    "POST /api/annotations/{id}/updates": {"version": 0, "actions": []},
}


def test_annotations_hidden_and_missing_answer_alike(app, session_factory) -> None:
    world = build_annotation_world(session_factory)
    hidden = world.annotation_ids["Internal"]  # readable inside org A only
    for client in (TestClient(app, base_url="http://127.0.0.1"), logged_in_client(app, "admin@b.org")):
        for method, url in ANNOTATION_JSON:
            assert_same_404(client, method, url, hidden, json=ANNOTATION_BODIES.get(f"{method} {url}"))
        assert_same_404(client, "GET", "/annotations/{id}", hidden)


def test_users_and_teams_of_another_organization_answer_like_missing_ones(app, session_factory) -> None:
    world = build_dataset_world(session_factory).accounts
    with transaction(session_factory) as session:
        user_a = world.user_id(session, "member_a")
    admin_b = logged_in_client(app, "admin@b.org")
    assert_same_404(admin_b, "GET", "/api/users/{id}", user_a)
    assert_same_404(admin_b, "PATCH", "/api/users/{id}", user_a, json={"firstName": "x"})
    assert_same_404(admin_b, "DELETE", "/api/teams/{id}", world.team_ids["a1"])


NML = """<things><parameters><experiment name="{name}" organization="{org}"/><scale x="1" y="1" z="1"/>
</parameters><thing id="1" name="t"><nodes><node id="1" x="1" y="2" z="3"/></nodes><edges/></thing></things>"""


def test_the_dataset_an_uploaded_nml_names_answers_alike_hidden_or_missing(app, session_factory) -> None:
    build_dataset_world(session_factory)
    outsider = logged_in_client(app, "admin@b.org")

    def upload(name: str, org: str = "org-a", **data: str):  # type: ignore[no-untyped-def]
        files = {"file": ("x.nml", NML.format(name=name, org=org).encode())}
        return outsider.post("/api/annotations/upload", files=files, data=data)

    for hidden, missing in (
        (upload("fly-brain"), upload("no-such-set")),
        (upload("fly-brain"), upload("fly-brain", org="no-such-org")),
    ):
        assert hidden.status_code == 404, hidden.text
        assert (hidden.content, hidden.headers.get("content-type")) == (
            missing.content,
            missing.headers.get("content-type"),
        )


def test_short_links_answer_alike_missing_or_no_longer_pointing_here(app, session_factory, client) -> None:
    with transaction(session_factory) as session:
        # A target stored under an older rule (or another public URL) that no longer passes.
        session.add(ShortLink(key="oldEvilKey", long_link="https://evil.example/phish", created_by=None))
    for url in ("/links/{id}", "/api/shortLinks/byKey/{id}"):
        assert_same_404(client, "GET", url, "oldEvilKey", "noSuchKey0")


def test_unknown_routes_answer_like_missing_objects(client) -> None:
    assert (
        _answer(client, "GET", "/api/no-such-route/{id}", MISSING)[1:]
        == _answer(client, "GET", "/api/datasets/{id}", MISSING)[1:]
    )


def test_html_404_pages_answer_alike_with_or_without_a_revoked_link(app, session_factory) -> None:
    """Issue 16: the page for a revoked or expired link names no object, so it reads the same for a hidden
    dataset and a missing one; an unknown page address gets the same page as a missing dataset."""
    world = build_dataset_world(session_factory)
    for client in (TestClient(app, base_url="http://127.0.0.1"), logged_in_client(app, "admin@b.org")):
        for state in ("revoked", "expired"):
            client.params = {"token": world.tokens[state]}
            assert_same_404(client, "GET", "/datasets/fly-brain-{id}/view", world.dataset_id)
        client.params = {}
        assert_same_404(client, "GET", "/datasets/fly-brain-{id}/view", world.dataset_id)
        assert_same_404(client, "GET", "/no-such-page/{id}", world.dataset_id)
        page = _answer(client, "GET", "/no-such-page/{id}", MISSING)
        dataset = _answer(client, "GET", "/datasets/fly-brain-{id}/view", MISSING)

        def headers(answer: tuple) -> list:  # type: ignore[type-arg]
            return [h for h in answer[2] if h[0] != "content-length"]  # the paths differ in length

        assert page[0] == dataset[0] == 404 and headers(page) == headers(dataset)
        assert page[1].replace(b"no-such-page/ID", b"X") == dataset[1].replace(
            b"datasets/fly-brain-ID/view", b"X"
        )
