"""Interop fixtures: the real `webknossos` client in its own venv (scripts/interop_env.sh), a live
`voxelhub serve` process, and a world with real zarr data, datasets in every access state and users.

The client never runs in voxelhub's venv: each scenario runs `tests/interop/wk_client.py COMMAND …` with the
interop venv's python and reads the JSON line it prints. See docs/webknossos-client.md for what the client
sends and parses.
"""

from __future__ import annotations

import json
import os
import subprocess
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2 as httpx
import numpy as np
import pytest
import zarr

from tests.factories import PASSWORD, World, build_world
from tests.server import running_server
from voxelhub.datasets import service as datasets
from voxelhub.db import transaction
from voxelhub.policy import SYSTEM

REPO = Path(__file__).resolve().parents[2]
CLIENT_SCRIPT = Path(__file__).with_name("wk_client.py")
CLIENT_TIMEOUT = 300

# The on-disk dataset: mag-1 extent (x, y, z), not a multiple of the chunk size so that edge chunks are partial.
SHAPE = (70, 50, 36)
CHUNK = (32, 32, 32)
MAGS = (1, 2)
VOXEL_SIZE = [11.24, 11.24, 28.0]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "interop: runs the real webknossos client (separate venv) against a live voxelhub server"
    )


# ---------------------------------------------------------------- the interop venv


@pytest.fixture(scope="session")
def interop_python() -> str:
    """Python of the interop venv, created (cached) by scripts/interop_env.sh; skips when it cannot be made."""
    if os.environ.get("VOXELHUB_SKIP_INTEROP") == "1":
        pytest.skip("VOXELHUB_SKIP_INTEROP=1: interop tests switched off")
    try:
        done = subprocess.run(
            ["bash", str(REPO / "scripts" / "interop_env.sh")],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    except subprocess.TimeoutExpired:
        pytest.skip("interop venv could not be created: scripts/interop_env.sh took longer than 30 minutes")
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-15:])
        pytest.skip(
            f"interop venv could not be created (scripts/interop_env.sh exited {done.returncode}):\n{tail}"
        )
    python = done.stdout.strip().splitlines()[-1]
    if not Path(python).exists():
        pytest.skip(f"interop venv could not be created: {python} does not exist")
    return python


@dataclass
class ClientRun:
    returncode: int
    stdout: str
    stderr: str

    @property
    def result(self) -> Any:
        assert self.returncode == 0, f"client failed ({self.returncode}):\n{self.stderr[-4000:]}"
        return json.loads(self.stdout.strip().splitlines()[-1])


@pytest.fixture
def run_client(interop_python: str, tmp_path: Path):  # type: ignore[no-untyped-def]
    """run_client(command, *args, url=None, token=None) -> ClientRun.

    The client's environment holds WK_TOKEN only when given (never inherited) and WK_URL = `url`, or else a
    closed loopback port: the client's default context is webknossos.org, and a test must never reach out
    there (e.g. when a short link cannot be resolved the client falls back to the context's server). It runs
    in an empty folder so that no stray `.env` file changes its context.
    """
    workdir = tmp_path / "client-cwd"
    workdir.mkdir(exist_ok=True)

    def run(command: str, *args: str, url: str | None = None, token: str | None = None) -> ClientRun:
        env = {k: v for k, v in os.environ.items() if not k.startswith("WK_")}
        env["PYTHONWARNINGS"] = "ignore"
        env["WK_URL"] = url if url is not None else "http://127.0.0.1:9"
        if token is not None:
            env["WK_TOKEN"] = token
        done = subprocess.run(
            [interop_python, str(CLIENT_SCRIPT), command, *args],
            cwd=workdir,
            env=env,
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
        )
        return ClientRun(done.returncode, done.stdout, done.stderr)

    return run


# ---------------------------------------------------------------- data on disk


def write_dataset(folder: Path) -> dict[str, Any]:
    """A webKnossos-layout dataset: uint8 color and uint32 segmentation, mags 1 and 2, zarr3, c-x-y-z arrays.

    Part of the color layer is zero (the fill value), so its chunks are never written: the server must answer
    404 for them and every reader must see zeros. Returns the datasource-properties.json content.
    """
    rng = np.random.default_rng(6)
    color = rng.integers(1, 255, size=(1, *SHAPE), dtype=np.uint8)
    color[:, :32, :32, :32] = 0  # one whole chunk of fill value at mag 1: not stored
    x, y, z = np.meshgrid(*(np.arange(n) for n in SHAPE), indexing="ij")
    segmentation = (1 + x // 9 + 10 * (y // 7) + 100 * (z // 5)).astype(np.uint32)[np.newaxis]
    layers = []
    for name, category, data in (("color", "color", color), ("segmentation", "segmentation", segmentation)):
        mags = []
        for mag in MAGS:
            down = data[:, ::mag, ::mag, ::mag]
            array = zarr.create_array(
                store=str(folder / name / str(mag)),
                shape=down.shape,
                dtype=down.dtype,
                chunks=(1, *CHUNK),
                fill_value=0,
                dimension_names=["c", "x", "y", "z"],
                zarr_format=3,
            )
            array[...] = down
            mags.append(
                {
                    "mag": [mag, mag, mag],
                    "path": f"./{name}/{mag}",
                    "axisOrder": {"c": 0, "x": 1, "y": 2, "z": 3},
                }
            )
        layer: dict[str, Any] = {
            "name": name,
            "category": category,
            "elementClass": str(data.dtype),
            "dataFormat": "zarr3",
            "numChannels": 1,
            "boundingBox": {"topLeft": [0, 0, 0], "width": SHAPE[0], "height": SHAPE[1], "depth": SHAPE[2]},
            "mags": mags,
        }
        if category == "segmentation":
            layer["largestSegmentId"] = int(segmentation.max())
        layers.append(layer)
    properties = {
        "id": {"name": folder.name, "team": ""},
        "scale": {"factor": VOXEL_SIZE, "unit": "nanometer"},
        "dataLayers": layers,
    }
    (folder / "datasource-properties.json").write_text(json.dumps(properties, indent=2))
    return properties


def read_truth(folder: Path, layer: str, mag: int) -> np.ndarray:
    """What voxelhub holds: the array on disk, read with zarr-python in voxelhub's own venv."""
    return np.asarray(zarr.open_array(store=str(folder / layer / str(mag)), mode="r")[...])


def _data_source(folder: Path, name: str, properties: dict[str, Any]) -> dict[str, Any]:
    """The stored dataSource JSON: voxelhub's own scan when available, else the datasource-properties.json."""
    try:
        from voxelhub.datasets.scan import scan_dataset
        from voxelhub.storage import open_location
    except ImportError:  # pragma: no cover - older trees
        return dict(properties, id={"name": name, "team": ""})
    return scan_dataset(open_location(str(folder)), name=name).to_wk_json()


# ---------------------------------------------------------------- the world


@dataclass
class InteropWorld:
    accounts: World
    base: str
    folder: Path  # the dataset folder every registered dataset points at
    datasets: dict[str, str]  # key -> id
    names: dict[str, str]  # key -> name
    readable: dict[str, set[str]] = field(default_factory=dict)  # user role -> dataset keys it may read
    org_of: dict[str, str] = field(default_factory=dict)  # dataset key -> "a" | "b"

    @contextmanager
    def login(self, role: str) -> Iterator[httpx.Client]:
        """A logged-in HTTP client of `role` (session cookie and CSRF header), closed afterwards."""
        client = httpx.Client(base_url=self.base, timeout=30)
        try:
            answer = client.post(
                "/api/auth/login", json={"email": self.accounts.users[role], "password": PASSWORD}
            )
            assert answer.status_code == 200, answer.text
            client.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
            yield client
        finally:
            client.close()

    def api_token(self, role: str) -> str:
        with self.login(role) as client:
            answer = client.get("/api/auth/token")
            assert answer.status_code == 200, answer.text
            return str(answer.json()["token"])

    def sharing_token(self, key: str, role: str = "admin_a") -> str:
        with self.login(role) as client:
            answer = client.get(f"/api/datasets/{self.datasets[key]}/sharingToken")
            assert answer.status_code == 200, answer.text
            return str(answer.json()["sharingToken"])

    def revoke(self, key: str, role: str = "admin_a") -> None:
        with self.login(role) as client:
            answer = client.delete(f"/api/datasets/{self.datasets[key]}/sharingToken")
            assert answer.status_code in (200, 204), answer.text

    def view_url(self, key: str, token: str) -> str:
        """The sharing link as voxelhub's Share dialog gives it (docs/formats.md, Viewer URLs)."""
        return f"{self.base}/datasets/{self.names[key]}-{self.datasets[key]}/view?token={token}"


# Datasets of the world: key -> (organization, is_public, allowed team or None).
DATASETS = {
    "em": ("a", False, "a1"),  # private, shared with team a1
    "public_a": ("a", True, None),
    "hidden_a": ("a", False, None),  # private, no teams: admins and dataset managers only
    "public_b": ("b", True, None),
    "team_b": ("b", False, "b1"),
}


def _may_read(role: str, org: str, is_public: bool, team: str | None) -> bool:
    """docs/permissions.md, datasets/read, for the users of tests.factories.build_world."""
    kind, user_org = role.rsplit("_", 1)
    if is_public:
        return True
    if user_org != org:
        return False
    if kind in ("admin", "dsm"):
        return True
    return team == f"{org}1" and kind in ("tm", "team")


@pytest.fixture
def interop_world(settings, session_factory, tmp_path: Path) -> Iterator[InteropWorld]:  # type: ignore[no-untyped-def]
    """The accounts world, one real dataset folder registered as five datasets in every access state, and a
    running voxelhub server on that database."""
    accounts = build_world(session_factory)
    folder = Path(settings.datasets_dir) / "interop-em"
    folder.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        properties = write_dataset(folder)
    ids: dict[str, str] = {}
    names: dict[str, str] = {}
    with transaction(session_factory) as session:
        for key, (org, is_public, team) in DATASETS.items():
            name = f"interop-{key.replace('_', '-')}"
            dataset = datasets.register(
                session=session,
                actor=SYSTEM,
                organization_id=accounts.org_ids[org],
                name=name,
                location=str(folder),
                data_source=_data_source(folder, name, properties),
            )
            dataset.is_public = is_public
            session.flush()
            if team is not None:
                datasets.set_allowed_teams(
                    session=session, actor=SYSTEM, dataset_id=dataset.id, team_ids=[accounts.team_ids[team]]
                )
            ids[key], names[key] = dataset.id, name
    readable = {
        role: {key for key, spec in DATASETS.items() if _may_read(role, *spec)} for role in accounts.users
    }
    with running_server(settings) as base:
        yield InteropWorld(
            accounts=accounts,
            base=base,
            folder=folder,
            datasets=ids,
            names=names,
            readable=readable,
            org_of={k: v[0] for k, v in DATASETS.items()},
        )
