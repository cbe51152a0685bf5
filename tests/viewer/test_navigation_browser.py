"""Navigating and sharing as a webKnossos user expects (issue 16), in real Chromium against a real server:
share links that carry the view and a stored edit position for bare links, "Shorten" buttons, wheel = slice
and Ctrl/Alt+wheel = zoom, a layout that fits the window and stays put whatever tool is chosen, and a message
for positions outside the dataset."""

from __future__ import annotations

import re

import httpx2 as httpx

from tests.browser import SHOTS, log_in, needs_chromium
from tests.server import running_server
from tests.viewer.test_viewer_browser import (
    _api_as,
    _hash,
    _new_annotation,
    _shot,
    _wait_for,
    _wait_hash,
    _wait_loaded,
    _watch_errors,
)
from tests.viewer.world import SIZE, build_viewer_world

pytestmark = needs_chromium

PLANES = ("xy", "yz", "xz", "3d")


def _skeleton(owner: httpx.Client, annotation_id: str) -> None:
    """A tree of four nodes, node 4 active."""
    version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
    tree = {"id": 1, "name": "axon", "color": [1, 0.6, 0.1, 1], "comments": [], "branchPoints": []}
    actions: list[dict] = [{"name": "createTree", "value": tree}]
    for i, (x, y, z) in enumerate([(30, 40, 20), (50, 60, 21), (70, 70, 22), (90, 60, 24)], start=1):
        actions.append({"name": "createNode", "value": {"id": i, "treeId": 1, "position": [x, y, z]}})
        if i > 1:
            actions.append({"name": "createEdge", "value": {"treeId": 1, "source": i - 1, "target": i}})
    actions.append({"name": "updateActiveNode", "value": {"activeNode": 4}})
    answer = owner.post(
        f"/api/annotations/{annotation_id}/updates", json={"version": version, "actions": actions}
    )
    assert answer.status_code == 200, answer.text


def _view(page) -> tuple[str, str, int | None]:  # type: ignore[no-untyped-def]
    """What a page shows: the position readout, the zoom in the hash, the skeleton's active node."""
    zoom = _hash(page).lstrip("#").split(",")[4]
    active = page.evaluate(
        "() => window.voxelhubViewer.skeleton ? window.voxelhubViewer.skeleton.activeNodeId : null"
    )
    return page.input_value("#vx-position"), zoom, active


def _over(page, plane: str) -> None:  # type: ignore[no-untyped-def]
    box = page.locator(f'canvas[data-plane="{plane}"]').bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)


def _wheel(page, dy: float, modifier: str | None = None) -> None:  # type: ignore[no-untyped-def]
    if modifier:
        page.keyboard.down(modifier)
    page.mouse.wheel(0, dy)
    if modifier:
        page.keyboard.up(modifier)


def test_share_dialog_link_carries_the_view_and_a_bare_link_opens_where_the_owner_worked(
    settings, session_factory, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Shared view")
        _skeleton(owner, annotation_id)
        info_url = f"/api/annotations/{annotation_id}/info"
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        errors = _watch_errors(page)
        log_in(page, base, world.accounts.users["admin_a"])
        page.goto(f"/annotations/{annotation_id}#60,60,21,0,0.4")
        _wait_loaded(page)

        # The owner adds a node (now the active one), then moves three slices on and zooms in.
        xy = page.locator('canvas[data-plane="xy"]').bounding_box()
        assert xy is not None
        page.mouse.click(xy["x"] + xy["width"] / 2 + 40, xy["y"] + xy["height"] / 2 + 40)
        page.wait_for_selector("#save-status[data-kind=ok]")
        for _ in range(3):
            page.keyboard.press("f")
        _wheel(page, -100, "Control")
        # The hash follows each change on its own schedule: wait for all three (slice, node, zoom) to be in it.
        _wait_for(
            page,
            lambda: _hash(page).endswith(",5") and ",24," in _hash(page) and float(_view(page)[1]) < 0.4,
            "the moved view",
        )
        spot = _hash(page)
        position, zoom, active = _view(page)
        assert (position, active) == ("60, 60, 24", 5) and float(zoom) < 0.4

        # The view is saved with the annotation, without a new version.
        version = owner.get(info_url).json()["version"]
        _wait_for(page, lambda: owner.get(info_url).json()["editPosition"] == [60, 60, 24], "the stored view")
        stored = owner.get(info_url).json()
        assert abs(stored["zoomLevel"] - float(zoom)) < 1e-3 and stored["editRotation"] == [0, 0, 0]
        assert stored["version"] == version

        # The Share dialog's link is the address with the view; Copy puts exactly that on the clipboard.
        page.click("#share-button")
        page.wait_for_selector("#share-dialog[open]")
        _wait_for(page, lambda: page.input_value("#share-url") != "", "the sharing link")
        link = page.input_value("#share-url")
        assert link == f"{base}/annotations/{annotation_id}{spot}", (link, spot)
        assert page.is_visible("#share-view-hint")
        page.click("#share-copy")
        _wait_for(page, lambda: "copied" in (page.text_content("#share-status") or ""), "the copy")
        copied = page.evaluate("() => navigator.clipboard.readText()")
        assert copied == link
        _shot(page, "nav-01-share-dialog-with-view")

        # A colleague (another member of the organization, a fresh browser) opens it: same spot, zoom, node.
        colleague = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        other = colleague.new_page()
        errors += _watch_errors(other)
        log_in(other, base, world.accounts.users["team_a"])
        other.goto(copied)
        _wait_loaded(other)
        other.wait_for_selector("#read-only")
        assert _view(other) == (position, zoom, active)
        _shot(other, "nav-02-colleague-at-the-spot")

        # A bare link (no #…) opens where the owner last worked.
        other.goto(f"/annotations/{annotation_id}")
        _wait_loaded(other)
        assert _view(other) == (position, zoom, active)
        assert _hash(other).startswith(spot.split(",0,0,0,")[0])
        colleague.close()

        # Anonymous link holders never store a view (the owner's stays).
        with httpx.Client(base_url=base) as anonymous:
            assert anonymous.patch(
                f"/api/annotations/{annotation_id}", json={"editPosition": [1, 2, 3]}
            ).status_code in (
                401,
                403,
                404,
            )
        assert owner.get(info_url).json()["editPosition"] == [60, 60, 24]
        context.close()
        assert errors == []


def test_shorten_buttons_give_short_links_that_open_the_view(
    settings, session_factory, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Short")
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        errors = _watch_errors(page)
        log_in(page, base, world.accounts.users["admin_a"])

        # The annotation's Share dialog.
        page.goto(f"/annotations/{annotation_id}#70,30,12,0,0.5")
        _wait_loaded(page)
        page.click("#share-button")
        _wait_for(page, lambda: page.input_value("#share-url") != "", "the sharing link")
        assert page.is_hidden("#share-short-row")
        page.click("#share-shorten")
        page.wait_for_selector("#share-short-row", state="visible")
        short = page.input_value("#share-short-url")
        assert re.fullmatch(rf"{re.escape(base)}/links/[A-Za-z0-9]{{6,16}}", short), short
        _wait_for(page, lambda: "Short link copied" in (page.text_content("#share-status") or ""), "the copy")
        assert page.evaluate("() => navigator.clipboard.readText()") == short
        _shot(page, "nav-03-share-dialog-short-link")
        with httpx.Client() as plain:
            target = plain.get(short).headers["location"]
        assert (
            target == page.input_value("#share-url") == f"{base}/annotations/{annotation_id}#70,30,12,0,0.5"
        )
        page.keyboard.press("Escape")

        # The dataset: its Settings button takes the view along; the sharing link there carries it.
        page.goto(f"/datasets/{world.slug}/view#40,50,12,0,0.5")
        _wait_loaded(page)
        page.click("#settings-link")
        page.wait_for_url(re.compile(r".*/settings#40,50,12,0,0\.5$"))
        page.wait_for_selector("#sharing-link-row", state="visible")
        link = page.input_value("#sharing-link")
        assert link == f"{base}/datasets/{world.slug}/view?token={world.token}#40,50,12,0,0.5"
        assert page.is_visible("#sharing-view-hint")
        page.click("#shorten-sharing-link")
        page.wait_for_selector("#short-link-row", state="visible")
        dataset_short = page.input_value("#short-link")
        assert re.fullmatch(rf"{re.escape(base)}/links/[A-Za-z0-9]{{6,16}}", dataset_short)
        assert page.evaluate("() => navigator.clipboard.readText()") == dataset_short
        _shot(page, "nav-04-settings-short-link")

        # A link holder with no account follows the short link into the viewer, at the view.
        holder = browser.new_context(base_url=base, viewport={"width": 1200, "height": 800})
        holder_page = holder.new_page()
        errors += _watch_errors(holder_page)
        holder_page.goto(dataset_short)
        _wait_loaded(holder_page)
        assert holder_page.input_value("#vx-position") == "40, 50, 12"
        assert holder_page.url == link
        holder.close()

        # "Link to the default view instead" drops the view from the link.
        page.click("#sharing-view-drop")
        assert page.input_value("#sharing-link") == link.split("#")[0]
        assert page.is_hidden("#short-link-row")
        context.close()

        # Shortening needs a login (the API refuses anyone else).
        with httpx.Client(base_url=base) as anonymous:
            assert anonymous.post("/api/shortLinks", json={"longLink": link}).status_code in (401, 403)
        assert errors == []


def test_wheel_moves_through_slices_and_ctrl_or_alt_wheel_zooms(
    settings, session_factory, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        page.goto(f"/datasets/{world.slug}/view?token={world.token}#40,50,20,0,0.5")
        _wait_loaded(page)

        # The plain wheel over XY: one slice in z per notch, the zoom stays.
        _over(page, "xy")
        _wheel(page, 100)
        _wait_hash(page, "#40,50,21,0,0.5")
        assert page.input_value("#vx-position") == "40, 50, 21"
        _wheel(page, -100)
        _wheel(page, -100)
        _wait_hash(page, "#40,50,19,0,0.5")
        # Over YZ it is x that changes; over XZ, y.
        _over(page, "yz")
        _wheel(page, 100)
        _wait_hash(page, "#41,50,19,0,0.5")
        _over(page, "xz")
        _wheel(page, -100)
        _wait_hash(page, "#41,49,19,0,0.5")

        # Ctrl+wheel and Alt+wheel zoom (out for a turn down, in for a turn up), the position stays.
        _over(page, "xy")
        _wheel(page, 100, "Control")
        _wait_for(page, lambda: float(_hash(page).split(",")[4]) > 0.5, "zoomed out")
        assert _hash(page).startswith("#41,49,19,0,")
        out = float(_hash(page).split(",")[4])
        _wheel(page, -100, "Alt")
        _wheel(page, -100, "Alt")
        _wait_for(page, lambda: float(_hash(page).split(",")[4]) < out / 1.2, "zoomed in")
        assert page.input_value("#vx-position") == "41, 49, 19"
        _wait_loaded(page)
        _shot(page, "nav-05-wheel")

        # The keys webKnossos users know: F/D and Space/Shift+Space a slice, arrows move, I/O zoom.
        page.evaluate("() => { window.location.hash = '#40,50,20,0,1'; }")
        _wait_hash(page, "#40,50,20,0,1")
        for key, expected in [
            ("f", "#40,50,21,0,1"),
            ("d", "#40,50,20,0,1"),
            (" ", "#40,50,21,0,1"),
            ("Shift+ ", "#40,50,20,0,1"),
            ("ArrowRight", "#41,50,20,0,1"),
            ("ArrowDown", "#41,51,20,0,1"),
        ]:
            page.keyboard.press(key.replace(" ", "Space") if key != " " else "Space")
            _wait_hash(page, expected)
        page.keyboard.press("i")
        _wait_for(page, lambda: float(_hash(page).split(",")[4]) < 1, "I zooms in")
        page.keyboard.press("o")
        page.keyboard.press("o")
        _wait_for(page, lambda: float(_hash(page).split(",")[4]) > 1, "O zooms out")
        # The page itself never scrolled: the wheel belongs to the viewer.
        assert page.evaluate("() => window.scrollY") == 0
        context.close()
        assert errors == []


def _plane_boxes(page) -> dict[str, dict[str, float]]:  # type: ignore[no-untyped-def]
    boxes = {}
    for plane in PLANES:
        box = page.locator(f'canvas[data-plane="{plane}"]').bounding_box()
        assert box is not None, plane
        boxes[plane] = {k: round(v, 1) for k, v in box.items()}
    return boxes


def test_the_viewer_fits_the_window_and_tools_never_move_the_planes(
    settings, session_factory, browser, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Layout")
        added = owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": "Volume"})
        assert added.status_code == 201, added.text
        for width, height in ((1920, 1080), (1280, 800)):
            context = browser.new_context(base_url=base, viewport={"width": width, "height": height})
            page = context.new_page()
            errors = _watch_errors(page)
            log_in(page, base, world.accounts.users["admin_a"])
            for path in (f"/datasets/{world.slug}/view", f"/annotations/{annotation_id}"):
                page.goto(f"{path}#64,64,32,0,0.5")
                _wait_loaded(page)
                page.wait_for_timeout(200)  # the resize observer's frame
                boxes = _plane_boxes(page)
                for plane, box in boxes.items():
                    # Above the fold and inside the window, each a real share of it.
                    assert box["x"] >= 0 and box["y"] >= 0, (width, path, plane, box)
                    assert box["x"] + box["width"] <= width and box["y"] + box["height"] <= height, (
                        width,
                        path,
                        plane,
                        box,
                    )
                    assert box["width"] > width * 0.2 and box["height"] > height * 0.25, (width, plane, box)
                # Sized to the window: the viewer reaches down to (near) its bottom edge.
                viewer = page.locator("#viewer").bounding_box()
                assert viewer is not None
                assert height - 40 <= viewer["y"] + viewer["height"] <= height, (width, path, viewer)
                _shot(
                    page,
                    f"nav-06-layout-{width}x{height}-{'dataset' if 'datasets' in path else 'annotation'}",
                )

            # Every tool, one after the other (the brush shows its options): the planes do not move.
            toolbar = page.locator(".vx-toolbar").bounding_box()
            tools = page.eval_on_selector_all(".vx-tools button[id^='tool-']", "(bs) => bs.map((b) => b.id)")
            assert {"tool-move", "tool-skeleton", "tool-brush"} <= set(tools), tools
            for tool in [*tools, *reversed(tools)]:
                page.click(f"#{tool}")
                page.wait_for_selector(f"#{tool}[aria-pressed=true]")
                page.wait_for_timeout(100)
                assert _plane_boxes(page) == boxes, (width, tool)
                assert page.locator(".vx-toolbar").bounding_box() == toolbar, (width, tool)
                if tool == "tool-brush":
                    _shot(page, f"nav-07-brush-{width}x{height}")
            context.close()
            assert errors == []


def test_positions_outside_the_dataset_say_so(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        view = f"/datasets/{world.slug}/view?token={world.token}"
        bounds = f"(0, 0, 0 to {SIZE[0] - 1}, {SIZE[1] - 1}, {SIZE[2] - 1})"

        # Far outside: every plane says where the position is and where the data is.
        page.goto(f"{view}#500,50,20,0,0.5")
        page.wait_for_selector("#viewer[data-loaded]")
        for plane in ("xy", "yz", "xz"):
            message = page.locator(f'[data-outside="{plane}"]')
            message.wait_for(state="visible")
            text = message.text_content() or ""
            assert f"Position 500, 50, 20 is outside the dataset's bounds {bounds}" in text, text
        _shot(page, "nav-08-outside")

        # Only z beyond the data: the XY plane (that slice) says so; YZ and XZ still show the data beside it.
        page.goto(f"{view}#40,50,100,0,0.5")
        _wait_loaded(page)
        assert page.is_visible('[data-outside="xy"]')
        assert page.is_hidden('[data-outside="yz"]') and page.is_hidden('[data-outside="xz"]')
        _shot(page, "nav-09-outside-z")

        # "Go to the data" goes to the centre of the dataset; the messages go.
        page.click('[data-outside="xy"] button')
        centre = ", ".join(str(s // 2) for s in SIZE)
        _wait_for(page, lambda: page.input_value("#vx-position") == centre, "the centre")
        for plane in ("xy", "yz", "xz"):
            assert page.is_hidden(f'[data-outside="{plane}"]')
        # Inside the data, no message anywhere (the last voxel is still inside).
        last = ",".join(str(s - 1) for s in SIZE)
        page.evaluate(f"() => {{ window.location.hash = '#{last},0,1'; }}")
        _wait_hash(page, f"#{last},0,1")
        page.wait_for_timeout(100)
        assert all(page.is_hidden(f'[data-outside="{plane}"]') for plane in ("xy", "yz", "xz"))
        context.close()
        assert errors == []
        assert SHOTS.exists()
