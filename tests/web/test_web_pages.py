"""Route tests of the server-rendered pages: who may open which page, what it shows, and that errors are HTML."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.sharing.world import client_for
from tests.web.pages_world import add_dataset, world_with_layers
from voxelhub.web import STATIC_DIR, VIEWER_DIR
from voxelhub.web.rendering import TEMPLATES_DIR

HTML = "text/html"


def _settings_url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/datasets/fly-brain-{world.dataset_id}/settings"


def _view_url(world) -> str:  # type: ignore[no-untyped-def]
    return f"/datasets/fly-brain-{world.dataset_id}/view"


# Settings page of a PRIVATE dataset (team a1 allowed): docs/permissions.md, "Datasets" and "Answers".
SETTINGS_PRIVATE = {
    "anonymous": 404,
    "link_valid": 401,
    "link_revoked": 404,
    "link_expired": 404,
    "outsider": 404,
    "member": 404,
    "team_member": 403,
    "team_manager": 200,
    "dataset_manager": 200,
    "admin": 200,
}
# The same dataset when public: everyone may read it, so non-editors learn only that they may not edit.
SETTINGS_PUBLIC = {
    "anonymous": 401,
    "link_valid": 401,
    "link_revoked": 401,
    "link_expired": 401,
    "outsider": 403,
    "member": 403,
    "team_member": 403,
    "team_manager": 200,
    "dataset_manager": 200,
    "admin": 200,
}


@pytest.mark.parametrize("actor", list(SETTINGS_PRIVATE))
def test_settings_page_of_private_dataset(app, session_factory, actor: str) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, actor).get(_settings_url(world))
    assert answer.status_code == SETTINGS_PRIVATE[actor], answer.text[:300]
    assert answer.headers["content-type"].startswith(HTML)
    if answer.status_code == 200:
        assert "Make dataset publicly accessible" in answer.text
        assert 'id="revoke-sharing-link"' in answer.text
    else:
        assert "Make dataset publicly accessible" not in answer.text
        assert "fly-brain" not in answer.text.replace(
            _settings_url(world), ""
        )  # nothing about the dataset leaks


@pytest.mark.parametrize("actor", list(SETTINGS_PUBLIC))
def test_settings_page_of_public_dataset(app, session_factory, actor: str) -> None:
    world = world_with_layers(session_factory, is_public=True)
    answer = client_for(app, world, actor).get(_settings_url(world))
    assert answer.status_code == SETTINGS_PUBLIC[actor], answer.text[:300]
    assert answer.headers["content-type"].startswith(HTML)
    if answer.status_code == 401:
        assert "/auth/login?next=" in answer.text


# The view page follows READ: a valid link works for anyone, a revoked or expired one for nobody new.
VIEW_PRIVATE = {
    "anonymous": 404,
    "link_valid": 200,
    "link_revoked": 404,
    "link_expired": 404,
    "outsider": 404,
    "member": 404,
    "team_member": 200,
    "team_manager": 200,
    "dataset_manager": 200,
    "admin": 200,
}


@pytest.mark.parametrize("actor", list(VIEW_PRIVATE))
def test_view_page_of_private_dataset(app, session_factory, actor: str) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, actor).get(_view_url(world))
    assert answer.status_code == VIEW_PRIVATE[actor]
    assert answer.headers["content-type"].startswith(HTML)
    if answer.status_code == 200:
        assert 'data-layer="color"' in answer.text and 'data-layer="segmentation"' in answer.text
        assert "11.24 × 11.24 × 28 nm" in answer.text
        assert "512 × 256 × 64 voxels" in answer.text
        settings_link = _settings_url(world) in answer.text
        assert settings_link == (actor in {"team_manager", "dataset_manager", "admin"})
        # Creating an annotation needs a login besides read access (a link holder alone may only look).
        assert ('id="create-annotation"' in answer.text) == (actor != "link_valid"), actor
    else:
        assert "segmentation" not in answer.text
        # Only a visitor who is not logged in is offered the login that may be all they lack.
        offers_login = 'href="/auth/login?next=/datasets/' in answer.text
        assert offers_login == (actor in {"anonymous", "link_revoked", "link_expired"}), actor


def test_view_page_passes_the_token_on_to_thumbnails(app, session_factory) -> None:
    world = world_with_layers(session_factory)
    token = world.tokens["valid"]
    answer = client_for(app, world, "link_valid").get(_view_url(world))
    thumbs = re.findall(r'<img src="([^"]+/thumbnail[^"]*)"', answer.text)
    assert thumbs == [
        f"/api/datasets/{world.dataset_id}/layers/{layer}/thumbnail?token={token}"
        for layer in ("color", "segmentation")
    ]


def test_view_page_with_a_malformed_address_is_a_404_page(app, session_factory, client: TestClient) -> None:
    world = world_with_layers(session_factory, is_public=True)
    for slug in (world.dataset_id, f"-{world.dataset_id}", "fly-brain-nothex", "fly-brain-" + "0" * 24):
        answer = client.get(f"/datasets/{slug}/view")
        assert answer.status_code == 404, slug
        assert answer.headers["content-type"].startswith(HTML)
        assert "Not found" in answer.text


def test_start_page_shows_public_datasets_only(app, session_factory, client: TestClient) -> None:
    world = world_with_layers(session_factory)  # fly-brain stays private
    add_dataset(
        session_factory,
        world.accounts.org_ids["b"],
        "mouse-cortex",
        is_public=True,
        display_name="Mouse cortex",
        description="Serial-section EM of layer 4",
    )
    answer = client.get("/")
    assert answer.status_code == 200
    assert "Mouse cortex" in answer.text and "Serial-section EM of layer 4" in answer.text
    assert "org-b" in answer.text  # the owning organization
    assert re.search(r'href="/datasets/mouse-cortex-[0-9a-f]{24}/view"', answer.text)
    assert re.search(r'src="/api/datasets/[0-9a-f]{24}/layers/color/thumbnail"', answer.text)
    assert "fly-brain" not in answer.text
    assert 'href="/auth/login"' in answer.text and 'href="/dashboard"' not in answer.text
    assert "script-src 'self'" in answer.headers["content-security-policy"]


def test_start_page_for_a_logged_in_user_links_the_dashboard(app, session_factory) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, "member").get("/")
    assert 'href="/dashboard"' in answer.text and 'id="logout-button"' in answer.text
    assert "member a" in answer.text  # the header shows the user's name


def test_page_text_is_escaped(app, session_factory, client: TestClient) -> None:
    world = world_with_layers(session_factory)
    add_dataset(
        session_factory,
        world.accounts.org_ids["a"],
        "evil",
        is_public=True,
        display_name='<script>alert("x")</script>',
        description="<img src=x onerror=alert(1)>",
    )
    answer = client.get("/")
    assert "<script>alert" not in answer.text and "<img src=x" not in answer.text
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in answer.text


def test_dashboard_lists_exactly_the_readable_datasets(app, session_factory) -> None:
    world = world_with_layers(session_factory)
    other = add_dataset(session_factory, world.accounts.org_ids["a"], "unshared-stack")
    team_member = client_for(app, world, "team_member").get("/dashboard")
    assert "fly-brain" in team_member.text and "unshared-stack" not in team_member.text
    assert _settings_url(world) not in team_member.text  # not an editor
    manager = client_for(app, world, "team_manager").get("/dashboard")
    assert _settings_url(world) in manager.text and "unshared-stack" not in manager.text
    admin = client_for(app, world, "admin").get("/dashboard")
    assert f"/datasets/unshared-stack-{other}/settings" in admin.text and _settings_url(world) in admin.text
    member = client_for(app, world, "member").get("/dashboard")
    assert "fly-brain" not in member.text and "No datasets yet" in member.text
    for tab in ("My annotations", "Shared annotations"):
        assert tab in member.text


# Registering datasets is MANAGE_DATASETS on one's own organization: admins and dataset managers only.
# (The outsider is org B's admin: on their own dashboard they add datasets to org B.)
DATASET_UPLOAD = {
    "member": False,
    "team_member": False,
    "team_manager": False,
    "dataset_manager": True,
    "admin": True,
    "outsider": True,
}


@pytest.mark.parametrize("actor", list(DATASET_UPLOAD))
def test_dashboard_offers_the_uploads_each_user_may_make(app, session_factory, actor: str) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, actor).get("/dashboard")
    assert answer.status_code == 200
    offers_dataset_upload = 'id="dataset-upload"' in answer.text
    assert offers_dataset_upload == DATASET_UPLOAD[actor], actor
    assert ("Upload dataset" in answer.text) == DATASET_UPLOAD[actor]
    if offers_dataset_upload:
        assert 'data-url="/api/datasets/upload"' in answer.text
        assert re.search(
            r'<label for="dataset-file">[^<]+</label>\s*<input id="dataset-file" name="file" type="file"'
            r' accept="\.zip[^"]*" required>',
            answer.text,
        )
        assert re.search(r'<input id="dataset-name" name="name" type="text"', answer.text)
    # Any logged-in user may upload an annotation (it names its dataset; reading that is checked on upload).
    assert 'id="annotation-upload"' in answer.text and 'data-url="/api/annotations/upload"' in answer.text
    assert re.search(
        r'<label for="annotation-file">[^<]+</label>\s*<input id="annotation-file" name="file"'
        r' type="file" accept="\.nml,\.zip" required>',
        answer.text,
    )
    assert answer.text.count('aria-live="polite"') == (2 if offers_dataset_upload else 1)


def test_dashboard_needs_a_login(client: TestClient) -> None:
    answer = client.get("/dashboard", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/auth/login?next=/dashboard"


def test_login_page(app, session_factory, client: TestClient) -> None:
    answer = client.get("/auth/login?next=/datasets/x-1/settings")
    assert answer.status_code == 200
    assert 'data-next="/datasets/x-1/settings"' in answer.text
    for hostile in ("//evil.example/", "https://evil.example/", "/\\evil.example"):
        assert 'data-next="/dashboard"' in client.get("/auth/login", params={"next": hostile}).text
    world = world_with_layers(session_factory)
    logged_in = client_for(app, world, "member").get("/auth/login", follow_redirects=False)
    assert logged_in.status_code == 303 and logged_in.headers["location"] == "/dashboard"


def test_api_errors_stay_json(app, session_factory) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, "member").get(f"/api/datasets/{world.dataset_id}")
    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("application/json")


def test_every_script_and_style_a_template_names_is_served(client: TestClient) -> None:
    names = set()
    for template in TEMPLATES_DIR.glob("*.html"):
        names |= set(re.findall(r'(?:src|href)="/static/([^"]+)"', template.read_text()))
    viewer_modules = set()
    for script in [*STATIC_DIR.glob("*.js"), *VIEWER_DIR.glob("*.js")]:
        names |= set(re.findall(r'from "/static/([^"]+)"', script.read_text()))
        if script.parent == VIEWER_DIR:
            viewer_modules |= set(re.findall(r'from "\./([^"]+)"', script.read_text()))
    assert {"api.js", "common.js", "settings.js", "voxelhub.css"} <= names
    for name in names:
        answer = client.get(f"/static/{name}")
        assert answer.status_code == 200, name
    assert {"viewer.js", "buckets.js"} <= viewer_modules
    for name in viewer_modules:
        answer = client.get(f"/viewer/{name}")
        assert answer.status_code == 200, name
    assert client.get("/static/../pages.py").status_code == 404


def test_templates_have_no_inline_scripts() -> None:
    # The CSP allows scripts from 'self' only; an inline script or handler would silently not run.
    for template in Path(TEMPLATES_DIR).glob("*.html"):
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name


def test_settings_page_shows_the_orgs_teams(app, session_factory) -> None:
    world = world_with_layers(session_factory)
    answer = client_for(app, world, "admin").get(_settings_url(world))
    a1, a2 = world.accounts.team_ids["a1"], world.accounts.team_ids["a2"]
    assert re.search(rf'value="{a1}"\s+checked', answer.text)
    assert re.search(rf'value="{a2}"\s+>', answer.text)
    assert world.accounts.team_ids["b1"] not in answer.text
