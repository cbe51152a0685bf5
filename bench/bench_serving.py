"""Serving benchmark: voxelhub over HTTP against the limits, in the same run.

1. Decoded buckets: voxelhub's bucket-batch route (64 buckets of 32³ per request, a few concurrent clients)
   against zarr-python reading the same buckets in-process (the limit for decoded reads).
2. Raw chunk pass-through: `wrk` fetching stored chunk files through `/data/zarr/{id}/…` (anonymous, public
   dataset) and `/data/s/{token}/zarr/{id}/…` (share token in the path) against nginx serving the same files
   from disk (the limit for pass-through), against voxelhub's most trivial route (`/api/buildinfo`, a FastAPI
   route through the whole middleware stack), and against the bare framework ceiling (bench/bare_asgi.py: a
   plain ASGI callable answering constant bytes under the same server), when `wrk` and `nginx` are installed (`apt-get install wrk nginx-light`).

Usage: .venv/bin/python bench/bench_serving.py [--dataset PATH] [--seconds 8]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx2 as httpx
import numpy as np
import zarr

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "src"))

from voxelhub.datasets.demo_data import build_synthetic  # noqa: E402

BUCKET = 32
BATCH = 64
# voxelhub, nginx and the bare ASGI app on loopback ports picked at random (several benches may share a machine)
VOXELHUB_PORT, NGINX_PORT, BARE_PORT = random.SystemRandom().sample(range(20000, 30000), 3)


def machine() -> str:
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"{os.cpu_count()} cores, {mem:.0f} GiB, Python {platform.python_version()}, zarr {zarr.__version__}"
    )


def setup_server_data(
    data_dir: Path, dataset: Path, database_url: str = "", is_public: bool = True
) -> tuple[str, str, str]:
    """The dataset registered (public unless told), a share link to it and its admin's API token:
    (dataset id, share token, API token). On SQLite in `data_dir`, or on the database at `database_url`."""
    from voxelhub.accounts import api_tokens
    from voxelhub.accounts import service as accounts
    from voxelhub.accounts.server_key import server_key
    from voxelhub.datasets import service as datasets
    from voxelhub.db import make_engine, make_session_factory, run_migrations, transaction
    from voxelhub.policy import SYSTEM, Actor
    from voxelhub.settings import Settings
    from voxelhub.sharing import service as sharing

    engine = make_engine(Settings(data_dir=data_dir, database_url=database_url))
    run_migrations(engine)
    with transaction(make_session_factory(engine)) as session:
        org, admin = accounts.create_organization(
            session=session,
            actor=SYSTEM,
            name="bench",
            admin_email="b@b.org",
            admin_password="bench-password",
        )
        ds = datasets.register_folder(
            session=session, actor=SYSTEM, organization_id=org.id, location_url=str(dataset), name="bench"
        )
        ds.is_public = is_public
        owner = Actor(user=accounts.principal_for(admin))
        token = sharing.get_or_create_default_link(session=session, actor=owner, dataset=ds).token
        api_token = api_tokens.default_token(
            session=session, user=admin, key=server_key(Settings(data_dir=data_dir))
        )
        dataset_id = ds.id
    engine.dispose()
    return dataset_id, token, api_token


def start_server(data_dir: Path, port: int, database_url: str = "") -> subprocess.Popen:  # type: ignore[type-arg]
    env = dict(os.environ, VOXELHUB_DATA_DIR=str(data_dir), VOXELHUB_DATABASE_URL=database_url)
    return serve_with_env(env, port)


def serve_with_env(env: dict[str, str], port: int) -> subprocess.Popen:  # type: ignore[type-arg]
    """`voxelhub serve` on 127.0.0.1:`port` with `env`, once it answers (stopped, and an error, if it never does)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "voxelhub.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(150):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/buildinfo", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("server did not start")


def start_bare(port: int, body_bytes: int) -> subprocess.Popen:  # type: ignore[type-arg]
    """The bare ASGI ceiling (bench/bare_asgi.py) under uvicorn as `voxelhub serve` runs it."""
    env = dict(os.environ, BARE_BYTES=str(body_bytes), PYTHONPATH=str(ROOT / "bench"))
    command = [sys.executable, "-m", "uvicorn", "bare_asgi:app", "--port", str(port), "--no-access-log"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            time.sleep(0.2)
    raise RuntimeError("bare ASGI server did not start")


def bucket_positions(shape: tuple[int, int, int], count: int, seed: int = 1) -> list[list[int]]:
    """`count` random buckets, each once per batch of BATCH (the bucket route refuses a batch that asks for one
    bucket twice)."""
    rng = random.Random(seed)
    limits = [s // BUCKET for s in shape]
    every = [[x, y, z] for x in range(limits[0]) for y in range(limits[1]) for z in range(limits[2])]
    positions: list[list[int]] = []
    while len(positions) < count:
        positions += rng.sample(every, min(BATCH, len(every), count - len(positions)))
    return positions


def in_process_rate(array: zarr.Array, positions: list[list[int]]) -> float:
    """MB/s of decoded 32³ buckets read with zarr-python, batched like the server's requests."""
    started = time.perf_counter()
    for bx, by, bz in positions:
        array[
            0,
            bx * BUCKET : (bx + 1) * BUCKET,
            by * BUCKET : (by + 1) * BUCKET,
            bz * BUCKET : (bz + 1) * BUCKET,
        ]
    elapsed = time.perf_counter() - started
    return len(positions) * BUCKET**3 * array.dtype.itemsize / elapsed / 1e6


def http_rate(base: str, dataset_id: str, positions: list[list[int]], clients: int) -> float:
    batches = [positions[i : i + BATCH] for i in range(0, len(positions), BATCH)]
    url = f"{base}/data/datasets/{dataset_id}/layers/color/buckets"
    # One kept-alive connection per client, as a browser viewer holds them (not a new one per batch).
    connections = threading.local()

    def fetch(batch: list[list[int]]) -> int:
        if not hasattr(connections, "client"):
            connections.client = httpx.Client(timeout=60)
        answer = connections.client.post(url, json={"mag": [1, 1, 1], "buckets": batch})
        answer.raise_for_status()
        return len(answer.content)

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        total = sum(pool.map(fetch, batches))
    return total / (time.perf_counter() - started) / 1e6


def wrk_rate(url_file: Path, base: str, seconds: int, headers: dict[str, str] | None = None) -> float | None:
    if not shutil.which("wrk"):
        return None
    script = url_file.with_suffix(".lua")
    script.write_text(
        f"local paths = {{}}\nfor line in io.lines('{url_file}') do paths[#paths + 1] = line end\n"
        + "".join(f'wrk.headers["{name}"] = "{value}"\n' for name, value in (headers or {}).items())
        + "request = function() return wrk.format('GET', paths[math.random(#paths)]) end\n"
    )
    out = subprocess.run(
        ["wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(script), base],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    if "Non-2xx" in out:  # errors are not throughput
        raise RuntimeError(f"wrk saw error answers from {base}:\n{out}")
    line = next(l for l in out.splitlines() if l.startswith("Requests/sec"))  # noqa: E741
    return float(line.split()[1])


def nginx_server(root: Path, port: int, workdir: Path) -> subprocess.Popen | None:  # type: ignore[type-arg]
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
    if nginx is None:
        return None
    conf = workdir / "nginx.conf"
    conf.write_text(f"""worker_processes 1; daemon off; error_log {workdir}/error.log; pid {workdir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{ access_log off; sendfile on; client_body_temp_path {workdir}; proxy_temp_path {workdir};
  fastcgi_temp_path {workdir}; uwsgi_temp_path {workdir}; scgi_temp_path {workdir};
  server {{ listen 127.0.0.1:{port}; root {root}; }} }}
""")
    process = subprocess.Popen([nginx, "-c", str(conf), "-p", str(workdir)])
    time.sleep(0.5)
    return process


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dataset", type=Path, help="a webKnossos-layout dataset with a uint8 `color` layer")
    parser.add_argument("--buckets", type=int, default=2048)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--seconds", type=int, default=8)
    args = parser.parse_args()
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        dataset = args.dataset or build_synthetic(work / "synthetic-em")
        dataset_id, token, api_token = setup_server_data(work / "data", dataset)
        array = zarr.open_array(str(dataset / "color" / "1"), mode="r")
        positions = bucket_positions(tuple(array.shape[1:]), args.buckets)
        server = start_server(work / "data", VOXELHUB_PORT)
        try:
            base = f"http://127.0.0.1:{VOXELHUB_PORT}"
            http_rate(base, dataset_id, positions[:BATCH], 1)  # warm up
            local = in_process_rate(array, positions)
            served = http_rate(base, dataset_id, positions, args.clients)
            print(
                f"decoded 32³ buckets: zarr-python in-process {local:8.1f} MB/s | voxelhub HTTP "
                f"{served:8.1f} MB/s | ratio {served / local:.2f}"
            )
            passthrough(work, dataset, dataset_id, token, api_token, base, args.seconds)
        finally:
            server.terminate()
            server.wait()


def passthrough(
    work: Path, dataset: Path, dataset_id: str, token: str, api_token: str, base: str, seconds: int
) -> None:
    chunks = [
        p.relative_to(dataset).as_posix() for p in (dataset / "color" / "1" / "c").rglob("*") if p.is_file()
    ]
    chunks = chunks[:512]
    if not chunks or not shutil.which("wrk"):
        print("raw chunk pass-through: skipped (needs wrk: apt-get install wrk nginx-light)")
        return
    rates = {}
    plain = [f"/data/zarr/{dataset_id}/{c}" for c in chunks]
    for name, paths, headers in (
        ("voxelhub", plain, None),
        ("voxelhub_token", [f"/data/s/{token}/zarr/{dataset_id}/{c}" for c in chunks], None),
        ("voxelhub_api_token", plain, {"X-Auth-Token": api_token}),
        ("trivial_route", ["/api/buildinfo"], None),
    ):
        url_file = work / f"{name}.txt"
        url_file.write_text("\n".join(paths))
        rates[name] = wrk_rate(url_file, base, seconds, headers)
    mean_bytes = int(np.mean([(dataset / c).stat().st_size for c in chunks]))
    bare = start_bare(BARE_PORT, mean_bytes)
    try:
        bare_file = work / "bare.txt"
        bare_file.write_text("/x")
        rates["bare_asgi"] = wrk_rate(bare_file, f"http://127.0.0.1:{BARE_PORT}", seconds)
    finally:
        bare.terminate()
        bare.wait()
    nginx = nginx_server(dataset, NGINX_PORT, work)
    if nginx is None:
        print(f"raw chunk pass-through: voxelhub {rates['voxelhub']:.0f} req/s (nginx not installed)")
        return
    try:
        theirs = work / "nginx.txt"
        theirs.write_text("\n".join(f"/{c}" for c in chunks))
        nginx_rps = wrk_rate(theirs, f"http://127.0.0.1:{NGINX_PORT}", seconds)
    finally:
        nginx.terminate()
        nginx.wait()
    mean = np.mean([(dataset / c).stat().st_size for c in chunks]) / 1024
    ours, with_token, cap = rates["voxelhub"], rates["voxelhub_token"], rates["trivial_route"]
    scripted = rates["voxelhub_api_token"]
    print(
        f"raw chunk pass-through ({len(chunks)} chunks, mean {mean:.1f} KiB): nginx {nginx_rps:.0f} req/s | "
        f"voxelhub {ours:.0f} req/s | ratio {ours / nginx_rps:.3f}"
    )
    print(
        f"  a logged-in script (API token in X-Auth-Token): {scripted:.0f} req/s (ratio {scripted / nginx_rps:.3f})"
    )
    print(
        f"  with a share token in the path: {with_token:.0f} req/s (ratio {with_token / nginx_rps:.3f}); "
        f"voxelhub's trivial route /api/buildinfo: {cap:.0f} req/s (chunk route at {ours / cap:.2f} of it)"
    )
    ceiling = rates["bare_asgi"]
    print(
        f"  bare ASGI ceiling (constant {mean_bytes} bytes, same server, no routing/check/read): {ceiling:.0f} req/s "
        f"(ratio to nginx {ceiling / nginx_rps:.3f}; the chunk route at {ours / ceiling:.2f} of it)"
    )
    print(json.dumps({"nginx_rps": nginx_rps, **{f"{k}_rps": v for k, v in rates.items()}}))


if __name__ == "__main__":
    main()
