"""`voxelhub serve`: migrate once (or, with --no-migrate, check the schema is current), then run uvicorn with one
or more worker processes."""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager

from voxelhub.cli.context import settings_from
from voxelhub.cli.migrate_cmd import require_schema_at_head
from voxelhub.db import make_engine, run_migrations, schema_state
from voxelhub.metrics import MULTIPROCESS_DIR_ENV, serve_metrics
from voxelhub.settings import Settings, SettingsError, parse_address_list


def register(commands: argparse._SubParsersAction) -> None:
    parser = commands.add_parser(
        "serve",
        help="run the web server",
        usage="voxelhub serve [--host H] [--port P] [--workers N] [options]; see --help",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=_positive, default=1)
    parser.add_argument("--data-dir", dest="data_dir", default=argparse.SUPPRESS, help="data folder")
    parser.add_argument(
        "--proxy-headers",
        action="store_true",
        help="behind a reverse proxy: take the client address from X-Forwarded-For "
        "(only from the proxies of --forwarded-allow-ips)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        dest="forwarded_allow_ips",
        default=None,
        metavar="IPS",
        help="comma-separated addresses or networks of the trusted proxies "
        "(default: $VOXELHUB_FORWARDED_ALLOW_IPS, else nobody)",
    )
    parser.add_argument(
        "--metrics-port",
        dest="metrics_port",
        type=_positive,
        default=None,
        metavar="PORT",
        help="serve Prometheus metrics at http://HOST:PORT/metrics (all workers summed)",
    )
    parser.add_argument(
        "--metrics-host",
        dest="metrics_host",
        default="127.0.0.1",
        metavar="HOST",
        help="address the metrics port listens on (default 127.0.0.1: not public)",
    )
    parser.add_argument(
        "--no-migrate",
        dest="migrate",
        action="store_false",
        help="do not migrate the database; refuse to start when its schema is not current "
        "(for deployments that run `voxelhub migrate` once per upgrade)",
    )
    parser.set_defaults(handler=serve)


def _positive(value: str) -> int:
    number = int(value)
    if number < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return number


def serve(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    trusted = _trusted_proxies(args, settings)
    engine = make_engine(settings)
    try:
        if args.migrate:
            run_migrations(engine)  # once, here, so that workers never race each other migrating
        else:
            require_schema_at_head(schema_state(engine))
    finally:
        engine.dispose()
    # Workers are separate processes: they rebuild the settings from the environment.
    os.environ["VOXELHUB_DATA_DIR"] = str(settings.data_dir)
    _default_public_url(args.host, args.port)
    print(f"voxelhub: serving on http://{args.host}:{args.port} (data in {settings.data_dir})", flush=True)
    with _metrics_served(args.metrics_port, args.metrics_host):
        _run_uvicorn(args, trusted, settings)
    return 0


@contextmanager
def _metrics_served(port: int | None, host: str) -> Iterator[None]:
    """With a metrics port: a fresh folder for every worker's numbers (set before any worker or prometheus-client
    starts, see `voxelhub.metrics`), served summed on that port, removed when serving ends."""
    if port is None:
        yield
        return
    folder = tempfile.mkdtemp(prefix="voxelhub-metrics-")
    os.environ[MULTIPROCESS_DIR_ENV] = folder
    try:
        serve_metrics(port, host)
        print(f"voxelhub: metrics on http://{host}:{port}/metrics", flush=True)
        yield
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _run_uvicorn(args: argparse.Namespace, trusted: str, settings: Settings) -> None:
    import uvicorn

    uvicorn.run(
        "voxelhub.asgi:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level="info",
        log_config=_log_config(),
        access_log=False,
        # Uvicorn's ProxyHeadersMiddleware puts the forwarded client into `request.client`, where the rate
        # limits and the access log read it; with no trusted proxy, X-Forwarded-For is ignored entirely.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        timeout_worker_healthcheck=settings.worker_start_timeout_seconds,
    )


def _trusted_proxies(args: argparse.Namespace, settings: Settings) -> str:
    """The proxies whose forwarding headers are believed: the flag, else the setting (naming proxies turns
    proxy headers on); none by default, so that a client cannot name its own address and step out of a limit."""
    trusted = settings.forwarded_allow_ips
    if args.forwarded_allow_ips is not None:
        trusted = parse_address_list(args.forwarded_allow_ips)
    if args.proxy_headers and not trusted:
        raise SettingsError(
            "--proxy-headers needs the proxies' addresses: --forwarded-allow-ips IPS "
            "(or VOXELHUB_FORWARDED_ALLOW_IPS)"
        )
    os.environ["VOXELHUB_FORWARDED_ALLOW_IPS"] = (
        trusted  # workers rebuild their settings from the environment
    )
    return trusted


def _default_public_url(host: str, port: int) -> None:
    """Without VOXELHUB_PUBLIC_URL, links the server writes, and its test of "a link into this server", name
    the port it serves on (the workers read it from the environment)."""
    if os.environ.get("VOXELHUB_PUBLIC_URL", "").strip():
        return
    os.environ["VOXELHUB_PUBLIC_URL"] = local_url(host, port)
    if host in ("", "0.0.0.0", "::"):
        print(
            f"voxelhub: links will name {os.environ['VOXELHUB_PUBLIC_URL']}; set VOXELHUB_PUBLIC_URL to the "
            "address users reach this server at",
            flush=True,
        )


def local_url(host: str, port: int) -> str:
    """The URL a browser on this machine reaches the server at (127.0.0.1 when it listens on every address)."""
    if host in ("", "0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def _log_config() -> dict:
    """Uvicorn's logging plus voxelhub's own loggers (including the token-redacting access log)."""
    import copy

    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["voxelhub"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    return config
