"""An S3-compatible server (moto) on 127.0.0.1 for tests: real HTTP, real s3fs, nothing mocked in-process."""

from __future__ import annotations

import socket
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
