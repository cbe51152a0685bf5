"""An S3-compatible server (moto) on 127.0.0.1 for tests: real HTTP, real s3fs, nothing mocked in-process."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

BUCKET = "voxelhub-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_s3() -> Iterator[dict[str, Any]]:
    """Start moto's server on a free loopback port with one bucket; yields s3fs storage options."""
    from moto.server import ThreadedMotoServer

    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    options = {
        "endpoint_url": f"http://127.0.0.1:{port}",
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "us-east-1"},
    }
    try:
        request = urllib.request.Request(f"{options['endpoint_url']}/{BUCKET}", method="PUT")
        urllib.request.urlopen(request, timeout=10).close()
        yield options
    finally:
        server.stop()


def upload_dir(options: dict[str, Any], local: Path, prefix: str) -> str:
    """Copy a folder into the test bucket; returns its s3:// URL."""
    import s3fs

    fs = s3fs.S3FileSystem(**options, skip_instance_cache=True)
    files = {
        f"{BUCKET}/{prefix}/{path.relative_to(local).as_posix()}": path.read_bytes()
        for path in Path(local).rglob("*")
        if path.is_file()
    }
    fs.pipe(files)  # s3fs sends these concurrently
    return f"s3://{BUCKET}/{prefix}"


class S3Process:
    """A moto server in a process of its own, so that a test can pause it (SIGSTOP) like a store that stops
    answering, and count the requests it was sent (its request log)."""

    def __init__(self, process: subprocess.Popen[bytes], log: Path, options: dict[str, Any]) -> None:
        self.process = process
        self.log = log
        self.options = options

    def requests(self) -> list[str]:
        """Request lines so far (`GET /bucket/key`), oldest first."""
        time.sleep(0.3)  # the server writes a request's line after answering it
        lines = self.log.read_text(errors="replace").splitlines()
        return [" ".join(found.group(1, 2)) for line in lines if (found := _REQUEST_LINE.search(line))]

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


_REQUEST_LINE = re.compile(r'"(?:\x1b\[[0-9;]*m)*([A-Z]+) (\S+) HTTP/')  # werkzeug may colour its lines


@contextmanager
def running_s3_process(log: Path) -> Iterator[S3Process]:
    """moto's server as a child process on a free loopback port, with the test bucket; logs requests to `log`."""
    port = _free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    options = {
        "endpoint_url": f"http://127.0.0.1:{port}",
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "us-east-1"},
    }
    try:
        _create_bucket(options["endpoint_url"])
        yield S3Process(process, log, options)
    finally:
        os.kill(process.pid, signal.SIGCONT)
        process.terminate()
        process.wait(timeout=10)


def _create_bucket(endpoint: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            request = urllib.request.Request(f"{endpoint}/{BUCKET}", method="PUT")
            urllib.request.urlopen(request, timeout=5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
