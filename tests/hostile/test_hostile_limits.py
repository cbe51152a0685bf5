"""Hostile requests against voxelhub's limits (issue 11, holes 10 and 11): bodies too large or without end,
reads far outside the data or too large to answer, bucket floods, numbers no route can use, token and password
guessing from an address that others share, and addresses a client makes up. Each case asserts its 4xx, that
nothing changed, and that the server still answers a trivial route afterwards."""

from __future__ import annotations

import asyncio
import tracemalloc
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from tests.datasets.helpers import SIMPLE_ZARR3, register_folder
from tests.factories import PASSWORD, build_world, logged_in_client
from tests.server import running_server
from tests.sharing.world import build_dataset_world, client_for
from voxelhub.accounts.models import AuthSession, LoginFailure
from voxelhub.api.app import create_app
from voxelhub.cli import main
from voxelhub.datasets.demo_data import build_synthetic
from voxelhub.datasets.models import Dataset
from voxelhub.settings import Settings, SettingsError

MIB = 1 << 20


# ---- helpers ---------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    pieces_read: int = 0  # how many pieces of the request body the server asked for


def call_asgi(
    app,
    method: str,
    path: str,
    *,
    headers: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
    body: Iterable[bytes] = (),
    client: str = "203.0.113.9",
) -> Answer:
    """One request straight into the ASGI app, its body handed over piece by piece as the app asks for it
    (like a chunked upload: no Content-Length unless `headers` declares one), counting the pieces taken."""
    answer = Answer()
    pieces: Iterator[bytes] = iter(body)
    pending = next(pieces, None)

    async def receive() -> dict:  # type: ignore[type-arg]
        nonlocal pending
        if pending is None:
            if answer.pieces_read == 0:
                answer.pieces_read = -1  # the empty body was delivered; mark it so it is not sent twice
                return {"type": "http.request", "body": b"", "more_body": False}
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}
        piece, pending = pending, next(pieces, None)
        answer.pieces_read += 1
        return {"type": "http.request", "body": piece, "more_body": pending is not None}

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        if message["type"] == "http.response.start":
            answer.status = message["status"]
            answer.headers = {k.decode().lower(): v.decode() for k, v in message.get("headers", [])}
        elif message["type"] == "http.response.body":
            answer.body += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
        "client": (client, 40000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, receive, send))
    answer.pieces_read = max(answer.pieces_read, 0)
    return answer


def megabytes(count: int) -> Iterator[bytes]:
    """`count` pieces of 1 MiB, all the same object: the test itself holds 1 MiB, whatever the count."""
    piece = b"x" * MIB
    for _ in range(count):
        yield piece


def rows(session_factory, model) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def still_answers(app) -> None:  # type: ignore[no-untyped-def]
    assert TestClient(app).get("/api/buildinfo").status_code == 200


def app_with(settings: Settings, engine, **limits):  # type: ignore[no-untyped-def]
    """An app on the test's database with some limits changed."""
    return create_app(settings.with_overrides(**limits), migrate=False)


def api_token(app, email: str) -> str:  # type: ignore[no-untyped-def]
    return str(logged_in_client(app, email).get("/api/auth/token").json()["token"])


# ---- request bodies --------------------------------------------------------------------------------------------


def test_an_endless_login_body_is_cut_off_at_the_limit_without_holding_it(app, session_factory) -> None:
    """Was: an anonymous 200 MB login body was read whole (800 MB of memory) before the 422."""
    tracemalloc.start()
    try:
        answer = call_asgi(
            app, "POST", "/api/auth/login", headers={"content-type": "application/json"}, body=megabytes(200)
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 413, answer.body
    assert "larger than 1048576 bytes" in answer.body.decode()
    assert answer.pieces_read <= 2  # 1 MiB allowed, the second piece passes it
    assert peak < 16 * MIB
    assert rows(session_factory, LoginFailure) == 0 and rows(session_factory, AuthSession) == 0
    still_answers(app)


def test_a_declared_length_over_the_limit_is_refused_before_a_byte_is_read(app, session_factory) -> None:
    answer = call_asgi(
        app,
        "POST",
        "/api/auth/login",
        body=megabytes(200),
        headers={"content-type": "application/json", "content-length": str(200 * MIB)},
    )
    assert answer.status == 413 and answer.pieces_read == 0
    assert answer.headers["content-type"] == "application/json"
    bad = call_asgi(app, "POST", "/api/auth/login", headers={"content-length": "12ab"}, body=[b"{}"])
    assert bad.status == 400 and bad.pieces_read == 0
    assert rows(session_factory, LoginFailure) == 0
    still_answers(app)


@pytest.mark.parametrize(
    "method, path, limited",
    [
        ("POST", "/api/auth/login", True),
        ("POST", "/api/v9/auth/login", True),  # the webknossos client's prefix does not step around the limit
        ("PATCH", "/api/datasets/0123456789abcdef01234567", True),
        ("POST", "/data/datasets/0123456789abcdef01234567/layers/color/buckets", True),
        ("POST", "/data/annotations/0123456789abcdef01234567/layers/Volume/buckets", True),
        ("POST", "/api/annotations/0123456789abcdef01234567/updates", False),  # saves may be larger
        ("POST", "/api/annotations/0123456789abcdef01234567/layers/Volume/buckets", False),
    ],
)
def test_each_route_family_has_its_own_body_limit(app, method, path, limited) -> None:
    answer = call_asgi(app, method, path, headers={"content-type": "application/json"}, body=megabytes(2))
    if limited:
        assert answer.status == 413, answer.body
    else:
        assert answer.status != 413 and 400 <= answer.status < 500, answer.body
    still_answers(app)


# The routes whose bodies may be larger than plain JSON; every other route with a body gets the JSON limit.
LARGE_BODIES = {
    ("POST", "/api/datasets/upload"): "upload",
    ("POST", "/api/annotations/upload"): "upload",
    ("POST", "/api/annotations/{annotation_id}/updates"): "save",
    ("POST", "/api/annotations/{annotation_id}/layers/{layer}/buckets"): "save",
    ("PUT", "/api/annotations/{annotation_id}/layers/{layer}/segments"): "save",
}


def test_every_route_with_a_body_is_in_a_body_limit_family() -> None:
    """The route walk's table lists every route (a new one fails it), so a new upload route shows up here."""
    from tests.test_route_walk import EXPECTED
    from voxelhub.api.body_limit import BodyLimits

    limits = BodyLimits(upload=3, save=2, json=1)
    families = {3: "upload", 2: "save", 1: "json"}
    for method, path in EXPECTED:
        if method not in ("GET", "HEAD", "OPTIONS"):
            concrete = path.replace("{", "").replace("}", "")
            assert families[limits.for_route(method, concrete)] == LARGE_BODIES.get((method, path), "json"), (
                path
            )


def test_uploads_over_the_upload_limit_are_refused_and_leave_nothing(
    settings, engine, session_factory
) -> None:
    app = app_with(settings, engine, max_upload_bytes=2 * MIB)
    world = build_world(session_factory)
    admin = logged_in_client(app, world.users["admin_a"])
    big = b"PK" + b"\0" * (3 * MIB)
    answer = admin.post("/api/datasets/upload", files={"file": ("big.zip", big)})
    assert answer.status_code == 413 and answer.json()["limit"] == 2 * MIB
    nml = admin.post("/api/annotations/upload", files={"file": ("big.nml", b"<things>" + b" " * (3 * MIB))})
    assert nml.status_code == 413
    # Streamed with no Content-Length, the upload is cut off as soon as it passes the limit.
    head = b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="d.zip"\r\n\r\n'
    streamed = call_asgi(
        app,
        "POST",
        "/api/datasets/upload",
        body=[head, *megabytes(50)],
        headers={
            "content-type": "multipart/form-data; boundary=b0undary",
            "x-auth-token": api_token(app, world.users["admin_a"]),
        },
    )
    assert streamed.status == 413 and streamed.pieces_read <= 4
    assert rows(session_factory, Dataset) == 0
    assert not (settings.datasets_dir.exists() and any(settings.datasets_dir.rglob("*")))
    still_answers(app)


def test_a_non_manager_dataset_upload_is_refused_before_its_body_is_read(app, session_factory) -> None:
    """Was: the whole multipart body was read (and spooled) before the 403."""
    world = build_world(session_factory)
    multipart = {"content-type": "multipart/form-data; boundary=b0undary"}
    member = call_asgi(
        app,
        "POST",
        "/api/datasets/upload",
        body=megabytes(100),
        headers={**multipart, "x-auth-token": api_token(app, world.users["member_a"])},
    )
    assert member.status == 403 and member.pieces_read == 0
    anonymous = call_asgi(app, "POST", "/api/datasets/upload", headers=multipart, body=megabytes(100))
    assert anonymous.status == 401 and anonymous.pieces_read == 0
    nml = call_asgi(app, "POST", "/api/annotations/upload", headers=multipart, body=megabytes(100))
    assert nml.status == 401 and nml.pieces_read == 0
    assert rows(session_factory, Dataset) == 0
    still_answers(app)


def test_an_upload_is_spooled_to_disk_not_held_in_memory(app, session_factory) -> None:
    """A guard (python-multipart + Starlette's UploadFile roll a file part over 1 MiB to a temporary file): a
    24 MiB upload by a dataset manager costs a few MiB of memory, then is refused as no zip."""
    world = build_world(session_factory)
    token = api_token(app, world.users["dsm_a"])
    head = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="d.zip"\r\n'
        b"Content-Type: application/zip\r\n\r\n"
    )

    def body() -> Iterator[bytes]:
        yield head
        yield from megabytes(24)
        yield b"\r\n--b0undary--\r\n"

    tracemalloc.start()
    try:
        answer = call_asgi(
            app,
            "POST",
            "/api/datasets/upload",
            body=body(),
            headers={"content-type": "multipart/form-data; boundary=b0undary", "x-auth-token": token},
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert answer.status == 400 and b"not a valid zip" in answer.body
    assert answer.pieces_read == 26
    assert peak < 12 * MIB
    assert rows(session_factory, Dataset) == 0
    still_answers(app)


# ---- data answers ----------------------------------------------------------------------------------------------


@pytest.fixture
def public_dataset(session_factory) -> str:  # type: ignore[no-untyped-def]
    world = build_world(session_factory)
    return register_folder(session_factory, world.org_ids["a"], SIMPLE_ZARR3, public=True)


def raw(client: TestClient, dataset_id: str, **params):  # type: ignore[no-untyped-def]
    return client.get(f"/data/datasets/{dataset_id}/layers/color/data", params=params)


def test_a_raw_read_outside_the_data_is_refused(app, public_dataset) -> None:
    """Was: an anonymous read far outside the data answered 128 MB of zeros."""
    anonymous = TestClient(app)
    far = raw(anonymous, public_dataset, x=10**9, y=0, z=0, width=256, height=256, depth=256)  # 48 MiB
    assert far.status_code == 400 and "outside the data" in far.json()["error"]
    for box in ({"x": 24, "y": 0, "z": 0}, {"x": 0, "y": 0, "z": 100}):  # the layer is 24³ from the origin
        assert raw(anonymous, public_dataset, **box, width=8, height=8, depth=8).status_code == 400
    coarse = raw(anonymous, public_dataset, x=0, y=0, z=0, width=8, height=8, depth=8, mag="2-2-2")
    assert coarse.status_code == 400  # (no such mag: still a 400, never zeros)
    partial = raw(anonymous, public_dataset, x=20, y=20, z=20, width=8, height=8, depth=8)
    assert partial.status_code == 200 and len(partial.content) == 3 * 8**3
    still_answers(app)


def test_a_raw_read_is_capped_by_the_bytes_it_answers(settings, engine, public_dataset) -> None:
    """Was: 512³ voxels of any element class (a GiB for uint64). Now the setting caps the answer's bytes."""
    default = TestClient(create_app(settings, migrate=False))
    assert raw(default, public_dataset, x=0, y=0, z=0, width=512, height=512, depth=170).status_code == 400
    app = app_with(settings, engine, max_data_answer_bytes=MIB)
    anonymous = TestClient(app)
    fits = raw(anonymous, public_dataset, x=0, y=0, z=0, width=64, height=64, depth=64)  # 3 × 256 KiB
    assert fits.status_code == 200 and len(fits.content) == 3 * 64**3
    too_big = raw(anonymous, public_dataset, x=0, y=0, z=0, width=128, height=64, depth=64)
    assert too_big.status_code == 400 and "at most 1048576 bytes" in too_big.json()["error"]
    still_answers(app)


def buckets(client: TestClient, dataset_id: str, positions, mag=(1, 1, 1)):  # type: ignore[no-untyped-def]
    return client.post(
        f"/data/datasets/{dataset_id}/layers/color/buckets",
        json={"mag": list(mag), "buckets": [list(p) for p in positions]},
    )


def test_bucket_requests_are_capped_and_each_bucket_is_asked_once(settings, engine, public_dataset) -> None:
    """Was: 4096 buckets per request (512 MB of uint64), the same bucket as often as asked."""
    default = TestClient(create_app(settings, migrate=False))
    flood = buckets(default, public_dataset, [(i, 0, 0) for i in range(257)])
    assert flood.status_code == 400 and "at most 256 buckets" in flood.json()["error"]
    app = app_with(settings, engine, max_buckets_per_request=4)
    anonymous = TestClient(app)
    assert len(buckets(anonymous, public_dataset, [(i, 0, 0) for i in range(4)]).content) == 4 * 3 * 32**3
    assert buckets(anonymous, public_dataset, [(i, 0, 0) for i in range(5)]).status_code == 400
    repeated = buckets(anonymous, public_dataset, [(0, 0, 0), (1, 0, 0), (0, 0, 0)])
    assert repeated.status_code == 400 and "repeats bucket 0" in repeated.json()["error"]
    still_answers(app)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:  # type: ignore[no-untyped-def]
    return build_synthetic(tmp_path_factory.mktemp("synthetic") / "synthetic-em", size=(64, 64, 64))


def test_annotation_bucket_reads_have_the_same_caps(app, session_factory, synthetic) -> None:
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic, public=True)
    owner = logged_in_client(app, world.users["team_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["volume"]}).json()
    url = f"/data/annotations/{created['id']}/layers/Volume/buckets"
    ok = owner.post(url, json={"mag": [1, 1, 1], "buckets": [[0, 0, 0], [1, 0, 0]]})
    assert ok.status_code == 200 and len(ok.content) == 2 * 4 * 32**3
    flood = owner.post(url, json={"mag": [1, 1, 1], "buckets": [[i, 0, 0] for i in range(257)]})
    assert flood.status_code == 400 and "at most 256 buckets" in flood.json()["error"]
    repeated = owner.post(url, json={"mag": [1, 1, 1], "buckets": [[0, 0, 0], [0, 0, 0]]})
    assert repeated.status_code == 400
    for bad in (
        {"mag": [1, 1, 1], "buckets": [[1e30, 0, 0]]},
        {"mag": [1e30, 1, 1], "buckets": [[0, 0, 0]]},
        {"mag": [0, 1, 1], "buckets": [[0, 0, 0]]},
        {"mag": [1, 1, 1], "buckets": [[-(2**40), 0, 0]]},
    ):
        assert owner.post(url, json=bad).status_code == 422, bad
    assert owner.get(f"/api/annotations/{created['id']}/info").json()["version"] == created["version"]
    still_answers(app)


@pytest.mark.parametrize(
    "params",
    [
        {"width": -1},
        {"width": "1e30"},
        {"width": 10**30},
        {"x": 10**30},
        {"x": "1e30"},
        {"x": -5},
        {"x": "nan"},
        {"mag": "999999"},
        {"mag": "0-1-1"},
        {"mag": "1-1-1-1"},
        {"mag": "1e30"},
        {"mag": "-1"},
        {"mag": "9" * 41},
        {"mag": "99999999999999999999-1-1"},
        {"depth": 0},
        {"height": "inf"},
    ],
)
def test_numeric_query_bounds_are_4xx_never_500(app, public_dataset, params) -> None:
    box = {"x": 0, "y": 0, "z": 0, "width": 4, "height": 4, "depth": 4, **params}
    answer = raw(TestClient(app), public_dataset, **box)
    assert 400 <= answer.status_code < 500, answer.text
    still_answers(app)


@pytest.mark.parametrize("version", ["-1", "1e30", str(10**30), str(2**63), "nan"])
def test_version_numbers_out_of_range_are_4xx_never_500(app, session_factory, synthetic, version) -> None:
    world = build_world(session_factory)
    dataset_id = register_folder(session_factory, world.org_ids["a"], synthetic, public=True)
    owner = logged_in_client(app, world.users["team_a"])
    created = owner.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton"]}).json()
    skeleton = owner.get(f"/api/annotations/{created['id']}/skeleton", params={"version": version})
    assert 400 <= skeleton.status_code < 500, skeleton.text
    save = owner.post(
        f"/api/annotations/{created['id']}/updates",
        content=f'{{"version": {version}, "actions": []}}',
        headers={"content-type": "application/json"},
    )
    assert 400 <= save.status_code < 500, save.text
    assert owner.get(f"/api/annotations/{created['id']}/info").json()["version"] == created["version"]
    still_answers(app)


# ---- guessing from a shared address ------------------------------------------------------------------------------


def guess_rows(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return (
            session.scalar(
                select(func.count()).select_from(LoginFailure).where(LoginFailure.key.like("token-guess:%"))
            )
            or 0
        )


def test_past_the_guess_limit_only_wrong_tokens_are_refused(app, session_factory) -> None:
    """Was: after 30 unknown tokens from an address, every token from it got 429, valid ones too."""
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    guesser = TestClient(app, base_url="http://127.0.0.1")
    for i in range(30):
        assert guesser.get(ds, params={"token": f"guess{i:04d}AAAAAAAAAAAAAAAAAAAA"}).status_code == 404
    # The guesser is stopped, with the same answer wherever it guesses, and its count no longer grows.
    for target in (ds, "/api/datasets/0123456789abcdef01234567", f"/api/annotations/{world.dataset_id}/info"):
        refused = guesser.get(target, params={"token": "guess9999AAAAAAAAAAAAAAAAAAAA"})
        assert refused.status_code == 429 and "Retry-After" in refused.headers, target
    assert guess_rows(session_factory) == 30
    # Everyone else behind that address: the right token, own access with a stale link, a public object.
    assert guesser.get(ds, params={"token": world.tokens["valid"]}).status_code == 200
    member = client_for(app, world, "team_member")
    assert member.get(ds, params={"token": "guess9999AAAAAAAAAAAAAAAAAAAA"}).status_code == 200
    assert member.get(ds, params={"token": world.tokens["revoked"]}).status_code == 200
    outsider = client_for(app, world, "outsider")
    assert outsider.get(ds, params={"token": "guess9999AAAAAAAAAAAAAAAAAAAA"}).status_code == 429
    assert guesser.get("/api/spotlight", params={"token": "guess9999AAAAAAAAAAAAAAAAAAAA"}).status_code == 200
    assert guess_rows(session_factory) == 30
    still_answers(app)


def test_past_the_guess_limit_valid_api_tokens_and_sessions_still_work(app, session_factory) -> None:
    """Was: a script's valid API token or a browser session sent along with a stale link (`?token=`) got 429
    from an address past the limit. Wrong API tokens are guesses like wrong share tokens."""
    world = build_dataset_world(session_factory)
    ds = f"/api/datasets/{world.dataset_id}"
    token = api_token(app, world.accounts.users["team_a"])
    browser = logged_in_client(app, world.accounts.users["admin_a"])
    for i in range(30):
        guess = TestClient(app, headers={"X-Auth-Token": f"apiguess{i:04d}AAAAAAAAAAAAAAAAAA"}).get(
            "/api/user"
        )
        assert guess.status_code == 401
    assert (
        TestClient(app, headers={"X-Auth-Token": "apiguess9999AAAAAAAAAAAAAAAAAA"})
        .get("/api/user")
        .status_code
        == 429
    )
    script = TestClient(app, headers={"X-Auth-Token": token})
    assert script.get("/api/user").json()["email"] == "team@a.org"
    assert script.get(ds, params={"token": "stalelink0000AAAAAAAAAAAAAAAAAA"}).status_code == 200
    assert browser.get(ds, params={"token": "stalelink0000AAAAAAAAAAAAAAAAAA"}).status_code == 200
    assert guess_rows(session_factory) == 30
    still_answers(app)


def login(client: TestClient, email: str, password: str) -> int:
    return client.post("/api/auth/login", json={"email": email, "password": password}).status_code


def failures(session_factory) -> int:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        return (
            session.scalar(
                select(func.count()).select_from(LoginFailure).where(LoginFailure.key.like("address:%"))
            )
            or 0
        )


def test_past_the_address_login_limit_a_correct_password_still_logs_in(app, session_factory) -> None:
    """Was: after 20 failed logins from an address, correct passwords from it got 429 too."""
    build_world(session_factory)
    shared = TestClient(app, base_url="http://127.0.0.1")
    for i in range(20):
        assert login(shared, f"spray{i}@a.org", "wrong-guess") == 401
    assert login(shared, "member@b.org", PASSWORD) == 200
    assert login(shared, "admin@a.org", PASSWORD) == 200
    # The sprayer: a wrong guess is 429 (the same for an unknown email), and one verified guess per account.
    assert login(shared, "tm@a.org", "wrong-guess") == 429
    assert login(shared, "nobody@a.org", "wrong-guess") == 429
    assert login(shared, "tm@a.org", PASSWORD) == 429  # even right: this address already guessed for tm@
    assert rows(session_factory, AuthSession) == 2
    still_answers(app)


def test_the_hard_address_limit_refuses_everything(settings, engine, session_factory) -> None:
    """Past `login_max_failures_per_address_hard` nothing from the address is checked (each check costs an
    argon2 hash), so a sprayer cannot turn the soft limit's one-guess-per-account into unbounded work."""
    app = app_with(settings, engine, login_max_failures_per_address_hard=22)
    build_world(session_factory)
    client = TestClient(app, base_url="http://127.0.0.1")
    for i in range(22):
        login(client, f"spray{i}@a.org", "wrong-guess")
    assert failures(session_factory) == 22
    assert login(client, "admin@a.org", PASSWORD) == 429
    assert login(client, "fresh@a.org", "wrong-guess") == 429
    assert failures(session_factory) == 22  # refused unchecked, so not even counted
    still_answers(app)


# ---- the client's address behind a proxy -------------------------------------------------------------------------


def guess_until_refused(base: str, forwarded_for: str | None, attempts: int) -> list[int]:
    statuses = []
    for i in range(attempts):
        headers = {"X-Auth-Token": f"proxyguess{i:04d}AAAAAAAAAAAAAAAA"}
        if forwarded_for:
            headers["X-Forwarded-For"] = forwarded_for.format(i=i)
        statuses.append(httpx.get(f"{base}/api/user", headers=headers, timeout=10).status_code)
    return statuses


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(settings, engine) -> None:
    with running_server(settings, args=["--proxy-headers", "--forwarded-allow-ips", "127.0.0.1"]) as base:
        assert guess_until_refused(base, "198.51.100.7", 31) == [401] * 30 + [429]
        # Another client of the same proxy is not limited by the first one's guesses.
        assert guess_until_refused(base, "198.51.100.8", 1) == [401]
        assert httpx.get(f"{base}/api/buildinfo", timeout=10).status_code == 200


def test_without_trusted_proxies_x_forwarded_for_is_ignored(settings, engine) -> None:
    """A client cannot name a new address with each request to step out of its limit."""
    with running_server(settings) as base:
        assert guess_until_refused(base, "198.51.100.{i}", 31) == [401] * 30 + [429]
        assert guess_until_refused(base, "192.0.2.1", 1) == [429]
        assert httpx.get(f"{base}/api/buildinfo", timeout=10).status_code == 200


def test_proxy_settings_are_checked_at_start(monkeypatch, capsys) -> None:
    monkeypatch.delenv("VOXELHUB_FORWARDED_ALLOW_IPS", raising=False)
    assert main(["serve", "--proxy-headers"]) == 2
    assert "--forwarded-allow-ips" in capsys.readouterr().err
    assert main(["serve", "--proxy-headers", "--forwarded-allow-ips", "not-an-address"]) == 2
    assert (
        Settings.from_env({"VOXELHUB_FORWARDED_ALLOW_IPS": "10.0.0.1, 10.1.0.0/16"}).forwarded_allow_ips
        == "10.0.0.1,10.1.0.0/16"
    )
    assert Settings.from_env({}).forwarded_allow_ips == ""
    with pytest.raises(SettingsError):
        Settings.from_env({"VOXELHUB_FORWARDED_ALLOW_IPS": "proxy.example"})
    with pytest.raises(SettingsError):
        Settings.from_env({"VOXELHUB_MAX_UPLOAD_BYTES": "-5"})
    assert Settings.from_env({"VOXELHUB_MAX_UPLOAD_BYTES": "1000"}).max_upload_bytes == 1000
