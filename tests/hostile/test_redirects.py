"""Issue 11, holes 6 and 7: no redirect of this server leads off it.

The login's `next` keeps only a path of this server (its query and #fragment too); short links are checked
against the configured public URL, never the request's Host header, both when made and when followed.
"""

from __future__ import annotations

import httpx2 as httpx
import pytest

from tests.factories import PASSWORD, build_world, logged_in_client
from tests.server import running_server
from voxelhub.db import transaction
from voxelhub.settings import Settings, SettingsError
from voxelhub.sharing.models import ShortLink

# What a browser makes of each: the tab, newline and zero-width space vanish, "\" reads as "/", so each is a
# link to another host (or a script). Given as the raw query value, as a phishing mail would carry it.
OFF_SITE = [
    "/%09/evil.example/phish",
    "/%0A/evil.example",
    "/%0D%0A/evil.example",
    "/%E2%80%8B/evil.example",
    "/%5C/evil.example",
    "%5C%5Cevil.example",
    "//evil.example",
    "/%2F/evil.example",
    "/%252F/evil.example",
    "/%255C/evil.example",
    "/%2509/evil.example",
    "https://evil.example",
    "https:/evil.example",
    "javascript:alert(1)",
    "%20/evil.example",
    "/%20/evil.example",
    "/x%00y",
    "evil.example",
    "",
    "%2F%2Fevil.example",
]
SAME_SITE = [
    "/dashboard",
    "/datasets/a-1/view?token=abc&x=1#3584,3584,1024,0,1.3",
    "/annotations/abc#1,2,3",
    "/datasets/a:b-1/view",
    "/100%25-done",
]


@pytest.mark.parametrize("raw", OFF_SITE)
def test_login_next_off_site_goes_to_the_dashboard(app, session_factory, raw: str) -> None:
    world = build_world(session_factory)
    user = logged_in_client(app, world.users["member_a"])
    answer = user.get(f"/auth/login?next={raw}", follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/dashboard"
    page = logged_in_client(app, world.users["member_a"])
    page.cookies.clear()
    form = page.get(f"/auth/login?next={raw}")
    assert form.status_code == 200 and 'data-next="/dashboard"' in form.text


@pytest.mark.parametrize("target", SAME_SITE)
def test_login_next_keeps_a_path_of_this_server_with_its_query_and_fragment(
    app, session_factory, target: str
) -> None:
    world = build_world(session_factory)
    user = logged_in_client(app, world.users["member_a"])
    answer = user.get("/auth/login", params={"next": target}, follow_redirects=False)
    assert answer.status_code == 303
    assert httpx.URL(answer.headers["location"]) == httpx.URL(target)


@pytest.mark.parametrize(
    "candidate",
    [
        "/\t/evil.example",
        "/\\evil.example",
        "/\u3000/x",
        "/\u202e/x",
        "/%09/evil.example",
        "/%5c/evil.example",
        "\\/evil.example",
        "/ok\\..\\x",
    ],
)
def test_the_helper_refuses_what_browsers_read_as_another_host(candidate: str) -> None:
    from voxelhub.redirects import local_target

    assert local_target(candidate) == "/dashboard"


def test_public_url_defaults_to_the_documented_address_and_refuses_odd_values() -> None:
    assert Settings().public_url == "http://127.0.0.1:8000"
    assert Settings.from_env({}).public_url == "http://127.0.0.1:8000"
    assert (
        Settings.from_env({"VOXELHUB_PUBLIC_URL": "https://data.lab.org/"}).public_url
        == "https://data.lab.org"
    )
    for bad in (
        "data.lab.org",
        "ftp://data.lab.org",
        "https://",
        "https://u:p@data.lab.org",
        "http://h:port",
        "https://data.lab.org/?x=1",
        "https://data.lab.org/#x",
        "https://da ta.org",
    ):
        with pytest.raises(SettingsError):
            Settings.from_env({"VOXELHUB_PUBLIC_URL": bad})


def test_serve_names_its_own_port_when_no_public_url_is_given() -> None:
    from voxelhub.cli.serve_cmd import local_url

    assert local_url("127.0.0.1", 8123) == "http://127.0.0.1:8123"
    assert local_url("0.0.0.0", 9000) == "http://127.0.0.1:9000"
    assert local_url("::1", 9000) == "http://[::1]:9000"


def test_a_spoofed_host_header_cannot_make_a_short_link_leave_the_server(
    settings, session_factory, monkeypatch
) -> None:
    """A real `voxelhub serve --port P` without VOXELHUB_PUBLIC_URL: "this server" is http://127.0.0.1:P."""
    monkeypatch.delenv("VOXELHUB_PUBLIC_URL", raising=False)
    world = build_world(session_factory)
    with running_server(settings) as base:
        client = httpx.Client(base_url=base, timeout=30)
        login = client.post("/api/auth/login", json={"email": world.users["member_a"], "password": PASSWORD})
        client.headers["X-CSRF-Token"] = login.json()["csrfToken"]
        spoofed = {"Host": "evil.example"}
        refused = client.post(
            "/api/shortLinks", json={"longLink": "http://evil.example/phish"}, headers=spoofed
        )
        assert refused.status_code == 400, refused.text
        made = client.post("/api/shortLinks", json={"longLink": f"{base}/dashboard#x"}, headers=spoofed)
        assert made.status_code == 201, made.text
        followed = client.get(f"/links/{made.json()['key']}", headers=spoofed, follow_redirects=False)
        assert followed.status_code == 302 and followed.headers["location"] == f"{base}/dashboard#x"


def test_a_stored_short_link_is_checked_again_when_followed(app, session_factory, client) -> None:
    """Rows made under an older rule, or for an earlier public URL, must not redirect off the server."""
    stored = {
        "k1": "https://evil.example/phish",
        "k2": "/\t/evil.example",
        "k3": "http://127.0.0.1:9999/x",
        "k4": "/datasets/a-1/view#1,2,3",
        "k5": "http://127.0.0.1/annotations/x?token=t#1,2",
    }
    with transaction(session_factory) as session:
        for key, target in stored.items():
            session.add(ShortLink(key=key, long_link=target, created_by=None))
    for key in ("k1", "k2", "k3"):
        assert client.get(f"/links/{key}", follow_redirects=False).status_code == 404
        assert client.get(f"/api/shortLinks/byKey/{key}").status_code == 404
    for key in ("k4", "k5"):
        followed = client.get(f"/links/{key}", follow_redirects=False)
        assert followed.status_code == 302 and followed.headers["location"] == stored[key]


@pytest.mark.parametrize(
    "path, location",
    [
        ("/api/datasets/", "/api/datasets"),
        ("/dashboard/", "/dashboard"),
        ("/api/spotlight/?x=1", "/api/spotlight?x=1"),
    ],
)
def test_the_trailing_slash_redirect_ignores_a_spoofed_host(client, path: str, location: str) -> None:
    """Starlette wrote this Location from the Host header: http://evil.example/api/datasets."""
    answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
    assert answer.status_code == 307 and answer.headers["location"] == location
