// The sidebar's tree list, as webKnossos' "Skeleton" tab: groups holding trees; per tree a visibility box, a
// colour, the name (click selects, double click renames), the node count and delete; trees are dragged between
// groups. Above it the active node and tree, the node's radius, and buttons for a new tree or group.
// Without an editor (read only) it only lists. One listener per kind of event on the list, not per row, and the
// list is rebuilt at most once a frame, so 1,000 trees stay quick.

import { createGroup, deleteGroup, moveTreeToGroup, renameGroup, setGroupVisible, toggleGroupOpen } from "./tree_groups.js";
import { el } from "/static/common.js";

export function countText(n, one, many = `${one}s`) {
  return `${n} ${n === 1 ? one : many}`;
}

/** "rgb(230, 77, 77)" (a tree's css colour) as "#e64d4d" for a colour input. */
export function hexOf(css) {
  const parts = (css.match(/\d+(\.\d+)?/g) || []).slice(0, 3).map((v) => Math.max(0, Math.min(255, Math.round(Number(v)))));
  while (parts.length < 3) parts.push(0);
  return `#${parts.map((v) => v.toString(16).padStart(2, "0")).join("")}`;
}

/** "#e64d4d" as the [r, g, b, 1] (0–1) a tree's colour is saved as. */
export function colorOf(hex) {
  const n = Number.parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255].map((v) => Math.round((v / 255) * 1000) / 1000).concat(1);
}

function treeRow(tree, active, editable) {
  const name = editable
    ? el("button", { type: "button", className: "vx-link vx-tree-name", title: "Select (double click: rename)" }, tree.name)
    : el("span", { className: "vx-tree-name" }, tree.name);
  const row = el("li", { className: `vx-tree${active ? " active" : ""}`, dataset: { treeId: String(tree.id) } });
  if (editable) {
    row.draggable = true;
    row.append(
      el("input", { type: "checkbox", className: "vx-tree-visible", checked: tree.isVisible, title: "Show or hide",
        "aria-label": `Show ${tree.name}` }),
      // A swatch opening the list's one colour picker: a colour input per row would make 1,000 rows slow.
      el("button", { type: "button", className: "vx-swatch vx-tree-color", style: `background: ${tree.css}`, title: "Colour",
        "aria-label": `Colour of ${tree.name}` }));
  } else {
    row.append(el("span", { className: "vx-swatch", style: `background: ${tree.css}` }));
  }
  row.append(name, el("span", { className: "count" }, countText(tree.nodeIds.length, "node")));
  if (editable) row.append(el("button", { type: "button", className: "vx-icon vx-tree-delete", title: "Delete the tree",
    "aria-label": `Delete ${tree.name}` }, "×"));
  return row;
}

function groupItem(group, byGroup, active, editable) {
  const open = group.isExpanded !== false;
  const head = el("div", { className: "vx-group-head", dataset: { dropGroup: String(group.groupId) } });
  if (editable) {
    head.append(el("button", { type: "button", className: "vx-icon vx-fold", title: open ? "Fold" : "Unfold" }, open ? "▾" : "▸"));
    const trees = byGroup.get(group.groupId) || [];
    head.append(el("input", { type: "checkbox", className: "vx-group-visible", checked: trees.length === 0 || trees.some((t) => t.isVisible),
      title: "Show or hide the group's trees", "aria-label": `Show ${group.name}` }));
  }
  head.append(el("span", { className: "vx-group-name", title: editable ? "Double click: rename" : "" }, group.name || `Group ${group.groupId}`));
  if (editable) head.append(el("button", { type: "button", className: "vx-icon vx-group-delete", title: "Delete the group (its trees stay)",
    "aria-label": `Delete ${group.name}` }, "×"));
  const item = el("li", { className: "vx-group", dataset: { groupId: String(group.groupId) } }, head);
  if (open) item.append(el("ul", { className: "vx-trees" }, ...listItems(group.children || [], group.groupId, byGroup, active, editable)));
  return item;
}

function listItems(groups, groupId, byGroup, active, editable) {
  return [...groups.map((g) => groupItem(g, byGroup, active, editable)),
    ...(byGroup.get(groupId) || []).map((t) => treeRow(t, t === active, editable))];
}

/** Renames in place: the text becomes an input; Enter or leaving it saves, Escape cancels. */
function inlineRename(target, value, save) {
  const input = el("input", { type: "text", className: "vx-rename", value, maxLength: 1000, "aria-label": "New name" });
  let done = false;
  const finish = (keep) => {
    if (done) return;
    done = true;
    input.replaceWith(target);
    if (keep && input.value.trim()) save(input.value.trim());
  };
  input.addEventListener("keydown", (e) => {
    e.stopPropagation();
    if (e.key === "Enter") finish(true);
    if (e.key === "Escape") finish(false);
  });
  input.addEventListener("blur", () => finish(true));
  target.replaceWith(input);
  input.focus();
  input.select();
}

function activeLine(skeleton, editor) {
  const node = skeleton.nodes.get(skeleton.activeNodeId);
  const tree = skeleton.activeTree();
  const line = el("p", { className: "vx-active", id: "active-node" },
    "Active node ", el("strong", {}, node ? String(node.id) : "none"),
    " · tree ", el("strong", {}, tree ? tree.name : "none"));
  if (node && editor) {
    const radius = el("input", { type: "number", className: "vx-number", id: "node-radius", min: "0.1", max: "100000",
      step: "any", value: String(node.radius), "aria-label": "Radius of the active node" });
    radius.addEventListener("change", () => editor.setRadius(Number(radius.value)));
    radius.addEventListener("keydown", (e) => e.stopPropagation());
    line.append(" · ", el("label", { className: "vx-field" }, el("span", {}, "radius"), radius));
  }
  return line;
}

function toolbar(editor) {
  const button = (id, text, title, run) => {
    const b = el("button", { type: "button", className: "vx-button small", id, title }, text);
    b.addEventListener("click", run);
    return b;
  };
  return el("div", { className: "vx-tree-tools" },
    button("tree-list-new-tree", "New tree", "Start a new tree (C)", () => editor.createTree()),
    button("new-group", "New group", "A new tree group", () => createGroup(editor)),
    button("toggle-trees", "Show/hide all", "Show or hide every tree (1)", () => editor.toggleAllTrees()));
}

function bindList(list, editor, picker) {
  const treeId = (e) => Number(e.target.closest("[data-tree-id]")?.dataset.treeId);
  const groupId = (e) => Number(e.target.closest("[data-group-id]")?.dataset.groupId);
  picker.addEventListener("change", () => editor.setTreeColor(Number(picker.dataset.treeId), colorOf(picker.value)));
  list.addEventListener("click", (e) => {
    const t = e.target;
    if (t.matches(".vx-tree-color")) {
      const id = treeId(e);
      picker.dataset.treeId = String(id);
      picker.value = hexOf(editor.skeleton.trees.get(id).css);
      picker.click();
    } else if (t.matches(".vx-tree-name")) editor.selectTree(treeId(e));
    else if (t.matches(".vx-tree-delete")) editor.deleteTree(treeId(e));
    else if (t.matches(".vx-group-delete")) deleteGroup(editor, groupId(e));
    else if (t.matches(".vx-fold")) toggleGroupOpen(editor, groupId(e));
  });
  list.addEventListener("dblclick", (e) => {
    const t = e.target;
    if (t.matches(".vx-tree-name")) {
      const id = treeId(e);
      inlineRename(t, editor.skeleton.trees.get(id).name, (name) => editor.renameTree(id, name));
    } else if (t.matches(".vx-group-name")) {
      const id = groupId(e);
      inlineRename(t, t.textContent, (name) => renameGroup(editor, id, name));
    }
  });
  list.addEventListener("change", (e) => {
    const t = e.target;
    if (t.matches(".vx-tree-visible")) editor.setTreeVisible(treeId(e), t.checked);
    else if (t.matches(".vx-group-visible")) setGroupVisible(editor, groupId(e), t.checked);
  });
  // Drag a tree onto a group's heading (or a tree inside it) to move it there; onto the list's free space for none.
  list.addEventListener("dragstart", (e) => {
    const row = e.target.closest?.("[data-tree-id]");
    if (row) e.dataTransfer.setData("text/x-voxelhub-tree", row.dataset.treeId);
  });
  list.addEventListener("dragover", (e) => e.preventDefault());
  list.addEventListener("drop", (e) => {
    e.preventDefault();
    const id = Number(e.dataTransfer.getData("text/x-voxelhub-tree"));
    if (!id) return;
    const group = e.target.closest("[data-group-id]");
    moveTreeToGroup(editor, id, group ? Number(group.dataset.groupId) : null);
  });
}

/** Sets up the list in `list` (the sidebar's #tree-list); answers `refresh()`, which redraws it next frame. */
export function treeList(list, skeleton, editor = null) {
  if (!list) return () => {};
  const head = el("div", { className: "vx-tree-head" });
  const picker = el("input", { type: "color", className: "vx-color-picker", id: "tree-color-picker", tabIndex: -1,
    "aria-label": "Tree colour" });
  list.before(head);
  if (editor) {
    list.after(picker);
    bindList(list, editor, picker);
  }
  let frame = null;
  let shape = null; // what the last full build showed: groups and each tree's place
  const rows = new Map(); // tree id -> {row, look}
  const render = () => {
    // Not under the pointer of someone renaming: the list waits until the name is saved or dropped.
    if (document.activeElement?.matches(".vx-rename") && list.contains(document.activeElement)) {
      frame = requestAnimationFrame(render);
      return;
    }
    frame = null;
    head.replaceChildren(...(editor ? [toolbar(editor)] : []), activeLine(skeleton, editor));
    if (!updateRows()) build();
  };
  // Most edits change one row (a count, a name, the active tree): only those rows are made again.
  const look = (tree, active) => `${tree.name}\u0000${tree.css}\u0000${tree.isVisible}\u0000${tree.nodeIds.length}\u0000${active === tree}`;
  const shapeNow = () => JSON.stringify([skeleton.treeGroups, [...skeleton.trees.values()].map((t) => [t.id, t.groupId])]);
  const updateRows = () => {
    if (shape === null || shape !== shapeNow()) return false;
    const active = skeleton.activeTree();
    for (const tree of skeleton.trees.values()) {
      const known = rows.get(tree.id);
      const now = look(tree, active);
      if (!known || known.look === now) continue;
      const row = treeRow(tree, tree === active, Boolean(editor));
      known.row.replaceWith(row);
      rows.set(tree.id, { row, look: now });
    }
    return true;
  };
  const build = () => {
    const byGroup = new Map();
    const known = new Set();
    const collect = (groups) => groups.forEach((g) => { known.add(g.groupId); collect(g.children || []); });
    collect(skeleton.treeGroups);
    for (const tree of skeleton.trees.values()) {
      const key = known.has(tree.groupId) ? tree.groupId : null;
      if (!byGroup.has(key)) byGroup.set(key, []);
      byGroup.get(key).push(tree);
    }
    const active = skeleton.activeTree();
    const items = listItems(skeleton.treeGroups, null, byGroup, active, Boolean(editor));
    list.replaceChildren(...(items.length ? items : [el("li", { className: "muted" }, "No trees yet.")]));
    list.dataset.trees = String(skeleton.trees.size);
    rows.clear();
    for (const row of list.querySelectorAll("li[data-tree-id]")) {
      const tree = skeleton.trees.get(Number(row.dataset.treeId));
      rows.set(tree.id, { row, look: look(tree, active) });
    }
    shape = shapeNow();
  };
  render();
  return () => {
    if (frame === null) frame = requestAnimationFrame(render);
  };
}
