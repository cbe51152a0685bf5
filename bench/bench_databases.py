"""The data path on SQLite and on PostgreSQL, side by side in one run (issue: "as fast on PostgreSQL as on SQLite").

The same private dataset and the same raw chunks are served by one `voxelhub serve` process on SQLite, then by
one on PostgreSQL (a database made for the run and dropped after), and `wrk` fetches random chunks through
`/data/zarr/{id}/…` with each way of being allowed in: a share token in the path, an API token (`X-Auth-Token`)
and a browser's session cookie. For each: throughput with 16 connections, and the median latency of one
connection. Both servers run at once and are measured in alternating rounds (medians printed), so that the
load of a shared machine, which drifts, weighs on both alike. Goals: PostgreSQL throughput ≥ 0.8× SQLite's, its p50 latency ≤ 1.5× SQLite's.

Usage: bash scripts/bench.sh databases [--seconds 4] [--rounds 3] [--postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from bench.bench_serving import machine, setup_server_data, start_server  # noqa: E402

from voxelhub.datasets.demo_data import build_synthetic  # noqa: E402

PORT = 8793
WAYS = ("share token in the path", "API token", "session cookie")


def wrk(
    url_file: Path, base: str, seconds: int, connections: int, headers: dict[str, str]
) -> tuple[float, float]:
    """(requests per second, p50 latency in ms)."""
    script = url_file.with_suffix(f".{connections}.lua")
    script.write_text(
        f"local paths = {{}}\nfor line in io.lines('{url_file}') do paths[#paths + 1] = line end\n"
        + "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in headers.items())
        + "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw error answers from {base}:\n{out}")
    rate = float(next(line for line in out.splitlines() if line.startswith("Requests/sec")).split()[1])
    p50 = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    assert p50, out
    factor = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    return rate, float(p50.group(1)) * factor


@dataclass
class Served:
    """One `voxelhub serve` process and the wrk inputs for each way of being let in."""

    server: subprocess.Popen[bytes]
    base: str
    ways: dict[str, tuple[Path, dict[str, str]]]


def serve(work: Path, dataset: Path, database_url: str, port: int) -> Served:
    label = "postgres" if database_url else "sqlite"
    data_dir = work / f"data-{label}"
    dataset_id, share_token, api_token = setup_server_data(data_dir, dataset, database_url, is_public=False)
    server = start_server(data_dir, port, database_url)
    base = f"http://127.0.0.1:{port}"
    login = httpx.post(f"{base}/api/auth/login", json={"email": "b@b.org", "password": "bench-password"})
    login.raise_for_status()
    cookie = f"voxelhub_session={login.cookies['voxelhub_session']}"
    chunks = [
        p.relative_to(dataset).as_posix() for p in (dataset / "color" / "1" / "c").rglob("*") if p.is_file()
    ][:512]
    plain = work / f"{label}-plain.txt"
    plain.write_text("\n".join(f"/data/zarr/{dataset_id}/{c}" for c in chunks))
    in_path = work / f"{label}-token.txt"
    in_path.write_text("\n".join(f"/data/s/{share_token}/zarr/{dataset_id}/{c}" for c in chunks))
    ways = {
        WAYS[0]: (in_path, {}),
        WAYS[1]: (plain, {"X-Auth-Token": api_token}),
        WAYS[2]: (plain, {"Cookie": cookie}),
    }
    return Served(server, base, ways)


def measure_alternately(
    sqlite: Served, postgres: Served, seconds: int, rounds: int
) -> dict[str, dict[str, tuple[float, float]]]:
    """Medians over `rounds` rounds; within a round the two servers are measured one right after the other, in
    an order that swaps each round, so that a machine whose load drifts (shared cores) weighs on both alike."""
    found: dict[str, dict[str, tuple[float, float]]] = {"sqlite": {}, "postgres": {}}
    servers = {"sqlite": sqlite, "postgres": postgres}
    for way in WAYS:
        for served in servers.values():
            urls, headers = served.ways[way]
            wrk(urls, served.base, 2, 16, headers)  # warm up
        rates: dict[str, list[float]] = {"sqlite": [], "postgres": []}
        p50s: dict[str, list[float]] = {"sqlite": [], "postgres": []}
        for round_ in range(rounds):
            order = ["sqlite", "postgres"] if round_ % 2 == 0 else ["postgres", "sqlite"]
            for label in order:
                urls, headers = servers[label].ways[way]
                rates[label].append(wrk(urls, servers[label].base, seconds, 16, headers)[0])
            for label in reversed(order):
                urls, headers = servers[label].ways[way]
                p50s[label].append(wrk(urls, servers[label].base, seconds, 1, headers)[1])
        for label in servers:
            found[label][way] = (statistics.median(rates[label]), statistics.median(p50s[label]))
    return found


def stop(served: Served) -> None:
    served.server.terminate()
    served.server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians are printed")
    parser.add_argument(
        "--postgres-url",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a PostgreSQL server where the benchmark may create and drop a database",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("bench_databases needs wrk (bash scripts/bench.sh databases installs it)")
    print(f"machine: {machine()}")
    admin = create_engine(args.postgres_url, isolation_level="AUTOCOMMIT")
    name = f"voxelhub_bench_{uuid.uuid4().hex[:8]}"
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    postgres_url = make_url(args.postgres_url).set(database=name).render_as_string(hide_password=False)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            dataset = build_synthetic(work / "synthetic-em")
            sqlite_server = serve(work, dataset, "", PORT)
            try:
                postgres_server = serve(work, dataset, postgres_url, PORT + 1)
                try:
                    found = measure_alternately(sqlite_server, postgres_server, args.seconds, args.rounds)
                finally:
                    stop(postgres_server)
            finally:
                stop(sqlite_server)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
    print(
        f"{'raw chunk, private dataset':<26} | {'SQLite req/s':>12} {'p50 ms':>7} | {'PostgreSQL req/s':>16} "
        f"{'p50 ms':>7} | {'throughput':>10} {'p50':>6}"
    )
    for way in WAYS:
        (s_rate, s_p50), (p_rate, p_p50) = found["sqlite"][way], found["postgres"][way]
        print(
            f"{way:<26} | {s_rate:12.0f} {s_p50:7.2f} | {p_rate:16.0f} {p_p50:7.2f} | "
            f"{p_rate / s_rate:9.2f}× {p_p50 / s_p50:5.2f}×"
        )
    print(f"medians of {args.rounds} alternating rounds of {args.seconds} s each")
    print("goals: PostgreSQL throughput ≥ 0.80× SQLite's, p50 ≤ 1.50× SQLite's")


if __name__ == "__main__":
    main()
