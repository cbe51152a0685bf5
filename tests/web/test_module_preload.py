"""The viewer pages list every module their entry imports as `modulepreload`, so that the browser fetches the
whole graph at once instead of one import level at a time."""

from __future__ import annotations

import re

from voxelhub.web import VIEWER_DIR
from voxelhub.web.module_preload import _resolve, module_preloads


def test_the_graph_holds_every_module_reachable_from_the_entry_and_nothing_else() -> None:
    found = module_preloads("/viewer/dataset_page.js")
    assert "/viewer/dataset_page.js" not in found
    assert len(found) == len(set(found))
    assert {"/viewer/viewer.js", "/static/api.js"} <= set(found)
    # Each listed module is imported by the entry or by another listed module.
    importers = {"/viewer/dataset_page.js", *found}
    for url in found:
        name = url.rsplit("/", 1)[1]
        assert any(
            re.search(
                rf"""from\s*["'][^"']*{re.escape(name)}["']""", (VIEWER_DIR / u.split("/")[-1]).read_text()
            )
            for u in importers
            if u.startswith("/viewer/") and u != url
        ) or url.startswith("/static/"), url


def test_relative_and_absolute_specifiers_resolve_and_bare_ones_are_ignored() -> None:
    assert _resolve("/viewer/a.js", "./b.js") == "/viewer/b.js"
    assert _resolve("/viewer/a.js", "../static/api.js") == "/static/api.js"
    assert _resolve("/viewer/a.js", "/static/common.js") == "/static/common.js"
    assert _resolve("/viewer/a.js", "numpy") is None
    assert module_preloads("/viewer/does-not-exist.js") == []
    assert module_preloads("/viewer/../../etc/passwd") == []


def test_the_dataset_page_links_its_modules_and_each_answers(app, session_factory) -> None:  # type: ignore[no-untyped-def]
    from tests.sharing.world import client_for
    from tests.web.pages_world import world_with_layers

    world = world_with_layers(session_factory)
    client = client_for(app, world, "link_valid")
    page = client.get(f"/datasets/fly-brain-{world.dataset_id}/view")
    assert page.status_code == 200
    linked = re.findall(r'<link rel="modulepreload" href="([^"]+)">', page.text)
    assert linked == module_preloads("/viewer/dataset_page.js") and len(linked) > 10
    for url in linked:
        assert client.get(url).status_code == 200, url
