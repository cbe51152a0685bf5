"""The viewer's first screen in Chromium: navigation to the three planes filled at full resolution.

Builds the demo (`voxelhub demo`: its 512×512×256 EM volume with a segmentation), serves it on loopback and
opens the demo's sharing link to that volume in headless Chromium (Debian's, through Playwright) in a fresh
browser context each run (no cached buckets). It reports:
  - first screen: ms from navigation until every bucket of the first view is drawn (the viewer sets
    `data-first-screen-ms` on its root then), and when the first bucket answer arrived;
  - the bucket answers of the first screen: how many, bytes over the wire and decoded;
  - drag: frames per second while the XY plane is dragged for 2 s (requestAnimationFrame callbacks counted
    in the page; the viewer redraws on every frame the view moves).
It does this with bucket answers compressed (the default) and plain (`VOXELHUB_COMPRESS_BUCKETS=0`), and, given
`--before PATH` (a checkout's `src`, e.g. /work/main/src), once more with that code's server and viewer.

Usage: .venv/bin/python bench/bench_first_screen.py [--runs 3] [--before /work/main/src] [--width 1280 --height 800]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_serving import machine, serve_with_env  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
# The viewer's own mark; code without it (`--before`) is timed at the first frame its root says `loaded`.
FIRST_SCREEN = """() => { const root = document.querySelector(".vx-viewer");
  if (!root || root.dataset.loaded !== "true") return false;
  return Number(root.dataset.firstScreenMs || performance.now()); }"""
# Main-thread tasks over 50 ms (the page's own work: modules, JSON, decoding answers into buckets, painting).
LONG_TASKS = """window.__long = []; new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.__long.push([e.startTime, e.duration]); }).observe({ type: "longtask", buffered: true });"""
COUNT_FRAMES = """() => { window.__frames = 0; const tick = () => { window.__frames += 1; requestAnimationFrame(tick); };
  requestAnimationFrame(tick); }"""


def build_demo(data_dir: Path, env: dict[str, str]) -> str:
    """Runs `voxelhub demo`; answers the path (with ?token=) of the sharing link to the synthetic EM volume."""
    out = subprocess.run(
        [sys.executable, "-m", "voxelhub.cli", "demo"], env=env, capture_output=True, text=True, check=True
    ).stdout
    link = re.search(r"sharing link: \S+?(/datasets/\S+)", out)
    if link is None:
        raise RuntimeError(f"no sharing link in the demo's output:\n{out}")
    return link.group(1)


def serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    return serve_with_env(env, port)


def one_view(browser: Any, url: str, size: tuple[int, int]) -> dict[str, float]:
    context = browser.new_context(viewport={"width": size[0], "height": size[1]})
    page = context.new_page()
    page.add_init_script(LONG_TASKS)
    finished: list[
        Any
    ] = []  # the bucket requests, the viewer's worker's included (not in the page's timings)
    page.on("requestfinished", lambda r: finished.append(r) if "/buckets" in r.url else None)
    try:
        page.goto(url)
        first = float(page.wait_for_function(FIRST_SCREEN, polling="raf", timeout=60_000).json_value())
        entries = bucket_entries(finished, page.evaluate("() => performance.timeOrigin"))
        answers = [e for e in entries if e["end"] <= first]
        long_tasks = page.evaluate("() => window.__long")
        busy = sum(d for start, d in long_tasks if start < first)
        canvas = page.locator('canvas.vx-canvas[data-plane="xy"]')
        box = canvas.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        page.mouse.move(x, y)
        page.evaluate(COUNT_FRAMES)
        page.mouse.down()
        started = time.perf_counter()
        step = 0
        while time.perf_counter() - started < 2.0:
            step += 1
            page.mouse.move(x + 120 * ((step % 40) / 40 - 0.5), y + 60 * ((step % 25) / 25 - 0.5))
        elapsed = time.perf_counter() - started
        page.mouse.up()
        frames = page.evaluate("() => window.__frames")
        return {
            "first_ms": first,
            "first_request_ms": min((e["start"] for e in entries), default=float("nan")),
            "first_answer_ms": min((e["end"] for e in entries), default=float("nan")),
            "last_answer_ms": max((e["end"] for e in answers), default=float("nan")),
            "long_tasks_ms": busy,
            "answers": len(answers),
            "wire_mb": sum(e["wire"] for e in answers) / 1e6,
            "decoded_mb": sum(e["decoded"] for e in answers) / 1e6,
            "drag_fps": frames / elapsed,
        }
    finally:
        context.close()


def bucket_entries(requests: list[Any], origin: float) -> list[dict[str, float]]:
    """Start and end (ms since navigation), bytes over the wire and decoded, of each bucket request."""
    out = []
    for request in requests:
        timing = request.timing
        start = timing["startTime"] - origin
        asked = json.loads(request.post_data_buffer or b"{}").get("buckets", [])
        bytes_per = 4 if "/segmentation/" in request.url else 1  # the demo's uint32 and uint8 layers
        out.append(
            {
                "start": start,
                "end": start + timing["responseEnd"],
                "wire": request.sizes()["responseBodySize"],
                "decoded": len(asked) * 32**3 * bytes_per,
            }
        )
    return out


def measure(
    browser: Any, env: dict[str, str], link: str, runs: int, size: tuple[int, int]
) -> dict[str, float]:
    port = random.randrange(20000, 30000)
    server = serve(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        one_view(browser, base + link, size)  # warm: the server's first requests, the page cache
        results = [one_view(browser, base + link, size) for _ in range(runs)]
    finally:
        server.terminate()
        server.wait()
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--before", type=Path, help="another checkout's src folder to measure as 'before'")
    parser.add_argument(
        "--data", type=Path, help="a data folder to keep the demo in between runs (default: temporary)"
    )
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=800)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    print(f"machine: {machine()}; Chromium {CHROMIUM}, viewport {args.width}×{args.height}")
    size = (args.width, args.height)
    with tempfile.TemporaryDirectory() as tmp:
        data = args.data.resolve() if args.data else Path(tmp) / "data"
        env = dict(os.environ, VOXELHUB_DATA_DIR=str(data), VOXELHUB_DATABASE_URL="")
        env.pop("VOXELHUB_DECODED_CHUNK_CACHE_MB", None)
        link = build_demo(data, env)
        variants = {
            "compressed (default)": env,
            "plain (VOXELHUB_COMPRESS_BUCKETS=0)": dict(env, VOXELHUB_COMPRESS_BUCKETS="0"),
        }
        if args.before:
            variants[f"before ({args.before})"] = dict(env, PYTHONPATH=str(args.before.resolve()))
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM,
                headless=True,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            try:
                for name, variant_env in variants.items():
                    got = measure(browser, variant_env, link, args.runs, size)
                    print(
                        f"{name:36s} first screen {got['first_ms']:5.0f} ms (buckets asked from {got['first_request_ms']:4.0f},"
                        f" answers {got['first_answer_ms']:4.0f}–{got['last_answer_ms']:4.0f} ms; main thread in long tasks"
                        f" {got['long_tasks_ms']:4.0f} ms)"
                        f" | {got['answers']:3.0f} bucket answers, {got['wire_mb']:6.2f} MB on the wire,"
                        f" {got['decoded_mb']:6.2f} MB decoded | drag {got['drag_fps']:5.1f} frames/s"
                    )
            finally:
                browser.close()
    print("goal: first screen ≤ 1000 ms on loopback (median of the runs)")


if __name__ == "__main__":
    main()
