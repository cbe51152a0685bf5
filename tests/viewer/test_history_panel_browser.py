"""Real Chromium against a real `voxelhub serve`: the annotation page's History panel lists the versions with
author and kind, Preview shows an earlier version read only, and the owner's Restore button makes an earlier
version (volume data included) the newest."""

from __future__ import annotations

import base64

import numpy as np

from tests.browser import needs_chromium
from tests.server import running_server
from tests.viewer.test_viewer_browser import _api_as, _new_annotation, _owner_page, _painted
from tests.viewer.world import build_viewer_world

pytestmark = needs_chromium


def _paint(api, annotation_id: str, version: int, value: int) -> None:  # type: ignore[no-untyped-def]
    data = base64.b64encode(np.full((32,) * 3, value, dtype="<u4").tobytes(order="F")).decode()
    answer = api.post(
        f"/api/annotations/{annotation_id}/layers/Volume/buckets",
        json={"version": version, "buckets": [{"mag": [1, 1, 1], "position": [0, 0, 0], "data": data}]},
    )
    assert answer.status_code == 200, answer.text


def test_history_panel_lists_versions_and_restores_one(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "With history")
        assert (
            owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": "Volume"}).status_code
            == 201
        )
        _paint(owner, annotation_id, 0, 7)
        _paint(owner, annotation_id, 1, 8)
        context, page, errors = _owner_page(browser, base, world, f"/annotations/{annotation_id}")
        page.wait_for_selector("#history-list li[data-version='0']")
        lines = page.locator("#history-list li span").all_inner_texts()
        assert [line.split(" · ")[0] for line in lines] == ["v2", "v1", "v0"]
        assert lines[0].endswith("volume paint")
        assert (
            page.locator("#history-list li[data-version='2'] button").count() == 0
        )  # the newest: nothing to restore
        # Preview: version 1 as it was saved, read only, its volume buckets asked for at that version.
        bucket_urls: list[str] = []
        page.on(
            "request", lambda request: bucket_urls.append(request.url) if "/buckets" in request.url else None
        )
        with page.expect_navigation():
            page.click("#history-list li[data-version='1'] a")
        page.wait_for_selector("#version-preview")
        assert "Version 1" in page.inner_text("#version-preview")
        assert page.locator("#tool-skeleton").count() == 0  # nothing to edit in a preview
        page.wait_for_function("() => window.voxelhubViewer !== undefined")
        page.wait_for_timeout(500)
        assert bucket_urls and all("version=1" in url for url in bucket_urls if "/annotations/" in url)
        with page.expect_navigation():
            page.click("#version-preview a")
        page.wait_for_selector("#history-list li[data-version='1'] button")
        assert page.locator("#version-preview").count() == 0
        page.once("dialog", lambda dialog: dialog.accept())
        with page.expect_navigation():
            page.click("#history-list li[data-version='1'] button")
        page.wait_for_selector("#history-list li[data-version='3']")
        assert "restore of v1" in page.locator("#history-list li[data-version='3'] span").inner_text()
        assert (_painted(owner, annotation_id, [1, 1, 1], [0, 0, 0]) == 7).all()
        context.close()
        assert errors == []
