"""Issue 11, "Keep it closed": a property-based fuzzing run over the whole HTTP API of a live server.

schemathesis generates requests from `/api/openapi.json` for every operation, as an anonymous visitor and as
a logged-in admin (API token header), against a real `voxelhub serve` on SQLite; every answer must be below 500
and match its documented response schema and media type (error answers included: `{"error": …}`). The plain data routes that the OpenAPI document leaves out (the zarr
hierarchy, `/data/s/{token}/…`, the `/data/v{N}/…` prefixes) are fuzzed by hand with hypothesis.

Bounded for CI: a fixed number of examples per operation, derandomized (the same requests on every run), so
the whole file takes well under 3 minutes on a 2-core machine.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx2 as httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.fixture_files import FIXTURES
from tests.server import running_server
from voxelhub.accounts import service as accounts
from voxelhub.api.app import create_app
from voxelhub.datasets import service as datasets
from voxelhub.db import make_engine, make_session_factory, run_migrations, transaction
from voxelhub.policy import SYSTEM
from voxelhub.settings import Settings

# The server it fuzzes always runs on SQLite, so the run belongs to the suite's SQLite pass only: in the
# PostgreSQL pass of CI it would repeat the very same requests against the very same server.
pytestmark = pytest.mark.skipif(
    bool(os.environ.get("VOXELHUB_DATABASE_URL")),
    reason="the fuzzing run serves from SQLite; it runs in the SQLite pass",
)

EXAMPLES_PER_OPERATION = 4
HAND_EXAMPLES = 40
ADMIN_EMAIL, ADMIN_PASSWORD = "fuzz-admin@fuzz.example", "fuzzing password 1"
FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES_PER_OPERATION,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


def _served_schema() -> dict:  # type: ignore[type-arg]
    """The OpenAPI document, as the app serves it (a test below checks that the live server serves exactly
    this); built in-process because pytest needs the operations before any server runs."""
    folder = Path(tempfile.mkdtemp(prefix="voxelhub-openapi-"))
    app = create_app(Settings(data_dir=folder), migrate=False)
    try:
        return app.openapi()
    finally:
        if app.state.read_memo is not None:
            app.state.read_memo.close()
        app.state.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


SERVED = _served_schema()
schema = (
    schemathesis.openapi.from_dict(SERVED)
    # Excluded: routes that would end the fuzzing user's own credentials, so that every later request of the
    # run would be anonymous and the logged-in half of the run would silently test nothing: logout ends the
    # session, the token routes (revoke, rotate) end the API token the run sends, and PATCH of a user may
    # deactivate or demote the fuzzing admin itself (password changes likewise).
    .exclude(method="POST", path="/api/auth/logout")
    .exclude(method_regex="^(DELETE|POST|PUT|PATCH)$", path_regex=r"^/api/auth/(token|password|sessions)")
    .exclude(method="PATCH", path="/api/users/{user_id}")
)

# Operations that still answer 500 or violate their schema for reasons owned by another branch of issue 11.
# Each entry names the hole; the lead removes it once that branch is merged (the test then must pass).
KNOWN_FAILURES: dict[str, str] = {}


@dataclass(frozen=True)
class Live:
    base: str
    token: str
    dataset_id: str  # a public dataset with one zarr color layer
    private_id: str  # a private one, readable only by the admin
    real: dict[str, str]  # path parameter -> the id of an object that exists (see `_with_real_ids`)

    def headers(self, who: str) -> dict[str, str]:
        return {"X-Auth-Token": self.token} if who == "user" else {}


def _seed(settings_: Settings) -> tuple[str, str]:
    engine = make_engine(settings_)
    run_migrations(engine)
    try:
        with transaction(make_session_factory(engine)) as session:
            org, _ = accounts.create_organization(
                session=session,
                actor=SYSTEM,
                name="fuzz-lab",
                admin_email=ADMIN_EMAIL,
                admin_password=ADMIN_PASSWORD,
            )
            public = datasets.register_folder(
                session=session,
                actor=SYSTEM,
                organization_id=org.id,
                location_url=str(FIXTURES / "simple_zarr_dataset"),
                name="open",
            )
            public.is_public = True
            private = datasets.register_folder(
                session=session,
                actor=SYSTEM,
                organization_id=org.id,
                location_url=str(FIXTURES / "simple_zarr3_dataset"),
                name="closed",
            )
            return public.id, private.id
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    # Always SQLite, whatever database the rest of the suite runs on: the issue asks for this run on SQLite.
    settings_ = Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "data", database_url="")
    public_id, private_id = _seed(settings_)
    with running_server(settings_) as base:
        client = httpx.Client(base_url=base, timeout=30)
        login = client.post("/api/auth/login", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
        assert login.status_code == 200, login.text
        token = client.get("/api/auth/token").json()["token"]
        real = _objects(httpx.Client(base_url=base, timeout=30, headers={"X-Auth-Token": token}), public_id)
        yield Live(base=base, token=token, dataset_id=public_id, private_id=private_id, real=real)


def _objects(admin: httpx.Client, dataset_id: str) -> dict[str, str]:
    """One object of every kind the API names in a path, made through the API, so that the fuzzer reaches
    past the 404 of an unknown id (a public annotation with a volume layer, a team, a user, links)."""

    def made(answer: httpx.Response) -> dict:  # type: ignore[type-arg]
        assert answer.status_code in (200, 201), answer.text
        return answer.json()  # type: ignore[no-any-return]

    annotation = made(
        admin.post("/api/annotations", json={"datasetId": dataset_id, "layers": ["skeleton", "volume"]})
    )
    made(admin.patch(f"/api/annotations/{annotation['id']}", json={"visibility": "Public"}))
    team = made(admin.post("/api/teams", json={"name": "fuzzed"}))
    user = made(
        admin.post(
            "/api/users",
            json={
                "email": "member@fuzz.example",
                "firstName": "M",
                "lastName": "F",
                "password": "member password 1",
                "isAdmin": False,
                "isDatasetManager": False,
                "teams": [],
            },
        )
    )
    link = made(admin.post(f"/api/datasets/{dataset_id}/shareLinks", json={"name": "fuzzed"}))
    short = made(admin.post("/api/shortLinks", json={"longLink": "/dashboard"}))
    volume = next(
        (
            layer.get("name")
            for layer in annotation.get("annotationLayers", [])
            if layer.get("typ") == "Volume"
        ),
        "Volume",
    )
    return {
        "dataset_id": dataset_id,
        "annotation_id": annotation["id"],
        "team_id": team["id"],
        "user_id": user["id"],
        "link_id": link["id"],
        "key": short["key"],
        "organization": "fuzz-lab",
        "name": "open",
        "layer": volume,
    }


@pytest.fixture(params=["anonymous", "user"])
def who(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_live_server_serves_the_fuzzed_schema(live: Live) -> None:
    assert httpx.get(f"{live.base}/api/openapi.json", timeout=30).json() == SERVED


@schema.parametrize()
@FUZZ_SETTINGS
def test_api_answers_below_500_and_as_documented(case: schemathesis.Case, live: Live, who: str) -> None:
    label = f"{case.operation.method.upper()} {case.operation.path}"
    _with_real_ids(case, live)
    try:
        case.call_and_validate(
            base_url=live.base,
            headers=live.headers(who),
            timeout=30,
            checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
        )
    except AssertionError:
        if label in KNOWN_FAILURES:
            pytest.xfail(KNOWN_FAILURES[label])
        raise


def _with_real_ids(case: schemathesis.Case, live: Live) -> None:
    """Half of the generated cases (chosen by a hash of the case, so a derandomized run stays reproducible)
    name existing objects instead of random ids: random ids only ever reach the 404 at the door. Deletions
    keep their random ids so that the objects outlive the run."""
    params = case.path_parameters or {}
    if case.operation.method.upper() == "DELETE" or zlib.crc32(repr(sorted(params.items())).encode()) % 2:
        return
    for name in params:
        if name in live.real:
            params[name] = live.real[name]
    if case.operation.path.startswith("/data/datasets/") and "layer" in params:
        params["layer"] = "color"


def test_the_run_kept_its_login(live: Live) -> None:
    """Had the run ended its own credentials, the logged-in half would have silently run anonymous."""
    assert httpx.get(f"{live.base}/api/user", headers=live.headers("user"), timeout=30).status_code == 200


# ---------------------------------------------------------------- the data routes the OpenAPI document leaves out

ODD_TEXT = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=40)
KEY_PART = st.one_of(
    st.sampled_from(
        [
            "color",
            "1",
            "2-2-1",
            "zarr.json",
            ".zarray",
            ".zattrs",
            ".zgroup",
            "c",
            "0",
            "0.0.0",
            "0.0.0.0",
            "c/0/0/0/0",
            "datasource-properties.json",
            "..",
            ".",
            "",
            "%2e%2e",
            "%00",
            "-1",
            "99999",
            "1e9",
            "１",
        ]
    ),
    ODD_TEXT.map(lambda s: s.replace("/", "")),
)
KEYS = st.lists(KEY_PART, min_size=1, max_size=6).map("/".join)
BAD_MAGS = st.one_of(
    st.sampled_from(
        [
            "1-1-1",
            "2-2-1",
            "0-0-0",
            "-1--1--1",
            "1-1",
            "1-1-1-1",
            "a-b-c",
            "99999-1-1",
            "1.5-1-1",
            "2147483648-1-1",
            "1e3-1-1",
            "",
            " 1-1-1",
            "1_1_1",
            "１-1-1",
            "4-4-4",
        ]
    ),
    ODD_TEXT,
)
# Sizes either small (so a real read stays cheap) or far outside what the route accepts.
SIZES = st.one_of(st.integers(1, 40), st.sampled_from([0, -1, 4097, 2**31, 2**63, -(2**63)]))
COORDS = st.one_of(st.integers(0, 64), st.sampled_from([-1, 2**31 - 1, 2**31, 2**63, 10**30]))
HAND = settings(
    max_examples=HAND_EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    phases=[Phase.explicit, Phase.generate],
)


def _ids(live: Live) -> st.SearchStrategy[str]:
    return st.sampled_from([live.dataset_id, live.private_id, "0" * 24, "x", "%00", "ZZ" * 12])


def _get(live: Live, who: str, path: str, headers: dict[str, str] | None = None, **kwargs) -> httpx.Response:  # type: ignore[no-untyped-def]
    answer = httpx.get(
        f"{live.base}{path}", headers={**live.headers(who), **(headers or {})}, timeout=30, **kwargs
    )
    assert answer.status_code < 500, (path, kwargs, answer.status_code, answer.text[:500])
    return answer


def test_zarr_keys(live: Live, who: str) -> None:
    @HAND
    @given(
        dataset_id=_ids(live),
        key=KEYS,
        prefix=st.sampled_from(["/data", "/data/v5", "/data/v999"]),
        ranged=st.sampled_from(
            [None, "bytes=0-10", "bytes=-5", "bytes=10-0", "bytes=x", "bytes=0-99999999999"]
        ),
    )
    def run(dataset_id: str, key: str, prefix: str, ranged: str | None) -> None:
        headers = {"Range": ranged} if ranged else {}
        answer = _get(live, who, f"{prefix}/zarr/{dataset_id}/{quote(key, safe='/')}", headers=headers)
        if dataset_id == live.private_id and who == "anonymous":
            assert answer.status_code == 404

    run()


def test_raw_boxes_with_odd_mags_sizes_and_layers(live: Live, who: str) -> None:
    @HAND
    @given(
        dataset_id=_ids(live),
        layer=st.one_of(st.sampled_from(["color", "segmentation", ""]), ODD_TEXT),
        mag=BAD_MAGS,
        x=COORDS,
        y=COORDS,
        z=COORDS,
        width=SIZES,
        height=SIZES,
        depth=SIZES,
    )
    def run(
        dataset_id: str, layer: str, mag: str, x: int, y: int, z: int, width: int, height: int, depth: int
    ) -> None:
        params = {"mag": mag, "x": x, "y": y, "z": z, "width": width, "height": height, "depth": depth}
        layer_part = quote(layer, safe="") or "color"
        _get(live, who, f"/data/datasets/{dataset_id}/layers/{layer_part}/data", params=params)

    run()


def test_bucket_batches_with_odd_mags_and_positions(live: Live, who: str) -> None:
    triple = st.lists(
        st.one_of(st.integers(-2, 4), st.sampled_from([2**31, 2**63, -(2**63)])), min_size=0, max_size=4
    )

    @HAND
    @given(
        dataset_id=_ids(live),
        mag=triple,
        buckets=st.lists(triple, max_size=6),
        extra=st.dictionaries(ODD_TEXT, st.integers(), max_size=2),
    )
    def run(dataset_id: str, mag: list[int], buckets: list[list[int]], extra: dict[str, int]) -> None:
        answer = httpx.post(
            f"{live.base}/data/datasets/{dataset_id}/layers/color/buckets",
            json={"mag": mag, "buckets": buckets, **extra},
            headers=live.headers(who),
            timeout=30,
        )
        assert answer.status_code < 500, (dataset_id, mag, buckets, extra, answer.text[:500])

    run()


def test_share_token_paths_and_query_tokens(live: Live, who: str) -> None:
    """Odd tokens in every place a token is read. Runs last: unknown tokens count as guesses per address,
    and once the address is limited it answers 429 (never 500) to the rest."""

    @settings(HAND, max_examples=25)
    @given(token=st.one_of(ODD_TEXT, st.sampled_from(["", "%00", "a" * 300, "../", "%2F"])), key=KEYS)
    def run(token: str, key: str) -> None:
        quoted = quote(token, safe="") or "t"
        _get(live, who, f"/data/s/{quoted}/zarr/{live.dataset_id}/{quote(key, safe='/')}")
        _get(live, who, f"/api/datasets/{live.private_id}", params={"token": token})
        _get(live, who, f"/api/datasets/{live.private_id}", params={"sharingToken": token})

    run()
