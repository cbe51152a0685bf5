"""Issue 16: HTML error pages for every page address (JSON stays for `/api` and `/data`), `/spotlight`, and
what a browser is told when it opens a sharing link that was revoked or has expired."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.factories import logged_in_client
from tests.sharing.world import build_dataset_world
from voxelhub.api.errors import NOT_FOUND_MESSAGE
from voxelhub.ids import new_secret_token


def test_unknown_page_addresses_answer_an_html_404_with_a_way_home_and_to_log_in(client) -> None:
    for path in ("/no-such-page", "/datasets/nothing/here/at/all", "/links/noSuchKey0", "/static/no-such.js"):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.headers["content-type"].startswith("text/html"), path
        assert 'href="/"' in answer.text and "data-login-link" in answer.text, path
        assert "/auth/login?next=" in answer.text


def test_api_and_data_keep_their_json_404(client) -> None:
    for path in (
        "/api/no-such-route",
        "/data/no-such-route",
        "/api",
        "/data/datasets/x/layers/y/data?mag=1-1-1&x=0&y=0&z=0&width=1&height=1&depth=1",
        "/api/v9/no-such-route",
    ):
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.json() == {"error": NOT_FOUND_MESSAGE}, path


def test_the_404_page_shows_who_is_logged_in(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    client = logged_in_client(app, world.accounts.users["member_a"])
    answer = client.get("/no-such-page")
    assert answer.status_code == 404
    assert 'id="logout-button"' in answer.text and "data-login-link" not in answer.text
    assert 'href="/dashboard"' in answer.text


def test_the_login_link_keeps_the_query_but_never_a_share_token(client) -> None:
    token = new_secret_token()
    answer = client.get(f"/no-such-page?mode=x&token={token}")
    assert "/auth/login?next=/no-such-page%3Fmode%3Dx" in answer.text
    assert token not in answer.text


def test_spotlight_shows_the_public_gallery(app, session_factory) -> None:
    build_dataset_world(session_factory, is_public=True)
    answer = TestClient(app).get("/spotlight")
    assert answer.status_code == 200
    assert 'id="gallery"' in answer.text and "fly-brain" in answer.text


def _view(client: TestClient, dataset_id: str, token: str):  # type: ignore[no-untyped-def]
    return client.get(f"/datasets/fly-brain-{dataset_id}/view", params={"token": token})


def test_a_revoked_link_says_so_and_whom_to_ask(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    answer = _view(TestClient(app), world.dataset_id, world.tokens["revoked"])
    assert answer.status_code == 404
    assert "This link was revoked" in answer.text
    assert "Ask the person who sent you the link" in answer.text
    assert "fly-brain" not in answer.text.replace(f"fly-brain-{world.dataset_id}", "")  # only what was asked
    # It still grants nothing: the data and the API stay closed.
    api = TestClient(app).get(f"/api/datasets/{world.dataset_id}", params={"token": world.tokens["revoked"]})
    assert api.status_code == 404 and api.json() == {"error": NOT_FOUND_MESSAGE}


def test_an_expired_link_says_when_it_expired(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    answer = _view(TestClient(app), world.dataset_id, world.tokens["expired"])
    assert answer.status_code == 404
    assert "This link expired on " in answer.text and "UTC" in answer.text
    assert "Ask the person who sent you the link" in answer.text


def test_an_unknown_token_gets_the_plain_not_found_page(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    client = TestClient(app)
    unknown = _view(client, world.dataset_id, new_secret_token())
    missing = client.get("/datasets/fly-brain-000000000000000000000000/view")
    assert unknown.status_code == missing.status_code == 404
    assert "revoked" not in unknown.text and "expired" not in unknown.text
    assert unknown.text.replace(world.dataset_id, "ID") == missing.text.replace(
        "000000000000000000000000", "ID"
    )


def test_a_revoked_link_reads_the_same_on_a_hidden_and_a_missing_dataset(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    client = TestClient(app)
    hidden = _view(client, world.dataset_id, world.tokens["revoked"])
    missing = _view(client, "000000000000000000000000", world.tokens["revoked"])
    assert hidden.text.replace(world.dataset_id, "ID") == missing.text.replace(
        "000000000000000000000000", "ID"
    )


def test_past_the_guess_limit_a_page_answers_429(app, session_factory, settings) -> None:
    world = build_dataset_world(session_factory)
    client = TestClient(app)
    for _ in range(settings.token_guess_max_per_address):
        _view(client, world.dataset_id, new_secret_token())
    answer = _view(client, world.dataset_id, new_secret_token())
    assert answer.status_code == 429 and "Retry-After" in answer.headers
    assert answer.headers["content-type"].startswith("text/html")
    # The holder of a revoked link is told the same: past the limit nothing is looked up for a page.
    revoked = _view(client, world.dataset_id, world.tokens["revoked"])
    assert revoked.status_code == 404 and "This link was revoked" in revoked.text
