"""Start real `voxelhub serve` processes on loopback for tests, and stop them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx2 as httpx

from voxelhub.settings import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(port: int, workers: int = 1, *args: str) -> list[str]:
    """`voxelhub serve` on 127.0.0.1:port with this interpreter (more `serve` flags in `args`)."""
    return [
        sys.executable,
        "-m",
        "voxelhub.cli",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
        *args,
    ]


@contextmanager
def running_server(settings: Settings, *, workers: int = 1, args: Sequence[str] = ()) -> Iterator[str]:
    """A `voxelhub serve` process on 127.0.0.1 using the given settings' database (and more `serve` flags in
    `args`); yields its base URL."""
    port = free_port()
    env = dict(os.environ, VOXELHUB_DATA_DIR=str(settings.data_dir), PYTHONUNBUFFERED="1")
    if settings.database_url:
        env["VOXELHUB_DATABASE_URL"] = settings.database_url
    Path(settings.data_dir).mkdir(parents=True, exist_ok=True)
    log_path = Path(settings.data_dir) / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            serve_command(port, workers, *args),
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, process, log_path)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_up(base: str, process: subprocess.Popen, log_path: Path) -> None:  # type: ignore[type-arg]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base}/api/buildinfo", timeout=1).status_code < 500:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError(f"server did not come up:\n{log_path.read_text()}")
