"""Real Chromium against a real `voxelhub serve`: the layer panel's brightness, contrast, colour and opacity change
the planes' pixels (and are remembered); the hovered segment's id shows beside the pointer; a click makes it the
active segment, which can be shown alone and meshed; the 3D view shows the planes' image data and the mesh;
an annotation's painted voxels stand out over its fallback segmentation."""

from __future__ import annotations

import base64
import re

import numpy as np

from tests.browser import SHOTS, log_in, needs_chromium
from tests.server import running_server
from tests.viewer.test_viewer_browser import _api_as, _new_annotation, _wait_loaded, _watch_errors
from tests.viewer.world import build_viewer_world

pytestmark = needs_chromium

# Mean R, G, B and the share of lit pixels over the middle half of a canvas.
CANVAS_MEAN = """(plane) => {
  const canvas = document.querySelector(`canvas[data-plane="${plane}"]`);
  const w = canvas.width, h = canvas.height;
  const data = canvas.getContext("2d").getImageData(Math.floor(w / 4), Math.floor(h / 4), Math.floor(w / 2),
    Math.floor(h / 2)).data;
  const sum = [0, 0, 0]; let lit = 0; const values = new Set();
  for (let i = 0; i < data.length; i += 4) {
    sum[0] += data[i]; sum[1] += data[i + 1]; sum[2] += data[i + 2];
    if (data[i] + data[i + 1] + data[i + 2] > 30) lit++;
    values.add(data[i] >> 2);
  }
  const n = data.length / 4;
  return { mean: sum.map((s) => s / n), lit: lit / n, distinct: values.size };
}"""

# How many pixels of the 3D view are a shade (35%..100%) of the colour [r, g, b].
SHADE_PIXELS = """([r, g, b]) => {
  const canvas = document.querySelector('canvas[data-plane="3d"]');
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const norm = r * r + g * g + b * b;
  let count = 0;
  for (let i = 0; i < data.length; i += 4) {
    const k = (data[i] * r + data[i + 1] * g + data[i + 2] * b) / norm;
    if (k < 0.3 || k > 1.05) continue;
    if (Math.abs(data[i] - k * r) < 8 && Math.abs(data[i + 1] - k * g) < 8 && Math.abs(data[i + 2] - k * b) < 8) count++;
  }
  return count;
}"""

# The brightest channel, averaged over a 12×12 patch of the XY canvas at (dx, dy) CSS pixels from its centre.
PATCH_MAX = """([dx, dy]) => {
  const canvas = document.querySelector('canvas[data-plane="xy"]');
  const dpr = canvas.width / canvas.getBoundingClientRect().width;
  const x = Math.round(canvas.width / 2 + dx * dpr), y = Math.round(canvas.height / 2 + dy * dpr);
  const data = canvas.getContext("2d").getImageData(x - 6, y - 6, 12, 12).data;
  let sum = 0;
  for (let i = 0; i < data.length; i += 4) sum += Math.max(data[i], data[i + 1], data[i + 2]);
  return sum / (data.length / 4);
}"""


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"viewer-{name}.png"))


def _xy_centre(page) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    box = page.locator('canvas[data-plane="xy"]').bounding_box()
    assert box is not None
    return box["x"] + box["width"] / 2 + 3, box["y"] + box["height"] / 2 + 3


def _settle(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(120)  # the next animation frame has drawn
    _wait_loaded(page)


def test_layer_looks_segments_3d_and_meshes(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        view = f"/datasets/{world.slug}/view?token={world.token}"
        page.goto(f"{view}#64,64,32,0,0.5")
        _wait_loaded(page)

        # The 3D view shows the planes' image data, not flat translucent quads.
        three = page.evaluate(CANVAS_MEAN, "3d")
        assert three["distinct"] > 25, three

        # Brightness, contrast, colour and opacity of the image layer change the plane's pixels.
        page.uncheck('input[data-layer-toggle="segmentation"]')
        _settle(page)
        before = page.evaluate(CANVAS_MEAN, "xy")
        page.fill('input[data-layer-brightness="color"]', "0.3")
        _settle(page)
        brighter = page.evaluate(CANVAS_MEAN, "xy")
        assert brighter["mean"][0] > before["mean"][0] + 45, (before, brighter)
        page.fill('input[data-layer-contrast="color"]', "3")
        _settle(page)
        contrasted = page.evaluate(CANVAS_MEAN, "xy")
        assert contrasted["mean"][0] != brighter["mean"][0]
        page.fill('input[data-layer-tint="color"]', "#ff0000")
        _settle(page)
        red = page.evaluate(CANVAS_MEAN, "xy")
        assert red["mean"][0] > 60 and red["mean"][1] < 2 and red["mean"][2] < 2, red
        _shot(page, "20-layer-look-red")
        page.fill('input[data-layer-opacity="color"]', "0.5")
        _settle(page)
        faded = page.evaluate(CANVAS_MEAN, "xy")
        assert abs(faded["mean"][0] - red["mean"][0] / 2) < 8, (red, faded)

        # The looks are remembered for this dataset in this browser; Reset goes back to the data's own.
        page.reload()
        _wait_loaded(page)
        assert page.input_value('input[data-layer-brightness="color"]') == "0.3"
        assert page.input_value('input[data-layer-tint="color"]') == "#ff0000"
        page.uncheck('input[data-layer-toggle="segmentation"]')  # visibility is not remembered
        page.click('button[data-layer-reset="color"]')
        _settle(page)
        reset = page.evaluate(CANVAS_MEAN, "xy")
        assert abs(reset["mean"][0] - before["mean"][0]) < 2 and abs(reset["mean"][1] - before["mean"][1]) < 2
        assert page.input_value('input[data-layer-brightness="color"]') == "0"

        # Hovering shows the segment's id beside the pointer (the same the footer names).
        page.check('input[data-layer-toggle="segmentation"]')
        _settle(page)
        xy = page.locator('canvas[data-plane="xy"]').bounding_box()
        assert xy is not None
        cx, cy = xy["x"] + xy["width"] / 2, xy["y"] + xy["height"] / 2
        page.mouse.move(cx + 3, cy + 3)
        tip = page.locator('.vx-segment-tip[data-plane="xy"]')
        tip.wait_for(state="visible")
        segment = re.search(r"segment (\d+)", tip.text_content() or "")
        assert segment, tip.text_content()
        assert f"segment {segment[1]}" in (page.text_content("#vx-hover") or "")
        _shot(page, "21-hover-segment-id")

        # A click makes it the active segment; "only the active segment" hides every other one.
        page.mouse.click(cx + 3, cy + 3)
        active = page.locator('[data-active-segment="segmentation"]')
        assert segment[1] in (active.text_content() or "")
        page.uncheck('input[data-layer-toggle="color"]')
        _settle(page)
        all_segments = page.evaluate(CANVAS_MEAN, "xy")
        page.check('input[data-layer-only-active="segmentation"]')
        _settle(page)
        only = page.evaluate(CANVAS_MEAN, "xy")
        assert all_segments["lit"] > 0.9 and 0.005 < only["lit"] < 0.4, (all_segments, only)
        _shot(page, "22-only-active-segment")
        page.uncheck('input[data-layer-only-active="segmentation"]')
        page.check('input[data-layer-toggle="color"]')

        # "Load mesh" meshes the active segment on the server and the 3D view shows it in the segment's colour.
        assert page.input_value('input[data-mesh-segment="segmentation"]') == segment[1]
        rgb = [
            int(v) for v in re.findall(r"\d+", active.locator(".vx-swatch").get_attribute("style") or "")[:3]
        ]
        assert len(rgb) == 3
        shaded_before = page.evaluate(SHADE_PIXELS, rgb)
        page.click('button[data-load-mesh="segmentation"]')
        page.wait_for_selector(f'[data-meshes="segmentation"] li[data-mesh="{segment[1]}"][data-state=ready]')
        _settle(page)
        shaded = page.evaluate(SHADE_PIXELS, rgb)
        assert shaded > shaded_before + 300, (shaded_before, shaded)
        _shot(page, "23-mesh-in-3d")
        # A segment that is not there says so.
        page.fill('input[data-mesh-segment="segmentation"]', "4000000000")
        page.click('button[data-load-mesh="segmentation"]')
        page.wait_for_selector('[data-meshes="segmentation"] li[data-mesh="4000000000"][data-state=error]')
        assert "has no voxels" in page.text_content('[data-meshes="segmentation"]')
        errors[:] = [e for e in errors if "404 (Not Found)" not in e]  # the browser logs the expected 404
        assert errors == []
        context.close()


def test_painted_voxels_stand_out_over_the_fallback(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Painted over")
        added = owner.post(f"/api/annotations/{annotation_id}/volumes", json={"name": "Volume"})
        assert added.status_code == 201, added.text
        version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
        painted = np.zeros((32, 32, 32), dtype="<u4")
        painted[:, :, 20] = 7777  # x 32..63, y 32..63 at z = 20; the rest of the layer is the fallback's
        bucket = {
            "mag": [1, 1, 1],
            "position": [1, 1, 0],
            "data": base64.b64encode(painted.tobytes(order="F")).decode(),
        }
        owner.post(
            f"/api/annotations/{annotation_id}/layers/Volume/buckets",
            json={"version": version, "buckets": [bucket]},
        ).raise_for_status()

        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors = _watch_errors(page)
        log_in(page, base, world.accounts.users["admin_a"])
        page.goto(f"/annotations/{annotation_id}#48,48,20,0,0.5")
        _wait_loaded(page)
        page.uncheck('input[data-layer-toggle="color"]')
        _settle(page)
        # 2 CSS pixels a voxel: the centre is painted, 56 pixels left (x = 20) only the fallback's segment.
        painted_level = page.evaluate(PATCH_MAX, [0, 0])
        fallback_level = page.evaluate(PATCH_MAX, [-56, 0])
        assert painted_level > 110 and fallback_level < 70, (painted_level, fallback_level)
        assert painted_level > 2 * fallback_level
        _shot(page, "24-painted-over-fallback")

        # The painted segment's mesh, from the annotation's own layer, shows in the 3D view.
        page.click("#tool-move")
        page.mouse.click(*_xy_centre(page))  # the painted segment becomes the active one: its colour
        swatch = page.get_attribute('[data-active-segment="volume:Volume"] .vx-swatch', "style") or ""
        rgb = [int(v) for v in re.findall(r"\d+", swatch)[:3]]
        assert page.input_value('input[data-mesh-segment="volume:Volume"]') == "7777"
        page.uncheck('input[data-layer-toggle="volume:Volume"]')  # its colour no longer in the planes' images
        _settle(page)
        before = page.evaluate(SHADE_PIXELS, rgb)
        page.click('button[data-load-mesh="volume:Volume"]')
        page.wait_for_selector('[data-meshes="volume:Volume"] li[data-mesh="7777"][data-state=ready]')
        _settle(page)
        assert page.evaluate(SHADE_PIXELS, rgb) > before + 300
        _shot(page, "25-painted-mesh")
        assert errors == []
        context.close()
