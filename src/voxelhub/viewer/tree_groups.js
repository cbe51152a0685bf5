// Tree groups as webKnossos keeps them: a nested list [{groupId, name, isExpanded, children: […]}] saved whole by
// `updateTreeGroups`; a tree names its group by `groupId` (null: no group). The pure list helpers come first,
// then the edits, made through a SkeletonEditor (skeleton_tools.js) so they are saved and undoable.

function walk(groups, visit, parent = null) {
  for (const g of groups) {
    visit(g, parent);
    walk(g.children || [], visit, g.groupId);
  }
}

export function allGroupIds(groups) {
  const ids = [];
  walk(groups, (g) => ids.push(g.groupId));
  return ids;
}

export function findGroup(groups, id) {
  let found = null;
  walk(groups, (g, parent) => {
    if (g.groupId === id) found = { group: g, parent };
  });
  return found;
}

/** A copy of `groups` with `change(group)` applied to a copy of the group `id` (or null to drop it, its children
 * taking its place). */
function mapGroups(groups, id, change) {
  const out = [];
  for (const g of groups) {
    const copy = { ...g, children: mapGroups(g.children || [], id, change) };
    if (g.groupId !== id) {
      out.push(copy);
      continue;
    }
    const changed = change(copy);
    if (changed) out.push(changed);
    else out.push(...copy.children);
  }
  return out;
}

export function withGroup(groups, name, parent = null) {
  const groupId = Math.max(0, ...allGroupIds(groups)) + 1;
  const group = { groupId, name, isExpanded: true, children: [] };
  if (parent === null) return [[...groups, group], groupId];
  return [mapGroups(groups, parent, (g) => ({ ...g, children: [...g.children, group] })), groupId];
}

export function renamedGroup(groups, id, name) {
  return mapGroups(groups, id, (g) => ({ ...g, name }));
}

export function withoutGroup(groups, id) {
  return mapGroups(groups, id, () => null);
}

export function toggledGroup(groups, id) {
  return mapGroups(groups, id, (g) => ({ ...g, isExpanded: g.isExpanded === false }));
}

// ---- edits ----------------------------------------------------------------------------------------------------

export function createGroup(editor, parent = null) {
  const groups = editor.skeleton.treeGroups;
  const [treeGroups, id] = withGroup(groups, `Group ${Math.max(0, ...allGroupIds(groups)) + 1}`, parent);
  editor.edit([{ name: "updateTreeGroups", value: { treeGroups } }], "new group");
  return id;
}

export function renameGroup(editor, id, name) {
  const found = findGroup(editor.skeleton.treeGroups, id);
  if (!found || found.group.name === name) return;
  editor.edit([{ name: "updateTreeGroups", value: { treeGroups: renamedGroup(editor.skeleton.treeGroups, id, name) } }],
    "rename group");
}

/** The group goes; its trees and subgroups move up to its parent (as in webKnossos). */
export function deleteGroup(editor, id) {
  const found = findGroup(editor.skeleton.treeGroups, id);
  if (!found) return;
  const moves = [...editor.skeleton.trees.values()].filter((t) => t.groupId === id)
    .map((t) => ({ name: "updateTree", value: { id: t.id, groupId: found.parent } }));
  editor.edit([...moves, { name: "updateTreeGroups", value: { treeGroups: withoutGroup(editor.skeleton.treeGroups, id) } }],
    "delete group");
}

export function moveTreeToGroup(editor, treeId, groupId) {
  const tree = editor.skeleton.trees.get(treeId);
  if (!tree || tree.groupId === groupId) return;
  if (groupId !== null && !findGroup(editor.skeleton.treeGroups, groupId)) return;
  editor.edit([{ name: "updateTree", value: { id: treeId, groupId } }], "move tree");
}

export function setGroupVisible(editor, groupId, isVisible) {
  editor.edit([{ name: "updateTreeGroupVisibility", value: { treeGroupId: groupId, isVisible } }], "group visibility");
}

/** Folding a group is only the page's view, as webKnossos saves it: updateTreeGroupsExpandedState. */
export function toggleGroupOpen(editor, groupId) {
  const found = findGroup(editor.skeleton.treeGroups, groupId);
  if (!found) return;
  editor.edit([{ name: "updateTreeGroupsExpandedState",
    value: { groupIds: [groupId], areExpanded: found.group.isExpanded === false } }], "fold group", { undoable: false });
}
