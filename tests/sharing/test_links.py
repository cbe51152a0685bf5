"""The life of sharing links: an explicit request (or an editor's GET) creates, revoke kills at once, named links with expiry and usage,
the audit log, the gallery, short links, token guessing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient

from tests.sharing.world import build_dataset_world, client_for


def anon(app, **params) -> TestClient:  # type: ignore[no-untyped-def]
    client = TestClient(app, base_url="http://127.0.0.1")
    client.params = params
    return client


def test_sharing_token_is_created_once_and_revocation_takes_effect_on_the_next_request(
    app, session_factory
) -> None:
    world = build_dataset_world(session_factory)
    member = client_for(app, world, "team_member")
    ds = f"/api/datasets/{world.dataset_id}"
    first = member.get(f"{ds}/sharingToken").json()["sharingToken"]
    assert member.get(f"{ds}/sharingToken").json()["sharingToken"] == first
    assert len(first) >= 22  # >= 128 random bits, url-safe base64
    assert anon(app, token=first).get(ds).status_code == 200
    assert anon(app, sharingToken=first).get(ds).status_code == 200
    assert TestClient(app, headers={"X-Share-Token": first}).get(ds).status_code == 200
    assert TestClient(app, headers={"X-Auth-Token": first}).get(ds).status_code == 200
    assert client_for(app, world, "team_manager").delete(f"{ds}/sharingToken").status_code == 204
    assert anon(app, token=first).get(ds).status_code == 404
    # A GET never changes anything: a reader's GET finds no link now; an explicit POST makes a new one.
    assert member.get(f"{ds}/sharingToken").status_code == 404
    second = member.post(f"{ds}/sharingToken").json()["sharingToken"]
    assert second != first
    assert member.post(f"{ds}/sharingToken").json()["sharingToken"] == second
    assert member.get(f"{ds}/sharingToken").json()["sharingToken"] == second
    assert anon(app, token=second).get(ds).status_code == 200
    # An editor's GET creates one when there is none, as webKnossos does (its client relies on it).
    editor = client_for(app, world, "team_manager")
    assert editor.delete(f"{ds}/sharingToken").status_code == 204
    third = editor.get(f"{ds}/sharingToken").json()["sharingToken"]
    assert third not in (first, second) and anon(app, token=third).get(ds).status_code == 200


def test_a_token_never_lists_a_dataset_and_never_grants_editing(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    holder = anon(app, token=world.tokens["valid"])
    assert holder.get("/api/datasets").json() == []
    assert holder.get("/api/spotlight").json() == []
    assert holder.patch(f"/api/datasets/{world.dataset_id}", json={"isPublic": True}).status_code == 401


def test_expired_or_revoked_token_never_blocks_a_user_with_access_of_their_own(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    for state in ("revoked", "expired"):
        member = client_for(app, world, "team_member")
        assert member.get(ds, params={"token": world.tokens[state]}).status_code == 200
        outsider = client_for(app, world, "outsider")
        assert outsider.get(ds, params={"token": world.tokens[state]}).status_code == 404
    # ... and a valid token lets a logged-in outsider read (but not edit).
    outsider = client_for(app, world, "outsider")
    assert outsider.get(ds, params={"token": world.tokens["valid"]}).status_code == 200
    assert (
        outsider.patch(ds, params={"token": world.tokens["valid"]}, json={"description": "x"}).status_code
        == 403
    )


def test_named_links_expire_are_revoked_alone_and_show_their_use(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    editor = client_for(app, world, "dataset_manager")
    ds = f"/api/datasets/{world.dataset_id}"
    soon = (datetime.now(UTC) + timedelta(days=7)).isoformat()
    reviewer = editor.post(f"{ds}/shareLinks", json={"name": "Reviewer 2", "expiresAt": soon})
    assert reviewer.status_code == 201, reviewer.text
    other = editor.post(f"{ds}/shareLinks", json={"name": "Press"}).json()
    link = reviewer.json()
    assert link["status"] == "active" and link["useCount"] == 0 and link["lastUsedAt"] is None
    assert link["url"].endswith(f"/datasets/fly-brain-{world.dataset_id}/view?token={link['token']}")
    for _ in range(3):
        assert anon(app, token=link["token"]).get(ds).status_code == 200
    links = {entry["name"]: entry for entry in editor.get(f"{ds}/shareLinks").json()}
    assert links["Reviewer 2"]["useCount"] == 3
    assert links["Reviewer 2"]["visits"] == 1  # three requests from one address within the hour: one visit
    assert links["Reviewer 2"]["firstUsedAt"] is not None and links["Reviewer 2"]["lastUsedAt"] is not None
    assert links["Press"]["useCount"] == 0 and links["Press"]["visits"] == 0
    assert editor.delete(f"{ds}/shareLinks/{link['id']}").status_code == 204
    assert anon(app, token=link["token"]).get(ds).status_code == 404
    assert anon(app, token=other["token"]).get(ds).status_code == 200
    links = {entry["name"]: entry for entry in editor.get(f"{ds}/shareLinks").json()}
    assert links["Reviewer 2"]["status"] == "revoked" and links["Reviewer 2"]["token"] is None
    assert links["expired"]["status"] == "expired"


def test_bad_link_input_is_refused_and_creates_nothing(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    editor = client_for(app, world, "admin")
    ds = f"/api/datasets/{world.dataset_id}"
    before = len(editor.get(f"{ds}/shareLinks").json())
    past = (datetime.now(UTC) - timedelta(days=1)).isoformat()
    assert editor.post(f"{ds}/shareLinks", json={"name": "x", "expiresAt": past}).status_code == 400
    assert editor.post(f"{ds}/shareLinks", json={"name": "  "}).status_code == 400
    assert editor.post(f"{ds}/shareLinks", json={"name": "x", "expiresAt": "tomorrow"}).status_code == 422
    assert editor.delete(f"{ds}/shareLinks/{'0' * 24}").status_code == 404
    assert len(editor.get(f"{ds}/shareLinks").json()) == before


def test_who_may_not_manage_named_links(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    link_id = client_for(app, world, "admin").post(f"{ds}/shareLinks", json={"name": "r"}).json()["id"]
    for actor, status in (
        ("anonymous", 404),
        ("link_valid", 401),
        ("outsider", 404),
        ("member", 404),
        ("team_member", 403),
    ):
        client = client_for(app, world, actor)
        assert client.post(f"{ds}/shareLinks", json={"name": "mine"}).status_code == status, actor
        assert client.get(f"{ds}/shareLinks").status_code == status, actor
        assert client.delete(f"{ds}/shareLinks/{link_id}").status_code == status, actor
        assert client.get(f"{ds}/auditLog").status_code == status, actor


def test_audit_log_records_every_sharing_change_with_who_and_when(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    editor = client_for(app, world, "team_manager")
    ds = f"/api/datasets/{world.dataset_id}"
    editor.patch(ds, json={"isPublic": True})
    editor.patch(ds, json={"isPublic": False})
    editor.delete(f"{ds}/sharingToken")
    editor.get(f"{ds}/sharingToken")  # a new one
    editor.patch(f"{ds}/teams", json=[world.accounts.team_ids["a1"], world.accounts.team_ids["a2"]])
    events = editor.get(f"{ds}/auditLog").json()
    actions = [e["action"] for e in events]
    assert actions[:5] == ["teams_changed", "link_created", "link_revoked", "made_private", "made_public"]
    assert all(e["actorName"] == "tm a" and e["at"] for e in events[:5])


def test_gallery_lists_exactly_the_public_datasets_for_everyone(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    admin = client_for(app, world, "admin")
    ds = f"/api/datasets/{world.dataset_id}"
    assert anon(app).get("/api/spotlight").json() == []
    admin.patch(ds, json={"isPublic": True, "displayName": "Fly brain", "description": "TEMCA2"})
    gallery = anon(app).get("/api/spotlight").json()
    assert [(g["id"], g["displayName"], g["description"]) for g in gallery] == [
        (world.dataset_id, "Fly brain", "TEMCA2")
    ]
    assert client_for(app, world, "outsider").get("/api/spotlight").json() == gallery
    assert anon(app).get(ds).status_code == 200
    admin.patch(ds, json={"isPublic": False})
    assert anon(app).get("/api/spotlight").json() == []
    assert anon(app).get(ds).status_code == 404
    # Private again does not revoke the private sharing link.
    assert anon(app, token=world.tokens["valid"]).get(ds).status_code == 200


def test_short_links_redirect_and_refuse_other_hosts(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    member = client_for(app, world, "member")
    long_link = f"/datasets/fly-brain-{world.dataset_id}/view#3584,3584,1024,0,1.3"
    created = member.post("/api/shortLinks", json={"longLink": long_link})
    assert created.status_code == 201
    key = created.json()["key"]
    assert anon(app).get(f"/api/shortLinks/byKey/{key}").json() == {"longLink": long_link}
    followed = anon(app).get(f"/links/{key}", follow_redirects=False)
    assert followed.status_code == 302 and followed.headers["location"] == long_link
    absolute = member.post("/api/shortLinks", json={"longLink": "http://127.0.0.1/annotations/x"})
    assert absolute.status_code == 201
    for evil in ("https://evil.example/phish", "//evil.example/x", "javascript:alert(1)", "relative/path"):
        assert member.post("/api/shortLinks", json={"longLink": evil}).status_code == 400, evil
    assert anon(app).post("/api/shortLinks", json={"longLink": long_link}).status_code == 401
    assert anon(app).get("/links/doesnotexist").status_code == 404


def test_guessing_tokens_is_rate_limited(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    for i in range(30):
        assert anon(app, token=f"guess{i:04d}AAAAAAAAAAAAAAAAAAAA").get(ds).status_code == 404
    # Past the limit a wrong guess is refused, but the right token still opens the dataset (see
    # `sharing.tokens.grants_for_tokens`: a reviewer behind the guesser's NAT is not locked out).
    assert anon(app, token="guess9999AAAAAAAAAAAAAAAAAAAA").get(ds).status_code == 429
    assert anon(app, token=world.tokens["valid"]).get(ds).status_code == 200


def test_guesses_on_the_data_path_count_and_are_written_off_the_event_loop(
    app, session_factory, monkeypatch
) -> None:
    """The data routes check access on the event loop (SQLite); the guess count is a write, which may wait
    for another process's lock, so it must happen in a worker thread, and still count."""
    import asyncio

    from voxelhub.sharing import tokens

    written_on_loop: list[bool] = []
    record = tokens.record_guesses

    def spying(session, addresses):  # type: ignore[no-untyped-def]
        try:
            asyncio.get_running_loop()
            written_on_loop.append(True)
        except RuntimeError:
            written_on_loop.append(False)
        record(session, addresses)

    monkeypatch.setattr(tokens, "record_guesses", spying)
    world = build_dataset_world(session_factory)
    for i in range(30):
        guess = f"guess{i:04d}AAAAAAAAAAAAAAAAAAAA"
        assert anon(app).get(f"/data/s/{guess}/zarr/{world.dataset_id}/zarr.json").status_code == 404
    assert written_on_loop == [False] * 30
    guess = "guess9999AAAAAAAAAAAAAAAAAAAA"
    assert anon(app).get(f"/data/s/{guess}/zarr/{world.dataset_id}/zarr.json").status_code == 429
    assert written_on_loop == [False] * 30  # past the limit, guesses are no longer written at all
    valid = world.tokens["valid"]
    assert (
        anon(app).get(f"/data/s/{valid}/zarr/{world.dataset_id}/datasource-properties.json").status_code
        == 200
    )


def test_tokens_never_appear_in_logs(app, session_factory, caplog) -> None:
    world = build_dataset_world(session_factory)
    caplog.set_level("DEBUG")
    secret = "S3cretGuessThatIsLongEnough0123"
    anon(app, token=secret).get(f"/api/datasets/{world.dataset_id}")
    anon(app, token=world.tokens["valid"]).get(f"/api/datasets/{world.dataset_id}")
    server_log = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("voxelhub"))
    assert "voxelhub.access" in {r.name for r in caplog.records}
    assert secret not in server_log and world.tokens["valid"] not in server_log
    assert "token=S3cr***" in server_log


def test_only_editors_see_a_links_usage(app, session_factory) -> None:
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    assert anon(app, token=world.tokens["valid"]).get(ds).status_code == 200
    for actor in ("link_valid", "team_member", "outsider", "anonymous"):
        answer = client_for(app, world, actor).get(f"{ds}/shareLinks")
        assert answer.status_code in (401, 403, 404), (actor, answer.status_code)
        assert "visits" not in answer.text and "useCount" not in answer.text
    for actor in ("link_valid", "team_member"):
        page = client_for(app, world, actor).get(f"/datasets/fly-brain-{world.dataset_id}/view")
        assert "visits" not in page.text.lower()
    links = client_for(app, world, "dataset_manager").get(f"{ds}/shareLinks").json()
    assert next(link for link in links if link["name"] == "valid")["visits"] == 1
