"""Real Chromium against a real `voxelhub serve`: log in through the login page, edit a dataset's settings,
copy and revoke its sharing link, upload a dataset and annotations from the dashboard, and check through the API
that each change happened."""

from __future__ import annotations

import json
import re
from urllib.parse import unquote

import httpx2 as httpx

from tests.browser import SHOTS, log_in, needs_chromium
from tests.datasets.helpers import SIMPLE_ZARR3
from tests.datasets.test_dataset_upload import zip_folder
from tests.factories import PASSWORD
from tests.fixture_files import FIXTURES
from tests.server import running_server
from tests.web.pages_world import add_dataset, world_with_layers
from voxelhub.annotations import service as annotations
from voxelhub.db import transaction

pytestmark = needs_chromium


def _api_as(base: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=base, timeout=10)
    answer = client.post("/api/auth/login", json={"email": email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    client.headers["X-CSRF-Token"] = answer.json()["csrfToken"]
    return client


def _shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_admin_publishes_and_revokes_through_the_pages(settings, session_factory, browser) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory)
    second_id = add_dataset(session_factory, world.accounts.org_ids["a"], "mouse-cortex")
    with transaction(session_factory) as session:  # metadata is all the dashboard lists
        annotations.create(
            session=session,
            actor=world.accounts.actor(session, "admin_a"),
            dataset_id=world.dataset_id,
            name="Traced neuron 1",
            layers=["skeleton"],
        )
    email = world.accounts.users["admin_a"]
    dataset_id = world.dataset_id
    with running_server(settings) as base:
        api = _api_as(base, email)
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        # Failed loads are expected here (the wrong password's 401, thumbnails the server cannot draw yet).
        page.on(
            "console",
            lambda m: (
                errors.append(m.text)
                if m.type == "error" and not m.text.startswith("Failed to load resource")
                else None
            ),
        )
        page.on("dialog", lambda dialog: dialog.accept())

        # A private dataset is not in the gallery.
        page.goto("/")
        assert page.locator(".gallery .card").count() == 0
        _shot(page, "01-start-empty")

        # Logging in: a wrong password shows the API's message; the right one goes to the dashboard.
        page.click("header >> text=Log in")
        page.fill("#email", email)
        page.fill("#password", "wrong password")
        page.click("button[type=submit]")
        page.wait_for_selector("#login-error:not([hidden])")
        assert page.text_content("#login-error").strip()
        _shot(page, "02-login-error")
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/dashboard")
        assert "Admin" in page.text_content(".user-name")
        _shot(page, "03-dashboard")
        page.click("#tab-own")
        page.wait_for_selector("#panel-own:not([hidden]) >> text=Traced neuron 1")
        assert (
            page.locator("#panel-own .annotation-list a >> text=fly-brain").get_attribute("href")
            == f"/datasets/fly-brain-{dataset_id}/view"
        )
        _shot(page, "03b-dashboard-annotations")
        page.click("#tab-shared")
        page.wait_for_selector("#panel-shared:not([hidden]) .empty:not(.loading)")
        page.click("#tab-datasets")

        # The settings page, reached from the dashboard.
        page.click(f'a[href="/datasets/fly-brain-{dataset_id}/settings"]')
        page.wait_for_url(re.compile(r".*/settings$"))
        page.wait_for_selector("#sharing-link-row:not([hidden])")
        page.wait_for_selector("#links-table tbody tr[data-link-id]")
        _shot(page, "04-settings")
        token = api.get(f"/api/datasets/{dataset_id}/sharingToken").json()["sharingToken"]
        assert (
            page.input_value("#sharing-link") == f"{base}/datasets/fly-brain-{dataset_id}/view?token={token}"
        )
        zarr = f"{base}/data/s/{token}/zarr/{dataset_id}/"
        assert page.input_value("#zarr-url") == zarr
        client, state_text = page.get_attribute("#neuroglancer-link", "href").split("#!", 1)
        assert client == "https://neuroglancer-demo.appspot.com/"  # the default VOXELHUB_NEUROGLANCER_URL
        state = json.loads(unquote(state_text))
        folded = f"{base}/data/s/{token}/zarr-c/{dataset_id}/"  # the view Neuroglancer draws
        assert state["layers"] == [
            {"type": "image", "source": f"zarr://{folded}{name}/", "name": name}
            for name in ("color", "segmentation")
        ]
        # the voxel size (11.24 × 11.24 × 28 nm) in metres, so that the panels show x-y, x-z and y-z
        assert state["displayDimensions"] == ["x", "y", "z"]
        assert state["dimensions"] == {"x": [11.24e-9, "m"], "y": [11.24e-9, "m"], "z": [28e-9, "m"]}

        # Copy the sharing link.
        page.click("#copy-sharing-link")
        page.wait_for_selector("#sharing-status[data-kind=ok]")
        assert page.evaluate("navigator.clipboard.readText()") == page.input_value("#sharing-link")

        # Publish it, rename it and allow a second team.
        page.fill("#display-name", "Fly brain (FAFB)")
        page.check("#is-public")
        page.check(f'input[name=team][value="{world.accounts.team_ids["a2"]}"]')
        page.click("#save-settings")
        page.wait_for_selector("#settings-status[data-kind=ok]")
        dataset = api.get(f"/api/datasets/{dataset_id}").json()
        assert dataset["isPublic"] is True and dataset["displayName"] == "Fly brain (FAFB)"
        assert page.text_content("#crumb-dataset") == "Fly brain (FAFB)"  # issue 16: the breadcrumb follows
        assert {t["id"] for t in dataset["allowedTeams"]} == {
            world.accounts.team_ids[t] for t in ("a1", "a2")
        }

        # A named link with an expiry date.
        page.fill("#link-name", "Reviewer 2")
        page.fill("#link-expiry", "2099-12-31")
        page.click("#link-form button[type=submit]")
        page.wait_for_selector("#links-table >> text=Reviewer 2")
        named = [
            link
            for link in api.get(f"/api/datasets/{dataset_id}/shareLinks").json()
            if link["name"] == "Reviewer 2"
        ]
        assert len(named) == 1 and named[0]["expiresAt"].startswith(
            ("2099-12-31", "2100-01-01")
        )  # end of the local day

        # Revoke the sharing link: the old token stops working at once.
        page.click("#revoke-sharing-link")
        page.wait_for_selector("#sharing-link-none:not([hidden])")
        assert page.is_visible("#streaming-none")
        with httpx.Client(base_url=base) as anonymous:
            api.patch(f"/api/datasets/{dataset_id}", json={"isPublic": False}).raise_for_status()
            assert anonymous.get(f"/api/datasets/{dataset_id}", params={"token": token}).status_code == 404
            api.patch(f"/api/datasets/{dataset_id}", json={"isPublic": True}).raise_for_status()
        links = api.get(f"/api/datasets/{dataset_id}/shareLinks").json()
        assert [link["status"] for link in links if link["isDefault"]] == ["revoked"]
        assert [link["status"] for link in links if link["name"] == "Reviewer 2"] == ["active"]
        page.reload()  # a reload must not quietly hand out a new link
        page.wait_for_selector("#audit-table >> text=revoked a link")
        assert page.locator("#audit-table >> text=made the dataset public").count() >= 1
        assert page.is_visible("#sharing-link-none")
        _shot(page, "05-settings-after")
        page.click("#create-sharing-link")
        page.wait_for_selector("#sharing-link-row:not([hidden])")
        new_token = api.get(f"/api/datasets/{dataset_id}/sharingToken").json()["sharingToken"]
        assert new_token != token and page.input_value("#sharing-link").endswith(f"?token={new_token}")

        # A dataset that never had a sharing link gets one when its settings are first opened.
        page.goto(f"/datasets/mouse-cortex-{second_id}/settings")
        page.wait_for_selector("#links-table >> text=(sharing link)")
        second_token = api.get(f"/api/datasets/{second_id}/sharingToken").json()["sharingToken"]
        assert page.input_value("#sharing-link").endswith(f"?token={second_token}")

        # The view page.
        page.click("text=View dataset")
        page.wait_for_selector(".layers .card")
        assert page.locator(".layers .card").count() == 2
        _shot(page, "06-view")

        # Log out; a logged-out visitor sees the public dataset on the start page.
        page.click("#logout-button")
        page.wait_for_selector("header >> text=Log in")
        page.goto("/")
        card = page.locator(".gallery .card", has_text="Fly brain (FAFB)")
        assert card.count() == 1
        assert card.locator("a").first.get_attribute("href") == f"/datasets/fly-brain-{dataset_id}/view"
        _shot(page, "07-start-public")
        page.set_viewport_size({"width": 420, "height": 900})
        _shot(page, "08-start-narrow")
        assert errors == []
        context.close()


def test_error_pages_and_link_holder_view(settings, session_factory, browser) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory)
    settings_path = f"/datasets/fly-brain-{world.dataset_id}/settings"
    with running_server(settings) as base:
        context = browser.new_context(base_url=base, viewport={"width": 1100, "height": 700})
        page = context.new_page()

        # A link holder (no account) sees the private dataset's view page, with the token passed on.
        page.goto(f"/datasets/fly-brain-{world.dataset_id}/view?token={world.tokens['valid']}")
        assert page.text_content("h1") == "fly-brain"
        src = page.get_attribute(".layers img", "src")
        assert src.endswith(f"/thumbnail?token={world.tokens['valid']}")
        _shot(page, "09-view-link-holder")
        # ...but not its settings: with the token it learns that a login is needed, without it nothing.
        assert page.goto(f"{settings_path}?token={world.tokens['valid']}").status == 401
        assert page.is_visible("main >> text=Log in")
        _shot(page, "10-settings-401")
        assert page.goto(settings_path).status == 404
        # A revoked link shows nothing.
        assert (
            page.goto(f"/datasets/fly-brain-{world.dataset_id}/view?token={world.tokens['revoked']}").status
            == 404
        )

        # Log in as a team member: may read the dataset, may not edit it.
        page.goto(f"/auth/login?next={settings_path}")
        page.fill("#email", world.accounts.users["team_a"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}{settings_path}")
        assert page.text_content("h1") == "Not allowed"
        assert "Make dataset publicly accessible" not in page.content()
        _shot(page, "11-settings-403")
        context.close()

        # An outsider gets the same page as for a dataset that does not exist.
        context = browser.new_context(base_url=base, viewport={"width": 1100, "height": 700})
        page = context.new_page()
        page.goto("/auth/login")
        page.fill("#email", world.accounts.users["admin_b"])
        page.fill("#password", PASSWORD)
        page.click("button[type=submit]")
        page.wait_for_url(f"{base}/dashboard")
        assert page.goto(settings_path).status == 404
        assert page.text_content("h1") == "Not found"
        _shot(page, "12-settings-404")
        context.close()


def _annotation_in_url(url: str) -> str:
    """The annotation id of an annotation page's address; the viewer may already have put the view in its `#…`."""
    return url.split("#", 1)[0].rsplit("/", 1)[1]


def _watch_form(page, form_id: str) -> None:  # type: ignore[no-untyped-def]
    """Records (status text, button disabled) at every change of the form, to see the in-between state."""
    page.evaluate(
        """(id) => {
      const form = document.getElementById(id);
      window.seen = [];
      new MutationObserver(() => window.seen.push([form.querySelector("[role=status]").textContent,
        form.querySelector("button[type=submit]").disabled]))
        .observe(form, { subtree: true, childList: true, characterData: true, attributes: true });
    }""",
        form_id,
    )


def test_uploads_from_the_dashboard(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """An admin uploads a dataset zip and lands on its settings; a member uploads an NML naming that dataset and
    lands in the annotation; a broken NML shows the server's message in the form and creates nothing."""
    world = world_with_layers(session_factory)
    archive = tmp_path / "simple.zip"
    archive.write_bytes(zip_folder(SIMPLE_ZARR3))
    nml = FIXTURES / "nmls" / "nml_with_small_distance_nodes.nml"  # <experiment name="test_dataset"/>
    nameless = tmp_path / "nameless.nml"
    nameless.write_text(
        "".join(line for line in nml.read_text().splitlines(keepends=True) if "<experiment" not in line)
    )
    broken = tmp_path / "truncated.nml"
    lines = nml.read_text().splitlines(keepends=True)
    broken.write_text("".join(lines[: len(lines) // 2]) + '      <node id="99" x="1"')
    with running_server(settings) as base:
        admin_api = _api_as(base, world.accounts.users["admin_a"])
        context = browser.new_context(base_url=base, viewport={"width": 1280, "height": 900})
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))

        # An admin uploads a dataset zip under a name of their choice and lands on its settings page.
        log_in(page, base, world.accounts.users["admin_a"])
        assert page.is_visible("#dataset-upload")
        page.set_input_files("#dataset-file", str(archive))
        page.fill("#dataset-name", "test_dataset")
        _shot(page, "web-15-upload-dataset")
        page.click("#dataset-upload button[type=submit]")
        page.wait_for_url(re.compile(r".*/datasets/test_dataset-[0-9a-f]{24}/settings$"))
        dataset_id = page.url.rsplit("/", 2)[-2].rsplit("-", 1)[1]
        page.wait_for_selector("#sharing-link-row:not([hidden])")
        dataset = admin_api.get(f"/api/datasets/{dataset_id}").json()
        assert dataset["name"] == "test_dataset" and dataset["isPublic"] is False
        _shot(page, "web-15b-uploaded-dataset-settings")
        # The same name again is refused with the server's message, in the form.
        page.goto("/dashboard")
        page.set_input_files("#dataset-file", str(archive))
        page.fill("#dataset-name", "test_dataset")
        page.click("#dataset-upload button[type=submit]")
        page.wait_for_selector("#dataset-upload .form-error:not([hidden])")
        assert "already exists" in page.text_content("#dataset-upload .form-error")
        admin_api.patch(f"/api/datasets/{dataset_id}", json={"isPublic": True}).raise_for_status()
        page.click("#logout-button")
        page.wait_for_selector("header >> text=Log in")

        # A plain member sees no dataset upload, but uploads an NML and lands in the new annotation.
        member = _api_as(base, world.accounts.users["member_a"])
        log_in(page, base, world.accounts.users["member_a"])
        assert page.locator("#dataset-upload").count() == 0
        page.click("#tab-own")
        page.wait_for_selector("#panel-own >> text=You have no annotations yet.")
        page.set_input_files("#annotation-file", str(nml))
        _shot(page, "web-13-upload-annotation")
        page.click("#annotation-upload button[type=submit]")
        page.wait_for_url(re.compile(r".*/annotations/[0-9a-f]{24}$"))
        annotation_id = _annotation_in_url(page.url)
        mine = member.get("/api/annotations/readable", params={"scope": "own"}).json()
        assert [(a["id"], a["datasetId"]) for a in mine] == [(annotation_id, dataset_id)]
        page.wait_for_selector("h1")
        _shot(page, "web-13b-uploaded-annotation")

        # A broken NML: the server's message (naming the line) in the form, the button back, nothing created.
        page.goto("/dashboard#own")
        page.wait_for_selector(f'#panel-own .data-table a[href="/annotations/{annotation_id}"]')
        page.set_input_files("#annotation-file", str(broken))
        _watch_form(page, "annotation-upload")
        page.click("#annotation-upload button[type=submit]")
        page.wait_for_selector("#annotation-upload .form-error:not([hidden])")
        expected = member.post(
            "/api/annotations/upload", files={"file": ("truncated.nml", broken.read_bytes())}
        )
        assert expected.status_code == 400, expected.text
        message = page.text_content("#annotation-upload .form-error")
        assert expected.json()["error"] in message and "line" in message
        assert ["Uploading…", True] in page.evaluate("window.seen")
        assert page.is_enabled("#annotation-upload button[type=submit]")
        assert page.text_content("#annotation-upload [role=status]") == ""
        _shot(page, "web-14-upload-error")
        mine = member.get("/api/annotations/readable", params={"scope": "own"}).json()
        assert [a["id"] for a in mine] == [annotation_id]

        # An NML that names no dataset: refused until the form names one, then imported into that one.
        page.set_input_files("#annotation-file", str(nameless))
        page.click("#annotation-upload button[type=submit]")
        page.wait_for_selector("#annotation-upload .form-error:not([hidden])")
        assert "names no dataset" in page.text_content("#annotation-upload .form-error")
        page.select_option("#annotation-dataset", dataset_id)
        page.click("#annotation-upload button[type=submit]")
        page.wait_for_url(re.compile(r".*/annotations/[0-9a-f]{24}$"))
        chosen = _annotation_in_url(page.url)
        mine = member.get("/api/annotations/readable", params={"scope": "own"}).json()
        assert sorted((a["id"], a["datasetId"]) for a in mine) == sorted(
            [(annotation_id, dataset_id), (chosen, dataset_id)]
        )
        assert errors == []
        context.close()
