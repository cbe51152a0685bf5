"""Issue 16 in real Chromium: the HTML 404 page, `/spotlight`, a revoked link's page, a login that keeps the
`#…` of the page it started from, and link usage shown as visits (screenshots in VOXELHUB_PAGES_SHOTS)."""

from __future__ import annotations

import os
from pathlib import Path

from tests.browser import needs_chromium
from tests.factories import PASSWORD
from tests.server import running_server
from tests.web.pages_world import world_with_layers

pytestmark = needs_chromium
SHOTS = Path(os.environ.get("VOXELHUB_PAGES_SHOTS", "/tmp/pages-shots"))


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _log_in_here(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_error_pages_spotlight_and_revoked_links(settings, session_factory, browser) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=False)
    view = f"/datasets/fly-brain-{world.dataset_id}/view"
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1100, "height": 700})
        page = context.new_page()
        answer = page.goto("/no-such-page")
        assert answer.status == 404 and page.text_content("h1") == "Not found"
        assert page.is_visible("main >> text=Back to the gallery")
        _shot(page, "404-page")

        assert page.goto("/spotlight").status == 200
        assert page.text_content("#gallery-title") == "Public datasets"

        assert page.goto(f"{view}?token={world.tokens['revoked']}").status == 404
        assert page.text_content("h1") == "This link was revoked"
        assert "Ask the person who sent you the link" in page.text_content("main")
        _shot(page, "revoked-link")
        assert page.goto(f"{view}?token={world.tokens['expired']}").status == 404
        assert page.text_content("h1").startswith("This link expired on ")
        _shot(page, "expired-link")

        # A colleague opens a private dataset's view with a position, is asked to log in, and lands on it.
        assert page.goto(f"{view}#10,20,30,0,1.5").status == 404
        page.click("main >> [data-login-link]")
        _log_in_here(page, world.accounts.users["team_a"])
        page.wait_for_url(f"{base}{view}#10,20,30,0,1.5")
        assert page.text_content("h1") == "fly-brain"
        context.clear_cookies()

        # A server redirect to the login page: the browser carries the fragment over, the login keeps it.
        page.goto("/dashboard#shared")
        page.wait_for_url(f"{base}/auth/login?next=/dashboard#shared")
        _log_in_here(page, world.accounts.users["team_a"])
        page.wait_for_url(f"{base}/dashboard#shared")
        context.close()


def test_link_usage_reads_as_visits_with_the_requests_beside(settings, session_factory, browser) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory)
    view = f"/datasets/fly-brain-{world.dataset_id}/view?token={world.tokens['valid']}"
    with running_server(settings) as base:
        reviewer = browser.new_context(base_url=base)
        page = reviewer.new_page()
        for _ in range(3):  # one reviewer, several loads: one visit, many requests
            assert page.goto(view).status == 200
        reviewer.close()

        context = browser.new_context(base_url=base, viewport={"width": 1100, "height": 800})
        page = context.new_page()
        page.goto(f"/auth/login?next=/datasets/fly-brain-{world.dataset_id}/settings")
        _log_in_here(page, world.accounts.users["admin_a"])
        page.wait_for_url(f"{base}/datasets/fly-brain-{world.dataset_id}/settings")
        row = page.locator("#links-table tr", has_text="valid").first
        row.wait_for()
        text = row.text_content() or ""
        assert "1 visit" in text and "1 visits" not in text and "requests" in text, text
        assert page.text_content("#links-table thead").strip().count("Visits") == 1
        page.locator("#links-table").scroll_into_view_if_needed()
        _shot(page, "usage-visits")
        context.close()
