"""Real Chromium against a real `voxelhub serve`: undo and redo of skeleton edits and brush strokes (saved as
update actions, so the server's history has them), the tree list (select, rename, colour, hide, delete, groups,
drag between groups), comments, branchpoints, node radius, webKnossos' keyboard shortcuts and the "?" overlay."""

from __future__ import annotations

import json
import time

from tests.browser import needs_chromium
from tests.server import running_server
from tests.viewer.test_viewer_browser import (
    _api_as,
    _drag,
    _hash,
    _hover_text,
    _new_annotation,
    _owner_page,
    _painted,
    _shot,
    _wait_for,
    _wait_loaded,
    _watch_errors,
)
from tests.viewer.world import build_viewer_world

pytestmark = needs_chromium


def _chain(owner, annotation_id: str, tree_id: int = 1, first: int = 1, name: str = "axon") -> None:  # type: ignore[no-untyped-def]
    """A tree of four nodes in a chain (ids first…first+3) around (60, 60, 21), the last one active."""
    version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
    actions = [{"name": "createTree", "value": {"id": tree_id, "name": name, "color": [1, 0.6, 0.1, 1]}}]
    for i, (x, y) in enumerate([(50, 50), (56, 56), (62, 62), (68, 68)]):
        actions.append(
            {"name": "createNode", "value": {"id": first + i, "treeId": tree_id, "position": [x, y, 21]}}
        )
        if i:
            actions.append(
                {
                    "name": "createEdge",
                    "value": {"treeId": tree_id, "source": first + i - 1, "target": first + i},
                }
            )
    actions.append({"name": "updateActiveNode", "value": {"activeNode": first + 3}})
    answer = owner.post(
        f"/api/annotations/{annotation_id}/updates", json={"version": version, "actions": actions}
    )
    assert answer.status_code == 200, answer.text


def _skeleton(owner, annotation_id: str) -> dict:  # type: ignore[no-untyped-def,type-arg]
    return owner.get(f"/api/annotations/{annotation_id}/skeleton").json()  # type: ignore[no-any-return]


def _tree(owner, annotation_id: str, tree_id: int) -> dict | None:  # type: ignore[no-untyped-def,type-arg]
    return next((t for t in _skeleton(owner, annotation_id)["trees"] if t["id"] == tree_id), None)


def _node_ids(owner, annotation_id: str) -> set[int]:  # type: ignore[no-untyped-def]
    return {n["id"] for t in _skeleton(owner, annotation_id)["trees"] for n in t["nodes"]}


def _saved(page) -> None:  # type: ignore[no-untyped-def]
    page.wait_for_timeout(50)
    page.wait_for_selector("#save-status[data-kind=ok]", timeout=10000)


def _click_xy(page, dx: float, dy: float) -> None:  # type: ignore[no-untyped-def]
    box = page.locator('canvas[data-plane="xy"]').bounding_box()
    assert box is not None
    page.mouse.click(box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy)


def _key(page, key: str) -> None:  # type: ignore[no-untyped-def]
    """A key press with the pointer over the XY plane and no field focused (as while annotating)."""
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    page.keyboard.press(key)


def test_undo_redo_of_nodes_and_brush_strokes(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Undo")
        _chain(owner, annotation_id)
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#60,60,21,0,0.4"
        )
        posted: list[list[str]] = []
        page.on(
            "request",
            lambda r: (
                posted.append([a["name"] for a in json.loads(r.post_data or "{}").get("actions", [])])
                if r.method == "POST" and r.url.endswith("/updates")
                else None
            ),
        )
        assert page.is_disabled("#undo") and page.is_disabled("#redo")

        # A node, then Ctrl+Z: the undo is saved as a deleteNode batch and the active node is the previous one.
        _click_xy(page, 40, 40)
        _saved(page)
        assert 5 in _node_ids(owner, annotation_id)
        versions = len(owner.get(f"/api/annotations/{annotation_id}/history").json())
        _key(page, "Control+z")
        _wait_for(
            page, lambda: 5 not in _node_ids(owner, annotation_id), "the undone node gone on the server"
        )
        assert posted[-1][:2] == ["deleteEdge", "deleteNode"] and posted[-1][-1] == "updateActiveNode"
        assert _skeleton(owner, annotation_id)["activeNodeId"] == 4
        assert len(owner.get(f"/api/annotations/{annotation_id}/history").json()) == versions + 1
        _wait_for(page, lambda: "4 nodes" in (page.text_content("#tree-list") or ""), "4 nodes in the list")
        assert page.is_enabled("#redo")
        # Redo (Ctrl+Shift+Z), undo (the toolbar button), redo (Ctrl+Y).
        _key(page, "Control+Shift+z")
        _wait_for(page, lambda: 5 in _node_ids(owner, annotation_id), "the node back")
        page.click("#undo")
        _wait_for(page, lambda: 5 not in _node_ids(owner, annotation_id), "undone again")
        _key(page, "Control+y")
        _wait_for(page, lambda: 5 in _node_ids(owner, annotation_id), "redone again")
        skeleton = _skeleton(owner, annotation_id)
        assert {"source": 4, "target": 5} in skeleton["trees"][0]["edges"] and skeleton["activeNodeId"] == 5
        # Deleting the active node (Delete) and undoing it brings it back with its edges.
        _key(page, "Delete")
        _wait_for(page, lambda: 5 not in _node_ids(owner, annotation_id), "deleted")
        page.click("#undo")
        _wait_for(page, lambda: 5 in _node_ids(owner, annotation_id), "the deleted node back")
        assert {"source": 4, "target": 5} in _tree(owner, annotation_id, 1)["edges"]  # type: ignore[index]
        _saved(page)

        # A brush stroke, then undo: the buckets' earlier contents are written back (and saved).
        page.click("#add-volume")
        page.wait_for_selector("#tool-brush[aria-pressed=true]")
        _wait_loaded(page)
        page.click("#new-segment")
        segment = int(page.input_value("#segment-id"))
        before = _painted(owner, annotation_id, [1, 1, 1], [1, 1, 0]).copy()
        _drag(page, "xy", (2, 2), (30, 2))
        _saved(page)
        painted = _painted(owner, annotation_id, [1, 1, 1], [1, 1, 0])
        assert painted[62 - 32, 62 - 32, 21] == segment
        _shot(page, "20-undo-before")
        _key(page, "Control+z")
        _wait_for(
            page,
            lambda: (_painted(owner, annotation_id, [1, 1, 1], [1, 1, 0]) == before).all(),
            "the stroke's buckets back as they were",
        )
        _saved(page)
        assert f"segment {segment}" not in _hover_text(page, (2, 2))
        _shot(page, "21-undo-stroke-undone")
        # After a reload the page shows the restored data; redo is gone with the page, the server keeps the undo.
        page.reload()
        _wait_loaded(page)
        text = _hover_text(page, (2, 2))
        assert "Volume: segment" in text and f"segment {segment}" not in text, text
        page.wait_for_selector("#tool-brush")
        page.click("#tool-brush")
        page.fill("#segment-id", str(segment))
        page.press("#segment-id", "Enter")
        _drag(page, "xy", (2, 2), (30, 2))
        _saved(page)
        assert _painted(owner, annotation_id, [1, 1, 1], [1, 1, 0])[62 - 32, 62 - 32, 21] == segment
        page.click("#undo")
        _wait_for(
            page,
            lambda: (_painted(owner, annotation_id, [1, 1, 1], [1, 1, 0]) == before).all(),
            "undone again",
        )
        page.click("#redo")
        _wait_for(
            page,
            lambda: _painted(owner, annotation_id, [1, 1, 1], [1, 1, 0])[62 - 32, 62 - 32, 21] == segment,
            "the stroke redone",
        )
        _saved(page)
        context.close()
        assert errors == []


def test_tree_list_comments_branchpoints_and_shortcuts(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Trees")
        _chain(owner, annotation_id)
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#60,60,21,0,0.4"
        )
        assert "4 nodes" in (page.text_content('#tree-list li[data-tree-id="1"]') or "")
        assert "Active node 4" in (page.text_content("#active-node") or "")

        # C: a new tree, the active one; a click adds its first node ("1 node", not "1 nodes").
        _key(page, "c")
        page.wait_for_selector('#tree-list li.active[data-tree-id="2"]')
        _click_xy(page, 40, -40)
        _wait_for(
            page, lambda: "1 node" in (page.text_content('#tree-list li[data-tree-id="2"]') or ""), "1 node"
        )
        assert "1 nodes" not in (page.text_content("#tree-list") or "")
        _saved(page)
        assert [n["id"] for n in _tree(owner, annotation_id, 2)["nodes"]] == [5]  # type: ignore[index]

        # Rename (double click), colour, hide: each saved.
        page.dblclick('#tree-list li[data-tree-id="2"] .vx-tree-name')
        page.fill("#tree-list .vx-rename", "dendrite")
        page.press("#tree-list .vx-rename", "Enter")
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["name"] == "dendrite", "renamed")  # type: ignore[index]
        # The swatch opens the list's colour picker (a native dialog: the test sets its value as a choice would).
        page.click('#tree-list li[data-tree-id="2"] .vx-tree-color')
        page.keyboard.press("Escape")
        page.fill("#tree-color-picker", "#00ff00")
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["color"] == [0, 1, 0, 1], "recoloured")  # type: ignore[index]
        page.uncheck('#tree-list li[data-tree-id="2"] .vx-tree-visible')
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["isVisible"] is False, "hidden")  # type: ignore[index]
        page.check('#tree-list li[data-tree-id="2"] .vx-tree-visible')
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["isVisible"] is True, "shown")  # type: ignore[index]

        # Groups: a new one, renamed; a tree dragged into it, then out to the top.
        page.click("#new-group")
        page.wait_for_selector('#tree-list li.vx-group[data-group-id="1"]')
        page.dblclick('#tree-list li[data-group-id="1"] .vx-group-name')
        page.fill("#tree-list .vx-rename", "Axons")
        page.press("#tree-list .vx-rename", "Enter")
        _wait_for(
            page,
            # (the new group's own save may not have reached the server yet: an empty list is "not yet")
            lambda: [g["name"] for g in _skeleton(owner, annotation_id)["treeGroups"]] == ["Axons"],
            "the renamed group",
        )
        page.drag_and_drop(
            '#tree-list li[data-tree-id="1"]', '#tree-list .vx-group-head[data-drop-group="1"]'
        )
        _wait_for(page, lambda: _tree(owner, annotation_id, 1)["groupId"] == 1, "tree 1 in the group")  # type: ignore[index]
        page.wait_for_selector('#tree-list li[data-group-id="1"] li[data-tree-id="1"]')
        _shot(page, "22-tree-list-groups")
        page.uncheck('#tree-list li[data-group-id="1"] .vx-group-visible')
        _wait_for(page, lambda: _tree(owner, annotation_id, 1)["isVisible"] is False, "the group hidden")  # type: ignore[index]
        assert _tree(owner, annotation_id, 2)["isVisible"] is True  # type: ignore[index]
        page.check('#tree-list li[data-group-id="1"] .vx-group-visible')
        _wait_for(page, lambda: _tree(owner, annotation_id, 1)["isVisible"] is True, "the group shown")  # type: ignore[index]

        # Selecting a tree in the list makes its newest node active; Ctrl+, and Ctrl+. walk along it.
        page.click('#tree-list li[data-tree-id="1"] .vx-tree-name')
        _wait_for(page, lambda: "Active node 4" in (page.text_content("#active-node") or ""), "node 4 active")
        _key(page, "Control+,")
        _key(page, "Control+,")
        _wait_for(
            page, lambda: _hash(page).startswith("#56,56,21,") and _hash(page).endswith(",2"), "at node 2"
        )
        # B marks a branchpoint; Ctrl+. twice and J jumps back to it (using it up, as in webKnossos).
        _key(page, "b")
        _wait_for(
            page,
            lambda: [b["nodeId"] for b in _tree(owner, annotation_id, 1)["branchPoints"]] == [2],  # type: ignore[index]
            "a branchpoint at node 2",
        )
        _key(page, "Control+.")
        _key(page, "Control+.")
        _wait_for(page, lambda: _hash(page).endswith(",4"), "node 4 active")
        _key(page, "j")
        _wait_for(
            page,
            lambda: _hash(page).startswith("#56,56,21,") and _hash(page).endswith(",2"),
            "back at node 2",
        )
        _wait_for(
            page, lambda: _tree(owner, annotation_id, 1)["branchPoints"] == [], "the branchpoint used up"
        )  # type: ignore[index]

        # A comment on the active node, listed; a click on it goes back to its node.
        page.fill("#comment-input", "synapse here")
        page.press("#comment-input", "Enter")
        _wait_for(
            page,
            lambda: _tree(owner, annotation_id, 1)["comments"] == [{"nodeId": 2, "content": "synapse here"}],  # type: ignore[index]
            "the comment saved",
        )
        page.wait_for_selector('#comment-list li[data-node-id="2"]')
        # Radius of the active node.
        page.fill("#node-radius", "7")
        page.press("#node-radius", "Enter")
        _wait_for(
            page,
            lambda: next(n for n in _tree(owner, annotation_id, 1)["nodes"] if n["id"] == 2)["radius"] == 7,  # type: ignore[index]
            "radius 7",
        )
        page.click('#tree-list li[data-tree-id="2"] .vx-tree-name')
        _wait_for(page, lambda: _hash(page).endswith(",5"), "node 5 active")
        page.click('#comment-list li[data-node-id="2"] button')
        _wait_for(
            page,
            lambda: _hash(page).startswith("#56,56,21,") and _hash(page).endswith(",2"),
            "at the comment",
        )
        assert page.input_value("#comment-input") == "synapse here"
        # Ctrl+arrows move the active node (undoable); N goes to the next comment.
        _key(page, "Control+ArrowRight")
        node2 = lambda: next(n for n in _tree(owner, annotation_id, 1)["nodes"] if n["id"] == 2)  # type: ignore[index]  # noqa: E731
        _wait_for(page, lambda: node2()["position"] == [57, 56, 21], "node 2 moved")
        _key(page, "Control+z")
        _wait_for(page, lambda: node2()["position"] == [56, 56, 21], "node 2 back")
        page.click('#tree-list li[data-tree-id="2"] .vx-tree-name')
        _wait_for(page, lambda: _hash(page).endswith(",5"), "node 5 active")
        _key(page, "n")
        _wait_for(page, lambda: _hash(page).endswith(",2"), "the next comment's node")
        # S centres the active node after moving away.
        page.evaluate("() => { window.location.hash = '#100,100,30,0,0.4'; }")
        _wait_for(page, lambda: _hash(page).startswith("#100,100,30"), "moved away")
        _key(page, "s")
        _wait_for(page, lambda: _hash(page).startswith("#56,56,21,"), "centred on node 2")
        _shot(page, "23-comments-branchpoints")

        # 1 hides every tree and shows them again; 2 hides all but the active one.
        _key(page, "1")
        _wait_for(
            page,
            lambda: all(t["isVisible"] is False for t in _skeleton(owner, annotation_id)["trees"]),
            "all hidden",
        )
        _key(page, "1")
        _wait_for(
            page,
            lambda: all(t["isVisible"] is True for t in _skeleton(owner, annotation_id)["trees"]),
            "all shown",
        )
        _key(page, "2")
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["isVisible"] is False, "the other tree hidden")  # type: ignore[index]
        assert _tree(owner, annotation_id, 1)["isVisible"] is True  # type: ignore[index]
        _key(page, "2")
        _wait_for(page, lambda: _tree(owner, annotation_id, 2)["isVisible"] is True, "shown again")  # type: ignore[index]

        # W cycles the tools; Delete a tree in the list, then undo brings it back whole.
        _key(page, "w")
        page.wait_for_selector("#add-volume")  # no volume layer: Move, Skeleton only
        page.wait_for_selector("#tool-move[aria-pressed=true]")
        _key(page, "w")
        page.wait_for_selector("#tool-skeleton[aria-pressed=true]")
        page.click('#tree-list li[data-tree-id="1"] .vx-tree-delete')
        _wait_for(page, lambda: _tree(owner, annotation_id, 1) is None, "tree 1 deleted")
        page.click("#undo")
        _wait_for(page, lambda: _tree(owner, annotation_id, 1) is not None, "tree 1 back")
        tree = _tree(owner, annotation_id, 1)
        assert (
            tree is not None and len(tree["nodes"]) == 4 and len(tree["edges"]) == 3 and tree["groupId"] == 1
        )
        assert tree["comments"] == [{"nodeId": 2, "content": "synapse here"}]
        page.wait_for_selector('#tree-list li[data-group-id="1"] li[data-tree-id="1"]')

        # Delete on a node in the middle of a tree splits it (webKnossos: "Delete Node / Split Trees"); undo joins it.
        page.click('#tree-list li[data-tree-id="1"] .vx-tree-name')
        _wait_for(page, lambda: _hash(page).endswith(",4"), "node 4 active")
        _key(page, "Control+,")
        _wait_for(page, lambda: _hash(page).endswith(",3"), "node 3 active")
        _key(page, "Delete")
        _wait_for(page, lambda: _tree(owner, annotation_id, 3) is not None, "the split-off tree")
        one, three = _tree(owner, annotation_id, 1), _tree(owner, annotation_id, 3)
        assert one is not None and three is not None
        assert sorted(n["id"] for n in one["nodes"]) == [1, 2] and [n["id"] for n in three["nodes"]] == [4]
        assert three["groupId"] == 1
        page.wait_for_selector('#tree-list li[data-tree-id="3"]')
        page.click("#undo")
        _wait_for(page, lambda: _tree(owner, annotation_id, 3) is None, "joined again")
        tree = _tree(owner, annotation_id, 1)
        assert tree is not None and len(tree["nodes"]) == 4 and len(tree["edges"]) == 3

        # "?" lists every shortcut, navigation's too; Escape closes it.
        _key(page, "?")
        page.wait_for_selector("#shortcut-help[open]")
        help_text = page.text_content("#shortcut-help") or ""
        for expected in (
            "Undo",
            "Redo",
            "New tree",
            "branchpoint",
            "Next / previous slice",
            "Zoom in / out",
            "Shift + F",
        ):
            assert expected in help_text, expected
        _shot(page, "24-shortcut-help")
        page.keyboard.press("Escape")
        page.wait_for_selector("#shortcut-help:not([open])", state="attached")
        _saved(page)
        context.close()

        # A link holder: the lists without controls, "?" without the editing keys; the dataset page has "?" too.
        owner.patch(f"/api/annotations/{annotation_id}", json={"visibility": "Public"}).raise_for_status()
        context = browser.new_context(base_url=base, viewport={"width": 1400, "height": 900})
        page = context.new_page()
        errors += _watch_errors(page)
        page.goto(f"/annotations/{annotation_id}?token={world.token}#56,56,21,0,0.4")
        _wait_loaded(page)
        page.wait_for_selector("#read-only")
        page.wait_for_selector('#tree-list li[data-tree-id="1"]')
        assert (
            page.locator("#tree-list input, #tree-list .vx-tree-delete, #comment-input, #new-group").count()
            == 0
        )
        page.click('#comment-list li[data-node-id="2"] button')
        _key(page, "?")
        page.wait_for_selector("#shortcut-help[open]")
        help_text = page.text_content("#shortcut-help") or ""
        assert "Next / previous slice" in help_text and "branchpoint" not in help_text
        page.keyboard.press("Escape")
        page.goto(f"/datasets/{world.slug}/view?token={world.token}")
        _wait_loaded(page)
        _key(page, "?")
        page.wait_for_selector("#shortcut-help[open]")
        context.close()
        assert errors == []


def test_tree_list_with_1000_trees(settings, session_factory, browser, tmp_path) -> None:  # type: ignore[no-untyped-def]
    world = build_viewer_world(session_factory, tmp_path)
    with running_server(settings) as base:
        owner = _api_as(base, world.accounts.users["admin_a"])
        annotation_id = _new_annotation(owner, world, "Many trees")
        version = owner.get(f"/api/annotations/{annotation_id}/info").json()["version"]
        actions = []
        for i in range(1, 1001):
            actions.append(
                {"name": "createTree", "value": {"id": i, "name": f"cell {i}", "color": [0.2, 0.4, 0.9, 1]}}
            )
            actions.append(
                {"name": "createNode", "value": {"id": i, "treeId": i, "position": [i % 120, 60, 21]}}
            )
        answer = owner.post(
            f"/api/annotations/{annotation_id}/updates", json={"version": version, "actions": actions}
        )
        assert answer.status_code == 200, answer.text
        started = time.monotonic()
        context, page, errors = _owner_page(
            browser, base, world, f"/annotations/{annotation_id}#60,60,21,0,0.4"
        )
        page.wait_for_selector('#tree-list[data-trees="1000"]')
        assert page.locator("#tree-list li[data-tree-id]").count() == 1000
        loaded = time.monotonic() - started
        # Selecting a tree re-renders the list: it must stay quick.
        started = time.monotonic()
        page.click('#tree-list li[data-tree-id="500"] .vx-tree-name')
        page.wait_for_selector('#tree-list li.active[data-tree-id="500"]')
        selected = time.monotonic() - started
        render_ms = page.evaluate(
            """() => { const t = performance.now(); document.querySelector('#tree-list li[data-tree-id="3"] .vx-tree-name').click();
                       return new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(performance.now() - t)))); }"""
        )
        print(
            f"1000 trees: page {loaded:.2f} s, select {selected * 1000:.0f} ms, re-render {render_ms:.0f} ms"
        )
        assert selected < 2 and render_ms < 500, (selected, render_ms)
        _shot(page, "25-1000-trees")
        _saved(page)
        context.close()
        assert errors == []
