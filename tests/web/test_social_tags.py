"""Open Graph and Twitter card tags (issue 16): on a public dataset's page and a public annotation's page, with
the thumbnail as an absolute URL under the configured public URL; on any other page none, and nothing of a
private dataset or annotation in `<head>` at all (its name only as the page title, for those who may see it)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urlsplit

from fastapi.testclient import TestClient

from tests.browser import SHOTS, log_in, needs_chromium
from tests.factories import logged_in_client
from tests.server import running_server
from tests.web.pages_world import world_with_layers
from voxelhub.datasets.models import Dataset
from voxelhub.db import transaction

SECRET = "Unpublished cortex tracing, do not share"


class _Head(HTMLParser):
    """The `<meta>` tags of `<head>` and its whole text."""

    def __init__(self) -> None:
        super().__init__()
        self.meta: dict[str, str] = {}
        self.inside = False
        self.raw: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "head":
            self.inside = True
        if self.inside:
            self.raw.append(str(attrs))
        if self.inside and tag == "meta":
            values = dict(attrs)
            key = values.get("property") or values.get("name")
            if key and values.get("content") is not None:
                self.meta[key] = str(values["content"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "head":
            self.inside = False

    def handle_data(self, data: str) -> None:
        if self.inside:
            self.raw.append(data)


def head_of(html: str) -> _Head:
    parser = _Head()
    parser.feed(html)
    return parser


def _describe(factory, dataset_id: str) -> None:  # type: ignore[no-untyped-def]
    with transaction(factory) as session:
        dataset = session.get(Dataset, dataset_id)
        assert dataset is not None
        dataset.display_name = "Fly brain"
        dataset.description = f"{SECRET}: dense EM of a fly brain."


def test_public_dataset_page_has_a_card(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=True)
    _describe(session_factory, world.dataset_id)
    page = TestClient(app).get(f"/datasets/fly-brain-{world.dataset_id}/view")
    assert page.status_code == 200
    meta = head_of(page.text).meta
    assert meta["og:title"] == meta["twitter:title"] == "Fly brain"
    assert meta["og:description"].endswith("dense EM of a fly brain.")
    assert meta["og:url"] == f"http://127.0.0.1/datasets/fly-brain-{world.dataset_id}/view"
    image = f"http://127.0.0.1/api/datasets/{world.dataset_id}/layers/color/thumbnail"
    assert meta["og:image"] == meta["twitter:image"] == image
    assert meta["twitter:card"] == "summary_large_image"
    # The image is one anybody may fetch: no login, no token.
    assert TestClient(app).get(image.removeprefix("http://127.0.0.1")).status_code != 404


def test_private_dataset_page_leaks_nothing(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=False)
    _describe(session_factory, world.dataset_id)
    member = logged_in_client(app, world.accounts.users["team_a"])
    page = member.get(f"/datasets/fly-brain-{world.dataset_id}/view")
    assert page.status_code == 200
    head = head_of(page.text)
    assert not [k for k in head.meta if k.startswith(("og:", "twitter:")) or k == "description"], head.meta
    assert SECRET not in "".join(head.raw)
    assert "/thumbnail'" not in "".join(head.raw)  # a thumbnail URL (not thumbnails.js)


def _annotation(app, world, visibility: str) -> tuple[TestClient, str]:  # type: ignore[no-untyped-def]
    owner = logged_in_client(app, world.accounts.users["team_a"])
    created = owner.post(
        "/api/annotations",
        json={"datasetId": world.dataset_id, "name": "Axon 7", "description": f"{SECRET}: axon 7."},
    )
    assert created.status_code == 201, created.text
    annotation_id = created.json()["id"]
    owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": visibility}).raise_for_status()
    return owner, annotation_id


def test_public_annotation_page_has_a_card(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=True)
    _, annotation_id = _annotation(app, world, "Public")
    page = TestClient(app).get(f"/annotations/{annotation_id}")
    assert page.status_code == 200
    meta = head_of(page.text).meta
    assert meta["og:title"] == "Axon 7"
    assert meta["og:description"].endswith("axon 7.")
    assert meta["og:url"] == f"http://127.0.0.1/annotations/{annotation_id}"
    assert meta["og:image"] == f"http://127.0.0.1/api/datasets/{world.dataset_id}/layers/color/thumbnail"
    assert meta["twitter:card"] == "summary_large_image"


def test_public_annotation_on_a_private_dataset_shows_no_thumbnail(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=False)
    owner, annotation_id = _annotation(app, world, "Public")
    owner.patch(f"/api/annotations/{annotation_id}", json={"description": ""}).raise_for_status()
    page = TestClient(app).get(f"/annotations/{annotation_id}")
    meta = head_of(page.text).meta
    assert meta["og:title"] == "Axon 7"
    assert "og:image" not in meta and meta["twitter:card"] == "summary"
    assert "fly" not in meta["og:description"].lower()  # nor the private dataset's name
    assert not re.search(r"token=|/thumbnail", page.text.split("</head>")[0])


def test_private_and_internal_annotations_leak_nothing(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    world = world_with_layers(session_factory, is_public=True)
    for visibility in ("Private", "Internal"):
        owner, annotation_id = _annotation(app, world, visibility)
        head = head_of(owner.get(f"/annotations/{annotation_id}").text)
        assert not [k for k in head.meta if k.startswith(("og:", "twitter:")) or k == "description"], (
            head.meta
        )
        assert SECRET not in "".join(head.raw)
        # Nobody else gets even the page.
        assert TestClient(app).get(f"/annotations/{annotation_id}").status_code == 404


META = """() => Object.fromEntries([...document.head.querySelectorAll("meta[property], meta[name]")]
  .map((m) => [m.getAttribute("property") || m.getAttribute("name"), m.content]))"""


@needs_chromium
def test_chromium_reads_the_card_of_a_public_page_and_none_of_a_private_one(
    settings, session_factory, browser
) -> None:  # type: ignore[no-untyped-def]
    public = world_with_layers(session_factory, is_public=True)
    _describe(session_factory, public.dataset_id)
    with running_server(settings) as base:
        context = browser.new_context(base_url=base)
        page = context.new_page()
        page.goto(f"/datasets/fly-brain-{public.dataset_id}/view")
        meta = page.evaluate(META)
        assert meta["og:title"] == "Fly brain" and meta["twitter:card"] == "summary_large_image"
        assert meta["og:image"].endswith(f"/api/datasets/{public.dataset_id}/layers/color/thumbnail")
        # An anonymous browser (what a link preview service is) is not refused the image (this dataset has no
        # files on disk, so no picture: the point is that no login or token is needed).
        assert meta["og:image"].startswith("http")  # absolute, under the configured public URL
        assert page.request.get(base + urlsplit(meta["og:image"]).path).status not in (401, 403, 404)
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "web-social-public-dataset.png"))

        # The same dataset made private: its member sees the page, with no card and nothing of it in <head>.
        with transaction(session_factory) as session:
            dataset = session.get(Dataset, public.dataset_id)
            assert dataset is not None
            dataset.is_public = False
        log_in(page, base, public.accounts.users["team_a"])
        page.goto(f"/datasets/fly-brain-{public.dataset_id}/view")
        meta = page.evaluate(META)
        assert not [k for k in meta if k.startswith(("og:", "twitter:")) or k == "description"], meta
        assert SECRET not in page.evaluate("() => document.head.innerHTML")
        context.close()
