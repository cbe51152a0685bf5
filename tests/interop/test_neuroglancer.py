"""The real Neuroglancer client opens "Open in Neuroglancer" and shows the demo's EM volume, and shows nothing
once the sharing link is revoked.

The client is the build the PyPI package `neuroglancer` ships (in the interop venv, never a runtime
dependency), served here by a tiny static server on loopback. That build is the one of Neuroglancer's Python
integration: it must be served below `/v/{token}/` and keeps trying to reach a Python server at `/events/…`,
which this server answers 404 (the client then says "Disconnected from Python server" and works on, from the
state in the URL). The dataset is the demo's synthetic EM volume (zarr3, 32³ chunks, blosc, transpose codec
[0, 3, 2, 1]), smaller than the demo's, private, read through its sharing link only. The state comes from the
settings page's own link, with VOXELHUB_NEUROGLANCER_URL pointing at the local client. Chromium renders with
software WebGL (no GPU flags).
"""

from __future__ import annotations

import functools
import io
import json
import subprocess
import threading
import time
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx2 as httpx
import numpy as np
import pytest

from tests.browser import CHROMIUM, SHOTS, log_in, needs_chromium
from tests.datasets.helpers import register_folder
from tests.factories import PASSWORD, build_world
from tests.server import running_server
from voxelhub.datasets.demo_data import build_synthetic

pytestmark = [pytest.mark.interop, needs_chromium]

CLIENT_PREFIX = "/v/voxelhub/"
LOAD_SECONDS = 90  # software WebGL on a shared 2-core machine
# Layer load state of every managed layer: "ok", "error: …" or "loading" (Neuroglancer's own objects).
LAYER_STATES = """() => (window.viewer ? window.viewer.layerManager.managedLayers.map((managed) => {
  if (!managed.layer) return "loading";
  const states = managed.layer.dataSources.map((source) => source.loadState);
  const failed = states.find((state) => state && state.error);
  if (failed) return "error: " + failed.error.message;
  return states.every((state) => state && !state.error) ? "ok" : "loading";
}) : null)"""


@pytest.fixture(scope="module")
def neuroglancer_client(interop_python: str) -> Path:
    """The built client inside the interop venv's `neuroglancer` package."""
    done = subprocess.run(
        [
            interop_python,
            "-c",
            "import importlib.util; print(importlib.util.find_spec('neuroglancer').submodule_search_locations[0])",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        pytest.skip(f"the interop venv has no `neuroglancer` package:\n{done.stderr[-2000:]}")
    client = Path(done.stdout.strip()) / "static" / "client"
    if not (client / "index.html").is_file():
        pytest.skip(f"the `neuroglancer` package ships no built client at {client}")
    return client


class _ClientFiles(SimpleHTTPRequestHandler):
    """The client's files below CLIENT_PREFIX; anything else (the Python server's `/events/…`) is 404."""

    extensions_map = {
        **SimpleHTTPRequestHandler.extensions_map,
        ".js": "text/javascript",
        ".wasm": "application/wasm",
    }

    def translate_path(self, path: str) -> str:
        if not path.startswith(CLIENT_PREFIX):
            return "/nonexistent"
        return super().translate_path("/" + path[len(CLIENT_PREFIX) :])

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-store")
        super().end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def client_url(neuroglancer_client: Path) -> Iterator[str]:
    handler = functools.partial(_ClientFiles, directory=str(neuroglancer_client))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{CLIENT_PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


def _data_pixels(png: bytes) -> tuple[float, float]:
    """(fraction of grey mid-tone pixels, their standard deviation) of a panel screenshot: EM data is grey
    with many levels; an empty panel is one background colour plus coloured crosshairs and a white scale bar."""
    from PIL import Image

    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(np.int16)
    spread = rgb.max(axis=2) - rgb.min(axis=2)
    level = rgb.mean(axis=2)
    grey = (spread <= 2) & (level > 8) & (level < 247)
    background = np.bincount(level.astype(np.int64).ravel()).argmax()
    data = grey & (np.abs(level - background) > 3)
    values = level[data]
    return float(data.mean()), float(values.std()) if values.size else 0.0


def _open(browser: Any, url: str, name: str) -> tuple[list[str], tuple[float, float], list[str]]:
    """Opens the state in a fresh browser context; waits until the layer loaded and the first panel shows
    data (or the time is up); returns the layer states, the panel's pixel figures and failed data requests."""
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    failed: list[str] = []
    page.on(
        "response",
        lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 and "/data/" in r.url else None,
    )
    try:
        page.goto(url)
        deadline = time.monotonic() + LOAD_SECONDS
        states: list[str] = []
        figures = (0.0, 0.0)
        while time.monotonic() < deadline:
            page.wait_for_timeout(1000)
            states = page.evaluate(LAYER_STATES) or []
            panel = page.query_selector(".neuroglancer-rendered-data-panel")
            if panel is None:
                continue
            figures = _data_pixels(panel.screenshot())
            if any(s.startswith("error") for s in states) or (
                states and figures[0] > 0.2 and "loading" not in states
            ):
                page.wait_for_timeout(2000)  # let the rest of the visible chunks arrive for the picture
                break
        states = page.evaluate(LAYER_STATES) or []
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / f"neuroglancer-{name}.png"))
        panel = page.query_selector(".neuroglancer-rendered-data-panel")
        if panel is not None:
            shot = panel.screenshot(path=str(SHOTS / f"neuroglancer-{name}-panel.png"))
            figures = _data_pixels(shot)
        return states, figures, failed
    finally:
        context.close()


@pytest.fixture
def neuroglancer_browser() -> Iterator[Any]:
    """Chromium as the other browser tests start it, less --disable-gpu: Neuroglancer needs WebGL2, which
    Chromium then gives in software."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def test_neuroglancer_shows_the_demo_volume_through_the_sharing_link_until_revoked(  # type: ignore[no-untyped-def]
    settings, session_factory, monkeypatch, client_url, neuroglancer_browser
) -> None:
    world = build_world(session_factory)
    folder = build_synthetic(Path(settings.datasets_dir) / "em-demo", size=(256, 256, 128))
    dataset_id = register_folder(session_factory, world.org_ids["a"], folder, name="em-demo")  # private
    monkeypatch.setenv("VOXELHUB_NEUROGLANCER_URL", client_url)
    admin = world.users["admin_a"]
    with running_server(settings) as base:
        # The link exactly as the settings page builds it (its first visit creates the sharing link).
        context = neuroglancer_browser.new_context(base_url=base)
        page = context.new_page()
        log_in(page, base, admin)
        page.goto(f"/datasets/em-demo-{dataset_id}/settings")
        page.wait_for_selector("#streaming-active:not([hidden])")
        link = page.get_attribute("#neuroglancer-link", "href")
        context.close()
        assert link is not None and link.startswith(f"{client_url}#!")
        state = json.loads(unquote(link.split("#!", 1)[1]))
        assert [layer["source"] for layer in state["layers"]] == [
            f"zarr://{base}/data/s/{token}/zarr-c/{dataset_id}/{name}/"
            for token in [state["layers"][0]["source"].split("/data/s/")[1].split("/")[0]]
            for name in ("color", "segmentation")
        ]

        states, (fraction, spread), failed = _open(neuroglancer_browser, link, "em-demo")
        assert states == ["ok", "ok"], f"layer states {states}; failed requests {failed[:5]}"
        assert fraction > 0.2 and spread > 5, (
            f"the panel shows no EM data: {fraction:.3f} grey, std {spread:.1f}"
        )

        with httpx.Client(base_url=base, timeout=30) as api:
            answer = api.post("/api/auth/login", json={"email": admin, "password": PASSWORD})
            api.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
            assert api.delete(f"/api/datasets/{dataset_id}/sharingToken").status_code == 204

        states, (fraction, spread), failed = _open(neuroglancer_browser, link, "em-demo-revoked")
        assert states and all(s.startswith("error") for s in states), states
        assert fraction < 0.01, f"the revoked link still shows data: {fraction:.3f} grey"
        assert failed and all(f.startswith("404 ") for f in failed)
