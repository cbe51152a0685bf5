"""Shared by the browser tests: Debian's Chromium through Playwright (headless, no sandbox, no network beyond
what the page asks of the loopback server), a skip mark when it is missing, and where screenshots go."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
SHOTS = Path(os.environ.get("VOXELHUB_SHOTS", "/tmp/voxelhub-shots"))

needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's Chromium at /usr/bin/chromium"
)


@pytest.fixture
def browser() -> Iterator:  # type: ignore[type-arg]
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def log_in(page, base: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Logs in through the login page and waits for the dashboard."""
    from tests.factories import PASSWORD

    page.goto("/auth/login")
    page.fill("#email", email)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/dashboard")
