"""`authenticate`, with and without the read memo: every case runs both ways, so that the data routes (which
use the memo on SQLite) and every other route (which read afresh) cannot drift apart."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine, delete, event, func, select
from starlette.requests import Request

from tests.factories import build_world
from voxelhub.accounts import api_tokens
from voxelhub.accounts.models import ApiToken, AuthSession, LoginFailure, User
from voxelhub.api.authentication import CSRF_HEADER, SESSION_COOKIE, Caller, authenticate
from voxelhub.db import transaction, utcnow
from voxelhub.errors import Forbidden
from voxelhub.ids import new_secret_token, token_digest
from voxelhub.read_memo import ReadMemo

SESSION_LIFETIME = 0.5  # seconds; the expiry test waits this long


@pytest.fixture(params=["memo", "no memo"])
def memo(request: pytest.FixtureRequest, app) -> Iterator[ReadMemo | None]:  # type: ignore[no-untyped-def]
    if request.param == "no memo":
        yield None
        return
    memo = ReadMemo(app.state.engine)
    yield memo
    memo.close()


@pytest.fixture
def world(app) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """An API token of the admin and a session (with its CSRF token) of a plain member, both of org A."""
    build_world(app.state.session_factory)
    with transaction(app.state.session_factory) as session:
        admin = session.scalars(select(User).where(User.email == "admin@a.org")).one()
        member = session.scalars(select(User).where(User.email == "member@a.org")).one()
        made = api_tokens.create_named_token(session=session, user=admin, name="script")
        cookie, csrf = new_secret_token(), new_secret_token()
        session.add(
            AuthSession(
                id_digest=token_digest(cookie),
                user_id=member.id,
                csrf_token=csrf,
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        return {
            "admin": admin.id,
            "member": member.id,
            "api_token": made.secret,
            "token_id": made.row.id,
            "cookie": cookie,
            "csrf": csrf,
        }


def _request(
    app,
    method: str = "GET",
    headers: dict[str, str] | None = None,  # type: ignore[no-untyped-def]
    cookie: str | None = None,
) -> Request:
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    if cookie:
        raw.append((b"cookie", f"{SESSION_COOKIE}={cookie}".encode()))
    return Request(
        {
            "type": "http",
            "app": app,
            "method": method,
            "path": "/data/x",
            "headers": raw,
            "query_string": b"",
            "client": ("192.0.2.7", 5000),
            "path_params": {},
        }
    )


def _authenticate(
    app,
    request: Request,
    memo: ReadMemo | None,  # type: ignore[no-untyped-def]
    guesses: list[str] | None = None,
) -> Caller:
    with app.state.session_factory() as session:
        return authenticate(request, session, memo=memo, guesses=guesses)


@pytest.fixture
def statements(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Every statement the app's engine runs (the memo's own `PRAGMA data_version` is not among them)."""
    seen: list[str] = []
    engine: Engine = app.state.engine

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", note)
    yield seen
    event.remove(engine, "before_cursor_execute", note)


def _user_id(caller: Caller) -> str | None:
    return caller.actor.user.user_id if caller.actor.user else None


def test_a_request_without_credentials_reads_nothing(app, memo, statements) -> None:  # type: ignore[no-untyped-def]
    caller = _authenticate(app, _request(app), memo)
    assert caller.actor.is_anonymous and caller.login is None
    assert statements == []


def test_an_api_token_comes_before_the_session_cookie(app, world, memo) -> None:  # type: ignore[no-untyped-def]
    both = {"X-Auth-Token": world["api_token"]}
    for _ in range(2):  # the second time from the memo, when there is one
        guesses: list[str] = []
        caller = _authenticate(app, _request(app, "POST", both, cookie=world["cookie"]), memo, guesses)
        assert _user_id(caller) == world["admin"] and caller.session_token is None  # and no CSRF proof needed
        assert caller.login is not None and caller.login.api_token_id == world["token_id"]
        assert caller.actor.grants == () and guesses == []  # the API token is no share token besides
    app.state.token_use.flush()
    with app.state.session_factory() as session:
        assert session.get(ApiToken, world["token_id"]).last_used_at is not None  # type: ignore[union-attr]

    # A token that names nobody leaves the cookie to decide, and counts as a share-token guess.
    guesses = []
    wrong = {"X-Auth-Token": "x" * 32, CSRF_HEADER: world["csrf"]}
    caller = _authenticate(app, _request(app, "POST", wrong, cookie=world["cookie"]), memo, guesses)
    assert _user_id(caller) == world["member"] and caller.session_token == world["cookie"]
    assert guesses == ["192.0.2.7"]


def test_a_cookie_session_must_prove_csrf_to_change_things(app, world, memo) -> None:  # type: ignore[no-untyped-def]
    assert _user_id(_authenticate(app, _request(app, "GET", cookie=world["cookie"]), memo)) == world["member"]
    with pytest.raises(Forbidden):
        _authenticate(app, _request(app, "POST", cookie=world["cookie"]), memo)
    with pytest.raises(Forbidden):
        _authenticate(app, _request(app, "POST", {CSRF_HEADER: "y" * 32}, cookie=world["cookie"]), memo)
    proven = _request(app, "POST", {CSRF_HEADER: world["csrf"]}, cookie=world["cookie"])
    assert _user_id(_authenticate(app, proven, memo)) == world["member"]


def test_a_session_ends_when_it_expires_though_nothing_was_written(  # type: ignore[no-untyped-def]
    app, world, memo, statements
) -> None:
    """A remembered session carries its expiry: the clock is read on every request, the database need not be."""
    with transaction(app.state.session_factory) as session:
        row = session.get(AuthSession, token_digest(world["cookie"]))
        row.expires_at = utcnow() + timedelta(seconds=SESSION_LIFETIME)  # type: ignore[union-attr]
    request = _request(app, cookie=world["cookie"])
    assert _user_id(_authenticate(app, request, memo)) == world["member"]
    statements.clear()
    assert _user_id(_authenticate(app, request, memo)) == world["member"]
    assert (statements == []) == (memo is not None)  # the memo answered, or the database did
    time.sleep(SESSION_LIFETIME)
    caller = _authenticate(app, request, memo)
    assert caller.actor.is_anonymous and caller.login is None
    assert (statements == []) == (memo is not None)


def test_a_deleted_api_token_stops_on_the_next_request(app, world, memo) -> None:  # type: ignore[no-untyped-def]
    request = _request(app, headers={"X-Auth-Token": world["api_token"]})
    assert _user_id(_authenticate(app, request, memo)) == world["admin"]
    with transaction(app.state.session_factory) as session:
        session.execute(delete(ApiToken).where(ApiToken.id == world["token_id"]))
    caller = _authenticate(app, request, memo)  # records the now unknown token as a guess, committed
    assert caller.actor.is_anonymous
    with app.state.session_factory() as session:
        assert session.scalar(select(func.count()).select_from(LoginFailure)) == 1
