"""Issue 11, hole 6 in a real browser: after the login form, the page goes only to a path of this server.

The server already refuses an off-site `next`; the form's script checks again (a browser drops a tab from a
URL, so "/<TAB>/evil.example" is a link to evil.example), and keeps a same-origin target's query and #fragment.
"""

from __future__ import annotations

from urllib.parse import quote

from tests.browser import needs_chromium
from tests.factories import PASSWORD, build_world
from tests.server import running_server

pytestmark = needs_chromium


def _log_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")


def test_the_login_form_keeps_query_and_fragment_and_never_leaves_the_site(
    settings, session_factory, browser
) -> None:  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    email = world.users["member_a"]
    with running_server(settings) as base:
        context = browser.new_context(base_url=base)
        left: list[str] = []
        context.route(
            "**/*",
            lambda route: (
                route.continue_()
                if route.request.url.startswith(base)
                else (left.append(route.request.url), route.abort())
            ),
        )
        page = context.new_page()
        page.goto(f"/auth/login?next={quote('/dashboard?tab=shared#3584,3584,1024,0,1.3', safe='')}")
        _log_in(page, email)
        page.wait_for_url(f"{base}/dashboard?tab=shared#3584,3584,1024,0,1.3")
        context.clear_cookies()

        # A target that reached the page anyway (a tampered or cached form) is checked by the script too.
        for target in (
            "/\t/evil.example/phish",
            "/\\evil.example",
            "https://evil.example/",
            "//evil.example",
        ):
            page.goto("/auth/login")
            page.evaluate("(t) => { document.getElementById('login-form').dataset.next = t; }", target)
            _log_in(page, email)
            page.wait_for_url(f"{base}/dashboard")
            context.clear_cookies()
        assert left == []
        context.close()
