"""The deploy suite's stack, started once per run: a fresh PostgreSQL database, moto's S3 server, three
`voxelhub serve --no-migrate` processes (one of them with two workers) after one `voxelhub migrate`, and nginx
in front. It needs a PostgreSQL server (the one of the suite's PostgreSQL pass, VOXELHUB_DATABASE_URL) and
nginx (Debian's nginx-light, which scripts/test.sh installs); without either, every test here is skipped
saying which is missing."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx2 as httpx
import pytest

from tests.deploy import stack
from tests.fixture_files import FIXTURES
from tests.server import free_port

HERE = Path(__file__).resolve().parent
ADMIN = ("admin@lab.test", "deploy-admin-1")
MEMBER = ("tracer@lab.test", "deploy-tracer-1")
ORG, TEAM = "lab", "Connectomics"
TINY_BOX = "mag=1-1-1&x=0&y=0&z=0&width=8&height=8&depth=8"


def _skip_reason() -> str:
    if not stack.NGINX:
        return (
            "deploy suite: nginx not found (Debian package nginx-light; scripts/test.sh installs it as root)"
        )
    url = stack.postgres_url()
    if not url:
        return (
            "deploy suite: needs PostgreSQL; it runs in the PostgreSQL pass "
            "(VOXELHUB_DATABASE_URL=postgresql+psycopg://…)"
        )
    problem = stack.postgres_unreachable(url)
    return f"deploy suite: PostgreSQL at VOXELHUB_DATABASE_URL not reachable ({problem})" if problem else ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    ours = [item for item in items if HERE in Path(str(item.path)).parents]
    if not ours:
        return
    reason = _skip_reason()
    if reason:
        for item in ours:
            item.add_marker(pytest.mark.skip(reason=reason))


@dataclass
class Stack:
    deployment: stack.Deployment
    processes: list[stack.Process]  # A, B, C (C has two workers)
    nginx: stack.Nginx
    spare_port: int  # in nginx's upstream list, with no process until a test starts one there
    dataset_id: str  # a local-disk dataset (on a path every process sees), allowed to TEAM
    team_id: str
    member_id: str
    admin_token: str
    member_token: str

    def admin(self, base: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"X-Auth-Token": self.admin_token}, timeout=30)

    def member(self, base: str) -> httpx.Client:
        return httpx.Client(base_url=base, headers={"X-Auth-Token": self.member_token}, timeout=30)

    def data_path(self, dataset_id: str | None = None) -> str:
        return f"/data/datasets/{dataset_id or self.dataset_id}/layers/color/data?{TINY_BOX}"


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[stack.S3Server]:
    with stack.running_s3(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture(scope="session")
def deploy_stack(tmp_path_factory: pytest.TempPathFactory, s3: stack.S3Server) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("deploy")
    with stack.fresh_database(stack.postgres_url()) as database_url:
        nginx_port, spare_port = free_port(), free_port()
        deployment = stack.Deployment(database_url, s3, root, public_url=f"http://127.0.0.1:{nginx_port}")
        deployment.cli("migrate")  # once per upgrade; the processes below only check the schema
        processes = [
            stack.start_process(deployment, "A"),
            stack.start_process(deployment, "B"),
            stack.start_process(deployment, "C", workers=2),
        ]
        try:
            ids = _world(deployment)  # while the processes start
            for process in processes:
                stack.wait_until_up(process)
            ports = [p.port for p in processes] + [spare_port]
            with stack.running_nginx(root / "nginx", ports, port=nginx_port) as nginx:
                yield _with_logins(Stack(deployment, processes, nginx, spare_port, *ids, "", ""))
        finally:
            for process in processes:
                process.stop()


def _world(deployment: stack.Deployment) -> tuple[str, str, str]:
    """An organization, its admin, a team with one member, and a local dataset allowed to that team; made with
    the command line, as an operator would. Returns the dataset's, the team's and the member's ids."""
    deployment.cli("org", "create", ORG, "--admin-email", ADMIN[0], "--admin-password", ADMIN[1])
    deployment.cli("team", "add", TEAM, "--org", ORG)
    deployment.cli("user", "add", MEMBER[0], "--org", ORG, "--password", MEMBER[1], "--team", TEAM)
    deployment.cli("dataset", "add", str(FIXTURES / "simple_zarr_dataset"), "--org", ORG, "--name", "local")
    from sqlalchemy import create_engine, text

    engine = create_engine(deployment.database_url)
    with engine.connect() as connection:
        dataset_id = connection.execute(text("SELECT id FROM datasets WHERE name = 'local'")).scalar_one()
        team_id = connection.execute(text("SELECT id FROM teams WHERE name = :n"), {"n": TEAM}).scalar_one()
        member_id = connection.execute(
            text("SELECT id FROM users WHERE email = :e"), {"e": MEMBER[0]}
        ).scalar_one()
    engine.dispose()
    return str(dataset_id), str(team_id), str(member_id)


def login_token(base: str, email: str, password: str) -> str:
    """Log in (a session) and fetch the default API token, so that tests need no CSRF dance."""
    with httpx.Client(base_url=base, timeout=30) as client:
        assert client.post("/api/auth/login", json={"email": email, "password": password}).status_code == 200
        answer = client.get("/api/auth/token")
        assert answer.status_code == 200, answer.text
        return str(answer.json()["token"])


def _with_logins(s: Stack) -> Stack:
    s.admin_token = login_token(s.nginx.url, *ADMIN)
    s.member_token = login_token(s.nginx.url, *MEMBER)
    with s.admin(s.processes[0].url) as admin:
        answer = admin.patch(f"/api/datasets/{s.dataset_id}/teams", json=[s.team_id])
        assert answer.status_code == 200, answer.text
    return s
