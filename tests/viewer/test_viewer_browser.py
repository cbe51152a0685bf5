"""Real Chromium against a real `voxelhub serve` with a real (synthetic) dataset: the viewer draws data from
buckets, follows the address bar's hash both ways, falls back on a malformed hash, edits a skeleton and paints
volume layers."""

from __future__ import annotations

import base64
import re
import time
from pathlib import Path

import httpx2 as httpx
import numpy as np
import pytest

from tests.browser import SHOTS, log_in, needs_chromium
from tests.factories import PASSWORD
from tests.server import running_server
from tests.viewer.world import SIZE, build_viewer_world

pytestmark = needs_chromium

# Pixel statistics of a plane's canvas: how many pixels are not black, and how many distinct grey values.
CANVAS_STATS = """(plane) => {
  const canvas = document.querySelector(`canvas[data-plane="${plane}"]`);
  const ctx = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  const data = ctx.getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2), Math.floor(h / 2)).data;
  let lit = 0; const values = new Set();
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] + data[i + 1] + data[i + 2] > 30) lit++;
    values.add(data[i] >> 3);
  }
  return { lit, total: data.length / 4, distinct: values.size };
}"""


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"viewer-{name}.png"))


def _wait_loaded(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_selector("#viewer[data-loaded=true][data-pending='0']", timeout=20000)
    page.wait_for_timeout(150)  # one more frame after the last batch


def _hash(page) -> str:  # type: ignore[no-untyped-def]
    return str(page.evaluate("() => window.location.hash"))


def _wait_for(page, check, what: str, timeout: float = 10) -> None:  # type: ignore[no-untyped-def]
    """Polls `check()` (wait_for_function would need 'unsafe-eval', which the pages' CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; hash is {_hash(page)!r}")
        page.wait_for_timeout(50)


def _wait_hash(page, *prefixes: str) -> None:  # type: ignore[no-untyped-def]
    _wait_for(page, lambda: _hash(page).startswith(prefixes), f"hash starting with {prefixes}")


def _watch_errors(page) -> list[str]:  # type: ignore[no-untyped-def]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    return errors


def _api_as(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    answer = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
    return client


def _owner_page(browser, base: str, world, path: str):  # type: ignore[no-untyped-def]
    """A new browser context, logged in as the annotations' owner, with `path` open and loaded: (context, page,
    the page's errors)."""
    context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    errors = _watch_errors(page)
    log_in(page, base, world.accounts.users["admin_a"])
    page.goto(path)
    _wait_loaded(page)
    return context, page, errors


def test_link_holder_views_moves_and_shares_the_spot(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(f"{r.method} {r.url}"))

        # A link holder (no account, no cookie) opens the viewer at a spot given in the hash.
        view = f"/datasets/{world.slug}/view?token={world.token}"
        page.goto(f"{view}#40,50,20,0,0.5")
        _wait_loaded(page)
        for plane in ("xy", "yz", "xz"):
            stats = page.evaluate(CANVAS_STATS, plane)
            assert stats["lit"] > stats["total"] * 0.5, (plane, stats)
            assert stats["distinct"] > 5, (plane, stats)
        assert page.input_value("#vx-position") == "40, 50, 20"
        assert "0.5" in page.text_content("#vx-zoom")
        buckets = [r for r in requests if "/buckets?" in r]
        assert buckets and all(r.startswith("POST ") and f"token={world.token}" in r for r in buckets)
        assert all(f"token={world.token}" in r for r in requests if "/api/" in r or "/data/" in r), requests
        assert page.locator("#layer-list input[data-layer-toggle]").count() == 2
        _shot(page, "01-link-holder")

        # Keyboard: next slices in XY; drag in XY pans; the hash follows (throttled).
        xy = page.locator('canvas[data-plane="xy"]')
        box = xy.bounding_box()
        assert box is not None
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        for _ in range(3):
            page.keyboard.press("f")
        _wait_hash(page, "#40,50,23,0,0.5")
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 - 50, box["y"] + box["height"] / 2 - 20, steps=5)
        page.mouse.up()
        _wait_hash(page, "#65,60,23,0,0.5")
        # Ctrl+wheel zooms out (the plain wheel moves through slices: test_navigation_browser.py); a click
        # sets the position.
        page.keyboard.down("Control")
        page.mouse.wheel(0, 300)
        page.keyboard.up("Control")
        _wait_for(page, lambda: _hash(page).split(",")[4] != "0.5", "a new zoom")
        zoom = float(_hash(page).lstrip("#").split(",")[4])
        assert zoom > 0.5
        _wait_loaded(page)
        _shot(page, "02-moved")
        page.mouse.click(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2)
        x = 65 + int(40 * zoom)
        _wait_hash(page, f"#{x},60,23,", f"#{x - 1},60,23,", f"#{x + 1},60,23,")
        # Hover shows the voxel and the segment under the mouse.
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert re.search(r"segment \d+", page.text_content("#vx-hover") or "")

        # The hash is the share link: opening it again shows the same spot.
        spot = _hash(page)
        other = context.new_page()
        other.goto(f"{view}{spot}")
        _wait_loaded(other)
        assert other.input_value("#vx-position") == ", ".join(spot.lstrip("#").split(",")[:3])
        other.close()

        # Toggling the colour layer off leaves only the segmentation overlay.
        page.uncheck('input[data-layer-toggle="color"]')
        page.wait_for_timeout(100)
        _shot(page, "03-segmentation-only")
        page.check('input[data-layer-toggle="color"]')

        # A malformed hash falls back to the dataset's default view (the centre), never to an error.
        centre = [s // 2 for s in SIZE]
        for bad in ("#garbage", "#1,2,3", "#1,2,3,0,-1", "#1,2,x,0,1", "#%7Bnot json", "#%E0%A4%A"):
            page.goto(f"{view}{bad}")
            _wait_loaded(page)
            assert page.input_value("#vx-position") == ", ".join(map(str, centre)), bad
            assert _hash(page).startswith(f"#{centre[0]},{centre[1]},{centre[2]},0,1"), bad
            assert page.evaluate(CANVAS_STATS, "xy")["lit"] > 0
        _shot(page, "04-malformed-hash-fallback")

        # The JSON form of the hash is read too.
        page.goto(f"{view}#%7B%22position%22%3A%5B10%2C20%2C30%5D%2C%22mode%22%3A0%2C%22zoomStep%22%3A2%7D")
        _wait_loaded(page)
        assert page.input_value("#vx-position") == "10, 20, 30"
        assert _hash(page).startswith("#10,20,30,0,2")

        assert errors == []

        # Without the token there is nothing to see (the browser logs the 404 itself: not a page error).
        assert page.goto(f"/datasets/{world.slug}/view").status == 404
        context.close()


def test_annotation_editing_read_only_and_copy(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        created = owner.post("/api/annotations", json={"datasetId": world.dataset_id, "name": "Traced axon"})
        if created.status_code == 404:
            pytest.skip("annotation routes are not deployed")
        assert created.status_code == 201, created.text
        annotation_id = created.json()["id"]
        version = created.json()["version"]
        actions = [
            {
                "name": "createTree",
                "value": {
                    "id": 1,
                    "name": "axon",
                    "color": [1, 0.6, 0.1, 1],
                    "comments": [],
                    "branchPoints": [],
                },
            }
        ]
        for i, (x, y, z) in enumerate([(30, 40, 20), (50, 60, 21), (70, 70, 22), (90, 60, 24)], start=1):
            actions.append({"name": "createNode", "value": {"id": i, "treeId": 1, "position": [x, y, z]}})
            if i > 1:
                actions.append({"name": "createEdge", "value": {"treeId": 1, "source": i - 1, "target": i}})
        actions.append({"name": "updateActiveNode", "value": {"activeNode": 4}})
        answer = owner.post(
            f"/api/annotations/{annotation_id}/updates", json={"version": version, "actions": actions}
        )
        assert answer.status_code == 200, answer.text
        owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": "Public"}).raise_for_status()

        # The owner edits: the skeleton tool adds a node linked to the active one, saved through the API.
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#60,60,21,0,0.4"
        )
        page.wait_for_selector("#tool-skeleton[aria-pressed=true]")
        assert page.locator("#read-only").count() == 0
        assert "4 nodes" in page.text_content("#tree-list")
        xy = page.locator('canvas[data-plane="xy"]').bounding_box()
        assert xy is not None
        page.mouse.click(xy["x"] + xy["width"] / 2 + 40, xy["y"] + xy["height"] / 2 + 40)  # +16 voxels at 0.4
        page.wait_for_selector("#save-status[data-kind=ok]")
        skeleton = owner.get(f"/api/annotations/{annotation_id}/skeleton").json()
        nodes = {n["id"]: n["position"] for n in skeleton["trees"][0]["nodes"]}
        assert nodes[5] == [76, 76, 21]
        assert {"source": 4, "target": 5} in skeleton["trees"][0]["edges"]
        assert skeleton["activeNodeId"] == 5
        _wait_for(page, lambda: _hash(page).endswith(",5"), "active node 5 in the hash")
        _shot(page, "05-annotation-owner")

        # Someone else saved meanwhile: the next save gets 409 and the page reloads the skeleton.
        current = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
        other_edit = [{"name": "createNode", "value": {"id": 100, "treeId": 1, "position": [64, 64, 21]}}]
        owner.post(
            f"/api/annotations/{annotation_id}/updates", json={"version": current, "actions": other_edit}
        ).raise_for_status()
        page.mouse.click(xy["x"] + xy["width"] / 2 - 40, xy["y"] + xy["height"] / 2 - 40)
        page.wait_for_selector("#save-status[data-kind=warn]")
        _wait_for(page, lambda: "6 nodes" in (page.text_content("#tree-list") or ""), "the reloaded skeleton")
        # The browser logs the expected 409 itself; anything else would be a page error.
        errors[:] = [e for e in errors if "status of 409 (Conflict)" not in e]
        context.close()

        # A link holder sees the public annotation read-only; "Copy to my account" needs a login.
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors += _watch_errors(page)
        page.goto(f"/annotations/{annotation_id}?token={world.token}#50,60,21,0,0.5")
        _wait_loaded(page)
        page.wait_for_selector("#read-only")
        assert page.is_visible("#copy-annotation")
        assert page.evaluate(CANVAS_STATS, "xy")["lit"] > 0
        _shot(page, "06-annotation-read-only")

        # A team member copies it to their account and lands on the copy, which they may edit.
        log_in(page, base, world.accounts.users["team_a"])
        page.goto(f"/annotations/{annotation_id}#50,60,21,0,0.5")
        _wait_loaded(page)
        page.click("#copy-annotation")
        page.wait_for_url(re.compile(rf".*/annotations/(?!{annotation_id})[0-9a-f]{{24}}#50,60,21"))
        _wait_loaded(page)
        page.wait_for_selector("#tool-skeleton")
        assert "6 nodes" in page.text_content("#tree-list")
        _shot(page, "07-annotation-copy")
        context.close()

        # An annotation whose dataset the visitor may not read: the page says so, and shows no data.
        with httpx.Client(base_url=base) as anonymous:
            owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": "Public"}).raise_for_status()
            page_html = anonymous.get(f"/annotations/{annotation_id}")
            assert page_html.status_code == 200
            assert "not available to you" in page_html.text and "data-dataset-id" not in page_html.text
        assert errors == []


def _new_annotation(owner: httpx.Client, world, name: str) -> str:  # type: ignore[no-untyped-def]
    """A new annotation of the owner's on the world's dataset (the test is skipped where annotations are not)."""
    created = owner.post("/api/annotations", json={"datasetId": world.dataset_id, "name": name})
    if created.status_code == 404:
        pytest.skip("annotation routes are not deployed")
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _painted(
    api: httpx.Client, annotation_id: str, mag: list[int], bucket: list[int], layer: str = "Volume"
) -> np.ndarray:
    """One bucket of one of the annotation's volume layers as the server has it, indexed [x, y, z]."""
    answer = api.post(
        f"/data/annotations/{annotation_id}/layers/{layer}/buckets", json={"mag": mag, "buckets": [bucket]}
    )
    assert answer.status_code == 200, answer.text
    return np.frombuffer(answer.content, dtype="<u4").reshape((32, 32, 32), order="F")


def _segment_ids(api: httpx.Client, annotation_id: str, layer: str) -> list[int]:
    layers = api.get(f"/api/annotations/{annotation_id}/info").json()["volumeLayers"]
    return [s["id"] for volume in layers if volume["name"] == layer for s in volume["segments"]]


def _drag(page, canvas: str, start: tuple[float, float], end: tuple[float, float]) -> None:  # type: ignore[no-untyped-def]
    """A drag from and to offsets (CSS pixels) from the centre of a plane."""
    box = page.locator(f'canvas[data-plane="{canvas}"]').bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx + start[0], cy + start[1])
    page.mouse.down()
    page.mouse.move(cx + end[0], cy + end[1], steps=8)
    page.mouse.up()


def _hover_text(page, offset: tuple[float, float] = (1, 1)) -> str:  # type: ignore[no-untyped-def]
    box = page.locator('canvas[data-plane="xy"]').bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2 + offset[0], box["y"] + box["height"] / 2 + offset[1])
    return page.text_content("#vx-hover") or ""


def _go(page, spot: str) -> None:  # type: ignore[no-untyped-def]
    page.evaluate("(spot) => { window.location.hash = spot; }", spot)
    _wait_for(page, lambda: _hash(page).startswith(spot), spot)
    _wait_loaded(page)


def test_volume_brush_paints_saves_and_reloads(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Painted cells")
        owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": "Public"}).raise_for_status()

        # The owner has no volume layer yet: "Add volume layer" adds one, shown instead of the dataset's
        # segmentation (its fallback), and the brush becomes the tool.
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#64,64,20,0,0.25"
        )
        assert page.locator("#tool-brush").count() == 0
        page.click("#add-volume")
        page.wait_for_selector("#tool-brush[aria-pressed=true]")
        assert page.locator("#add-volume").count() == 0
        assert page.is_checked('input[data-layer-toggle="volume:Volume"]')
        assert not page.is_checked('input[data-layer-toggle="segmentation"]')
        _wait_loaded(page)
        largest = owner.get(f"/api/annotations/{annotation_id}/info").json()["volumeLayers"][0][
            "largestSegmentId"
        ]
        page.click("#new-segment")
        segment = largest + 1
        assert page.input_value("#segment-id") == str(segment)

        # A drag on XY (4 pixels a voxel) paints a radius-3 stroke from x=64 to x=74 at y=64, z=20.
        plane = page.locator('canvas[data-plane="xy"]').bounding_box()
        _drag(page, "xy", (2, 2), (42, 2))
        page.wait_for_selector("#save-status[data-kind=ok]")
        # The save's status never moves the planes (a re-wrapping toolbar would shift what the pointer is on).
        assert page.locator('canvas[data-plane="xy"]').bounding_box() == plane
        painted = _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0])
        for x, y in [(64, 64), (70, 64), (74, 64), (70, 67), (66, 66)]:
            assert painted[x - 64, y - 64, 20] == segment, (x, y)
        for x, y, z in [(70, 71, 20), (80, 64, 20), (70, 64, 21), (70, 64, 19)]:
            assert painted[x - 64, y - 64, z] != segment, (x, y, z)
        assert (
            painted[70 - 64, 71 - 64, 20] != 0
        )  # beside the paint: the dataset's segmentation (the fallback)
        # A click on YZ paints a disc in that plane: across z and y, at the slice x=64.
        _drag(page, "yz", (2, 2), (2, 2))
        _wait_for(
            page,
            lambda: _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0])[0, 0, 23] == segment,
            "the YZ disc",
        )
        painted = _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0])
        assert painted[0, 2, 22] == segment and painted[1, 0, 23] != segment
        # The server recomputed mag 2 there, and the zoomed-out page shows it (its cached mag-2 bucket was dropped).
        assert _painted(owner, annotation_id, [2, 2, 2], [1, 1, 0])[35 - 32, 32 - 32, 10] == segment
        assert f"Volume: segment {segment}" in _hover_text(page, (2, 2))
        page.wait_for_selector(f'#segment-list li[data-segment-id="{segment}"]')
        _shot(page, "08-volume-painted")
        _go(page, "#70,64,20,0,2")
        assert "mag 2-2-2" in page.text_content("#vx-zoom")
        assert f"Volume: segment {segment}" in _hover_text(page, (0.5, 0.5))
        _shot(page, "09-volume-zoomed-out")

        # Renaming the segment in the sidebar saves the whole list.
        name = page.locator(f'#segment-list li[data-segment-id="{segment}"] input')
        name.fill("Bouton")
        name.press("Enter")

        def renamed() -> bool:
            layer = owner.get(f"/api/annotations/{annotation_id}/info").json()["volumeLayers"][0]
            return any(s["id"] == segment and s["name"] == "Bouton" for s in layer["segments"])

        _wait_for(page, renamed, "the renamed segment")

        # Someone else saves meanwhile (through the API): the page's next save is refused, and the page reloads
        # the layer, showing the other save and dropping its own refused stroke.
        version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
        other = np.zeros((32, 32, 32), dtype="<u4")
        other[:, :, 20] = 7777
        bucket = {
            "mag": [1, 1, 1],
            "position": [1, 2, 0],
            "data": base64.b64encode(other.tobytes(order="F")).decode(),
        }
        owner.post(
            f"/api/annotations/{annotation_id}/layers/Volume/buckets",
            json={"version": version, "buckets": [bucket]},
        ).raise_for_status()
        _go(page, "#64,80,20,0,0.25")
        _drag(page, "xy", (2, 2), (2, 30))
        page.wait_for_selector("#save-status[data-kind=warn]")
        assert "Changed elsewhere" in page.text_content("#save-status")
        _wait_loaded(page)
        assert _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0])[0, 80 - 64, 20] != segment
        _go(page, "#48,80,20,0,0.25")
        assert "Volume: segment 7777" in _hover_text(page)
        _shot(page, "10-volume-reloaded")
        # After the reload, painting saves again (erasing here).
        page.check("#brush-erase")
        _drag(page, "xy", (2, 2), (2, 2))
        page.wait_for_selector("#save-status[data-kind=ok]")
        assert _painted(owner, annotation_id, [1, 1, 1], [1, 2, 0])[48 - 32, 80 - 64, 20] == 0
        errors[:] = [e for e in errors if "status of 409 (Conflict)" not in e]
        context.close()

        # A link holder sees the painted layer and the named segment, read-only: no brush, no way to add a layer.
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors += _watch_errors(page)
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(f"/annotations/{annotation_id}?token={world.token}#64,64,20,0,0.25")
        _wait_loaded(page)
        page.wait_for_selector("#read-only")
        assert page.locator("#tool-brush, #add-volume, #segment-list input").count() == 0
        assert "Bouton" in page.text_content(f'#segment-list li[data-segment-id="{segment}"]')
        assert f"Volume: segment {segment}" in _hover_text(page, (2, 2))
        volume_requests = [
            r for r in requests if f"/data/annotations/{annotation_id}/layers/Volume/buckets" in r
        ]
        assert volume_requests and all(f"token={world.token}" in r for r in volume_requests)
        _shot(page, "11-volume-read-only")
        context.close()
        assert errors == []


def test_volume_brush_paints_the_chosen_layer(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Two layers")
        for name in ("Volume", "Second"):
            added = owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": name})
            assert added.status_code == 201, added.text
        largest = added.json()["largestSegmentId"]
        # The second layer already has a segment beyond the dataset's largest id, so its next free id differs.
        earlier = largest + 50
        owner.put(
            f"/api/annotations/{annotation_id}/layers/Second/segments",
            json=[{"id": earlier, "name": "Earlier", "anchorPosition": [10, 10, 10]}],
        ).raise_for_status()

        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#64,64,20,0,0.25"
        )
        page.click("#tool-brush")
        page.wait_for_selector("#brush-layer")
        assert page.eval_on_selector_all("#brush-layer option", "(os) => os.map((o) => o.value)") == [
            "Volume",
            "Second",
        ]
        assert page.input_value("#brush-layer") == "Volume"
        page.select_option("#brush-layer", "Second")
        assert "brush" in page.text_content("#segment-list .active .vx-subhead")
        page.click("#new-segment")
        segment = earlier + 1
        assert page.input_value("#segment-id") == str(segment)

        # A hidden chosen layer is not painted (nor is the visible first one instead).
        page.uncheck('input[data-layer-toggle="volume:Second"]')
        _drag(page, "xy", (2, 2), (42, 2))
        page.wait_for_selector("#save-status[data-kind=warn]")
        assert "Show the layer Second" in page.text_content("#save-status")
        page.check('input[data-layer-toggle="volume:Second"]')
        _wait_hash(page, "#54,64,20,")  # the refused stroke panned the view instead; back to the spot
        _go(page, "#64,64,20,0,0.25")

        # Shown again, the stroke (x=64 to 74 at y=64, z=20) goes into the second layer only.
        _drag(page, "xy", (2, 2), (42, 2))
        page.wait_for_selector("#save-status[data-kind=ok]")
        second = _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0], layer="Second")
        first = _painted(owner, annotation_id, [1, 1, 1], [2, 2, 0], layer="Volume")
        for x, y in [(64, 64), (70, 64), (74, 64)]:
            assert second[x - 64, y - 64, 20] == segment, (x, y)
            assert first[x - 64, y - 64, 20] != segment, (x, y)
        page.wait_for_selector(f'#segment-list ul[data-volume="Second"] li[data-segment-id="{segment}"]')
        _wait_for(
            page, lambda: segment in _segment_ids(owner, annotation_id, "Second"), "the new segment saved"
        )
        assert segment not in _segment_ids(owner, annotation_id, "Volume")
        assert (
            page.locator(f'#segment-list ul[data-volume="Volume"] li[data-segment-id="{segment}"]').count()
            == 0
        )
        _shot(page, "12-volume-second-layer")
        context.close()
        assert errors == []


def test_create_annotation_from_the_dataset_page(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A team member starts a skeleton-and-volume annotation where the viewer stands and lands in it as its
    owner; a link holder who is not logged in is not offered it."""
    world = build_viewer_world(session_factory, tmp_path)
    view = f"/datasets/synthetic-{world.dataset_id}/view"
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        log_in(page, base, world.accounts.users["team_a"])
        page.goto(f"{view}#40,50,12,0,0.5")
        _wait_loaded(page)
        page.select_option("#annotation-kind", "hybrid")
        _shot(page, "13-create-annotation")
        page.click("#create-annotation button[type=submit]")
        page.wait_for_url(re.compile(r".*/annotations/[0-9a-f]{24}#40,50,12,0,0\.5$"))
        _wait_loaded(page)
        annotation_id = page.url.split("/annotations/")[1].split("#")[0]
        member = _api_as(base, world.accounts.users["team_a"])
        info = member.get(f"/api/annotations/{annotation_id}/info").json()
        assert info["restrictions"]["allowUpdate"] is True
        assert info["datasetId"] == world.dataset_id
        assert [layer["typ"] for layer in info["annotationLayers"]] == ["Skeleton", "Volume"]
        assert page.is_visible("#tool-brush")
        _shot(page, "14-created-annotation")
        assert errors == []
        context.close()

        holder = browser.new_context(base_url=base)
        link_page = holder.new_page()
        link_page.goto(f"{view}?token={world.token}")
        _wait_loaded(link_page)
        assert link_page.locator("#create-annotation").count() == 0
        holder.close()


def test_owner_shares_renames_and_downloads_the_annotation(
    settings, session_factory, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    """The owner's Share dialog (visibility, teams, the sharing link), Rename and Download; another member of the
    organization gets neither Share nor Rename."""
    world = build_viewer_world(session_factory, tmp_path)
    team = world.accounts.team_ids["a1"]
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Shared axon")
        info_url = f"/api/annotations/{annotation_id}/info"
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#64,64,20,0,0.5"
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)

        # Share: Internal to start with; the owner makes it public and shares it with team a1.
        page.click("#share-button")
        page.wait_for_selector("#share-dialog[open]")
        _wait_for(page, lambda: page.input_value("#share-url") != "", "the sharing link")
        assert page.is_checked("#share-dialog input[value=Internal]")
        assert page.locator("#share-dialog input[name=team]").count() == 2  # team a1 and a2 of org A
        page.check("#share-dialog input[value=Public]")
        page.check(f"#share-dialog input[name=team][value='{team}']")
        page.click("#share-save")
        page.wait_for_selector("#share-status[data-kind=ok]")
        assert page.text_content("#visibility-badge") == "Public"
        assert "public" in (page.get_attribute("#visibility-badge", "class") or "")
        # A public annotation on a private dataset: the link carries the dataset's token; Copy puts it on the clipboard.
        url = page.input_value("#share-url")
        assert url.startswith(f"{base}/annotations/{annotation_id}?token=")
        assert "sharing token" in page.text_content("#share-url-hint")
        page.click("#share-copy")
        _wait_for(page, lambda: "copied" in (page.text_content("#share-status") or ""), "the copy")
        assert page.evaluate("() => navigator.clipboard.readText()") == url
        _shot(page, "15-share-dialog")
        info = owner.get(info_url).json()
        # The dialog's link is the server's with the view (the `#…` of the address bar) after it.
        assert info["visibility"] == "Public" and url == info["sharingUrl"] + "#64,64,20,0,0.5"
        assert [t["id"] for t in owner.get(f"/api/annotations/{annotation_id}/sharedTeams").json()] == [team]

        # The link works for someone with no account: the viewer shows the data.
        stranger = browser.new_context(base_url=base, viewport={"width": 1000, "height": 700})
        link_page = stranger.new_page()
        errors += _watch_errors(link_page)
        link_page.goto(url)
        _wait_loaded(link_page)
        link_page.wait_for_selector("#read-only")
        assert link_page.locator("#share-button, #rename-button").count() == 0
        assert link_page.is_visible("#download-annotation")
        stranger.close()

        # The dataset's link revoked: reopening the dialog (only GETs) makes no new one and says so; Save does.
        sharing_token = f"/api/datasets/{world.dataset_id}/sharingToken"
        owner.delete(sharing_token).raise_for_status()
        page.keyboard.press("Escape")
        page.wait_for_selector("#share-dialog", state="hidden")
        page.click("#share-button")
        _wait_for(
            page,
            lambda: "Save adds one" in (page.text_content("#share-url-hint") or ""),
            "the missing-link hint",
        )
        assert page.input_value("#share-url") == f"{base}/annotations/{annotation_id}#64,64,20,0,0.5"
        assert not [
            link
            for link in owner.get(f"/api/datasets/{world.dataset_id}/shareLinks").json()
            if link["isDefault"] and link["status"] == "active"
        ]
        page.click("#share-save")
        _wait_for(page, lambda: "?token=" in page.input_value("#share-url"), "the new link")
        new_token = owner.get(sharing_token).json()["sharingToken"]
        assert (
            page.input_value("#share-url")
            == f"{url.split('?token=')[0]}?token={new_token}#64,64,20,0,0.5"
            != url
        )

        # A team deleted meanwhile: the server refuses, the dialog says why and shows the saved state again.
        gone = world.accounts.team_ids["a2"]
        owner.delete(f"/api/teams/{gone}").raise_for_status()
        page.check(f"#share-dialog input[name=team][value='{gone}']")
        page.click("#share-save")
        page.wait_for_selector("#share-status[data-kind=error]")
        assert "only teams of the owner's organization" in page.text_content("#share-status")
        _wait_for(
            page, lambda: not page.is_checked(f"#share-dialog input[name=team][value='{gone}']"), "the reset"
        )
        assert [t["id"] for t in owner.get(f"/api/annotations/{annotation_id}/sharedTeams").json()] == [team]
        errors[:] = [e for e in errors if "status of 400 (Bad Request)" not in e]

        # Private: the teams are disabled with a note, and once saved the server has cleared them.
        page.check("#share-dialog input[value=Private]")
        assert page.is_disabled(f"#share-dialog input[name=team][value='{team}']")
        assert page.is_visible("#share-teams-private")
        page.click("#share-save")
        _wait_for(page, lambda: page.text_content("#visibility-badge") == "Private", "the Private badge")
        assert not page.is_checked(f"#share-dialog input[name=team][value='{team}']")
        assert owner.get(f"/api/annotations/{annotation_id}/sharedTeams").json() == []
        assert owner.get(info_url).json()["visibility"] == "Private"
        assert page.input_value("#share-url") == f"{base}/annotations/{annotation_id}#64,64,20,0,0.5"
        # Back to Internal (issue 16): the teams chosen before Private are ticked again, and Save shares them.
        page.check("#share-dialog input[value=Internal]")
        assert page.is_checked(f"#share-dialog input[name=team][value='{team}']")
        assert page.is_enabled(f"#share-dialog input[name=team][value='{team}']")
        page.click("#share-save")
        _wait_for(page, lambda: page.text_content("#visibility-badge") == "Internal", "the Internal badge")
        assert [t["id"] for t in owner.get(f"/api/annotations/{annotation_id}/sharedTeams").json()] == [team]
        page.keyboard.press("Escape")
        page.wait_for_selector("#share-dialog", state="hidden")

        # Rename: name and description; the title, the tab's title and the sidebar follow.
        page.click("#rename-button")
        assert page.get_attribute("#rename-button", "aria-expanded") == "true"
        page.fill("#rename-name", "Renamed axon")
        page.fill("#rename-description", "Traced by hand in layer 4")
        page.click("#rename-form button[type=submit]")
        page.wait_for_selector("#rename-form", state="hidden")  # saved: the panel closes, the title shows it
        assert page.get_attribute("#rename-button", "aria-expanded") == "false"
        assert page.text_content("#annotation-name") == "Renamed axon"
        assert page.title() == "Renamed axon · voxelhub"
        assert page.text_content("#annotation-description") == "Traced by hand in layer 4"
        info = owner.get(info_url).json()
        assert (info["name"], info["description"]) == ("Renamed axon", "Traced by hand in layer 4")
        _shot(page, "16-renamed")

        # Download: the NML as an attachment, named after the annotation.
        with page.expect_download() as caught:
            page.click("#download-annotation")
        download = caught.value
        assert download.suggested_filename == "Renamed axon.nml"
        nml = Path(download.path()).read_text(encoding="utf-8")
        assert nml.lstrip().startswith("<?xml") and "<things>" in nml
        assert f'<meta name="annotationId" content="{annotation_id}" />' in nml
        assert 'description="Traced by hand in layer 4"' in nml
        context.close()

        # Another member of the organization (team a1) reads the internal annotation: no Share, no Rename.
        owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": "Internal"}).raise_for_status()
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors += _watch_errors(page)
        log_in(page, base, world.accounts.users["team_a"])
        page.goto(f"/annotations/{annotation_id}")
        _wait_loaded(page)
        page.wait_for_selector("#read-only")
        assert page.locator("#share-button, #share-dialog, #rename-button, #rename-form").count() == 0
        assert page.is_visible("#download-annotation")
        context.close()
        assert errors == []
