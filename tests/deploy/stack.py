"""The parts of a several-process deployment, started for real on loopback: a PostgreSQL database of its own,
moto's S3 server as a separate process (so that it can be paused with SIGSTOP), `voxelhub serve` processes and
nginx in front of them. Everything listens on 127.0.0.1 only and is stopped (and the database dropped) after."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from unittest import mock

import httpx2 as httpx
from sqlalchemy import create_engine, make_url, text

from tests.server import free_port, serve_command
from tests.storage.s3server import BUCKET  # the bucket tests.storage.s3server.upload_dir writes to

NGINX = shutil.which("nginx", path=f"{os.environ.get('PATH', '')}:/usr/sbin") or ""  # Debian: nginx-light
# Every process of a deployment uses the same key (README: VOXELHUB_SECRET_KEY); the data folders differ.
SECRET_KEY = "deploy-suite-secret-key-" + "k" * 24


def postgres_url() -> str:
    """The PostgreSQL server the suite may create databases on: the one the PostgreSQL pass of the test suite
    uses (VOXELHUB_DATABASE_URL), or "" when the suite runs on SQLite."""
    url = os.environ.get("VOXELHUB_DATABASE_URL", "")
    return url if url.startswith("postgresql") else ""


def postgres_unreachable(url: str) -> str:
    """Why PostgreSQL at `url` cannot be used, or "" when it answers."""
    engine = create_engine(url, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return ""
    except Exception as exc:  # noqa: BLE001 - any failure means: skip, naming it
        return f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    finally:
        engine.dispose()


@contextmanager
def fresh_database(server_url: str) -> Iterator[str]:
    """A new, empty database on the server of `server_url` (named after that URL's database, which must exist:
    it is where CREATE DATABASE is issued), dropped afterwards; yields its URL."""
    base = make_url(server_url)
    name = f"{base.database}_deploy_{secrets.token_hex(4)}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the object store -------------------------------------------------------------------------------------


@dataclass
class S3Server:
    process: subprocess.Popen  # type: ignore[type-arg]
    options: dict[str, Any]

    def pause(self) -> None:
        os.kill(self.process.pid, signal.SIGSTOP)

    def resume(self) -> None:
        os.kill(self.process.pid, signal.SIGCONT)


@contextmanager
def running_s3(log_dir: Path) -> Iterator[S3Server]:
    """moto's S3 server in a process of its own, with one bucket."""
    port = free_port()
    with open(log_dir / "moto.log", "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    endpoint = f"http://127.0.0.1:{port}"
    server = S3Server(
        process,
        {
            "endpoint_url": endpoint,
            "key": "testing",
            "secret": "testing",
            "client_kwargs": {"region_name": "us-east-1"},
        },
    )
    try:
        _wait_for(lambda: _put(f"{endpoint}/{BUCKET}"), process, log_dir / "moto.log")
        yield server
    finally:
        server.resume()  # a test that paused it may have failed before resuming
        _stop(process)


def _put(url: str) -> bool:
    try:
        urllib.request.urlopen(urllib.request.Request(url, method="PUT"), timeout=2).close()
        return True
    except OSError:
        return False


# --- voxelhub processes -----------------------------------------------------------------------------------


@dataclass
class Deployment:
    """What every process of one deployment shares (docs/deploy.md: "what each process needs to see")."""

    database_url: str
    s3: S3Server
    root: Path
    public_url: str = "http://127.0.0.1"
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self, data_dir: Path) -> dict[str, str]:
        return {
            **os.environ,
            "VOXELHUB_DATABASE_URL": self.database_url,
            "VOXELHUB_DATA_DIR": str(data_dir),  # each process its own: nothing may depend on sharing it
            "VOXELHUB_SECRET_KEY": SECRET_KEY,
            "VOXELHUB_VOLUMES_URL": f"s3://{BUCKET}/volumes",
            "VOXELHUB_VOLUMES_STORAGE_OPTIONS": json.dumps(self.s3.options),
            # Datasets on the store name this profile; its credentials stay out of the database.
            "VOXELHUB_STORAGE_PROFILES": json.dumps({"lab-s3": self.s3.options}),
            "VOXELHUB_PUBLIC_URL": self.public_url,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }

    def cli(self, *args: str) -> None:
        """Run a `voxelhub` command in this process, as an operator would on one machine of the deployment."""
        from voxelhub.cli import main

        data_dir = self.root / "cli-data"
        with mock.patch.dict(os.environ, self.env(data_dir), clear=True):
            code = main(["--data-dir", str(data_dir), *args])
        assert code == 0, f"voxelhub {' '.join(args[:2])} exited {code}"


@dataclass
class Process:
    name: str
    port: int
    popen: subprocess.Popen  # type: ignore[type-arg]
    log: Path
    metrics_port: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        """How nginx names this process in $upstream_addr."""
        return f"127.0.0.1:{self.port}"

    def stop(self) -> None:
        _stop(self.popen)


def start_process(
    deployment: Deployment,
    name: str,
    *,
    args: Sequence[str] = ("--no-migrate",),
    workers: int = 1,
    port: int | None = None,
    metrics: bool = True,
    env: dict[str, str] | None = None,
) -> Process:
    """Start `voxelhub serve` (not yet waiting for it: see `wait_until_up`), trusting nginx on 127.0.0.1."""
    port = port or free_port()
    data_dir = deployment.root / f"data-{name}"
    data_dir.mkdir(parents=True, exist_ok=True)
    metrics_port = free_port() if metrics else None
    command = serve_command(port, workers, "--proxy-headers", "--forwarded-allow-ips", "127.0.0.1", *args)
    if metrics_port:
        command += ["--metrics-port", str(metrics_port)]
    log = deployment.root / f"serve-{name}.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            command, env={**deployment.env(data_dir), **(env or {})}, stdout=out, stderr=subprocess.STDOUT
        )
    return Process(name, port, popen, log, metrics_port)


def wait_until_up(process: Process, timeout: float = 90) -> None:
    _wait_for(lambda: _answers(f"{process.url}/api/buildinfo"), process.popen, process.log, timeout)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


# --- nginx ------------------------------------------------------------------------------------------------

NGINX_CONF = """\
worker_processes 1;
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log info;
events {{ worker_connections 512; }}
http {{
    access_log {dir}/access.log;
    client_body_temp_path {dir}/tmp/body;
    proxy_temp_path {dir}/tmp/proxy;
    fastcgi_temp_path {dir}/tmp/fastcgi;
    uwsgi_temp_path {dir}/tmp/uwsgi;
    scgi_temp_path {dir}/tmp/scgi;
    upstream voxelhub {{
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        client_max_body_size 64m;
        location / {{
            proxy_pass http://voxelhub;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # The connecting address, never a value the client sent: what voxelhub keys its limits on.
            proxy_set_header X-Forwarded-For $remote_addr;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_connect_timeout 2s;
            proxy_read_timeout 120s;
            proxy_next_upstream error timeout;
            # Which process answered (a list when nginx had to try another): lets the tests see the routing.
            add_header X-Upstream $upstream_addr always;
        }}
    }}
}}
"""


@dataclass
class Nginx:
    url: str
    popen: subprocess.Popen  # type: ignore[type-arg]
    folder: Path


@contextmanager
def running_nginx(folder: Path, upstream_ports: Sequence[int], *, port: int | None = None) -> Iterator[Nginx]:
    """nginx in the foreground with a generated config, round robin over the given ports; a port whose process
    is down is skipped for every request (max_fails=0: never marked down, so a restarted process is used at once)."""
    (folder / "tmp").mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    servers = "\n".join(f"        server 127.0.0.1:{p} max_fails=0;" for p in upstream_ports)
    conf = folder / "nginx.conf"
    conf.write_text(NGINX_CONF.format(dir=folder, port=port, servers=servers))
    if os.geteuid() == 0:  # as root, workers would switch to `nobody`, who cannot write the temp folders here
        conf.write_text("user root;\n" + conf.read_text())
    log = folder / "stderr.log"
    with open(log, "wb") as out:
        popen = subprocess.Popen(
            [NGINX, "-p", str(folder), "-e", str(folder / "error.log"), "-c", str(conf)],
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    nginx = Nginx(f"http://127.0.0.1:{port}", popen, folder)
    try:
        _wait_for(lambda: _listening(port), popen, log)
        yield nginx
    finally:
        _stop(popen)


def _listening(port: int) -> bool:
    import socket

    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


# --- shared -----------------------------------------------------------------------------------------------


def _wait_for(ready, popen: subprocess.Popen, log: Path, timeout: float = 60) -> None:  # type: ignore[no-untyped-def,type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if popen.poll() is not None:
            raise RuntimeError(f"{popen.args[:4]} exited {popen.returncode}:\n{_tail(log)}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{popen.args[:4]} did not come up in {timeout} s:\n{_tail(log)}")


def _tail(log: Path) -> str:
    return log.read_text(errors="replace")[-4000:] if log.exists() else "(no log)"


def _stop(popen: subprocess.Popen) -> None:  # type: ignore[type-arg]
    if popen.poll() is not None:
        return
    popen.terminate()
    try:
        popen.wait(timeout=15)
    except subprocess.TimeoutExpired:
        popen.kill()
        popen.wait()
