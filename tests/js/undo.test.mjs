// The undo stack and the skeleton's undo batches: an edit's inverse is made of the same update actions the
// server versions (undo of a node creation is a deleteNode batch), and applying it gives back the skeleton.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { commandFor } from "../../src/voxelhub/viewer/shortcuts.js";
import { Skeleton } from "../../src/voxelhub/viewer/skeleton.js";
import { applyBatch, treeParts } from "../../src/voxelhub/viewer/skeleton_edit.js";
import { allGroupIds, withGroup, withoutGroup } from "../../src/voxelhub/viewer/tree_groups.js";
import { UndoStack } from "../../src/voxelhub/viewer/undo.js";

function entry(log, name, bytes = 0) {
  return { label: name, bytes, undo: () => log.push(`undo ${name}`), redo: () => log.push(`redo ${name}`) };
}

describe("UndoStack", () => {
  test("undo and redo run in order; a new edit drops what could be redone", async () => {
    const log = [];
    const stack = new UndoStack();
    stack.record(entry(log, "a"));
    stack.record(entry(log, "b"));
    await stack.undo();
    await stack.undo();
    assert.equal(await stack.undo(), null); // nothing left
    await stack.redo();
    assert.deepEqual(log, ["undo b", "undo a", "redo a"]);
    assert.ok(stack.canRedo);
    stack.record(entry(log, "c"));
    assert.ok(!stack.canRedo);
    assert.deepEqual(stack.done.map((e) => e.label), ["a", "c"]);
  });

  test("bounded by count and by bytes, the oldest going first and the newest always kept", () => {
    const stack = new UndoStack({ maxEntries: 3, maxBytes: 100 });
    for (const name of ["a", "b", "c", "d"]) stack.record(entry([], name, 10));
    assert.deepEqual(stack.done.map((e) => e.label), ["b", "c", "d"]);
    stack.record(entry([], "big", 91));
    assert.deepEqual(stack.done.map((e) => e.label), ["big"]);
    stack.record(entry([], "huge", 500));
    assert.deepEqual(stack.done.map((e) => e.label), ["huge"]);
    assert.equal(stack.bytes, 500);
  });

  test("one step at a time; a failing undo empties the rest; clear empties all and tells listeners", async () => {
    const log = [];
    const stack = new UndoStack();
    let release;
    stack.record(entry(log, "a"));
    stack.record({ label: "slow", undo: () => new Promise((r) => { release = r; }), redo: () => {} });
    const first = stack.undo();
    assert.equal(await stack.undo(), null); // busy: the second Ctrl+Z waits for nothing and does nothing
    release();
    await first;
    stack.record({ label: "broken", undo: () => { throw new Error("gone"); }, redo: () => {} });
    await assert.rejects(stack.undo(), /gone/);
    assert.equal(stack.done.length, 0);
    let changes = 0;
    stack.addEventListener("change", () => changes++);
    stack.clear();
    assert.equal(changes, 1);
    assert.ok(!stack.canUndo && !stack.canRedo);
  });
});

const json = {
  activeNodeId: 2,
  trees: [{ id: 1, name: "axon", color: [1, 0, 0, 1], groupId: null,
    nodes: [{ id: 1, position: [1, 2, 3], radius: 2 }, { id: 2, position: [2, 2, 3], radius: 5, timestamp: 9 }],
    edges: [{ source: 1, target: 2 }], comments: [{ nodeId: 2, content: "tip" }], branchPoints: [{ nodeId: 1, timestamp: 4 }] }],
};

/** The skeleton's state as plain values, to compare before and after. */
function state(sk) {
  return JSON.stringify({ trees: [...sk.trees.values()], nodes: [...sk.nodes.values()], active: sk.activeNodeId,
    groups: sk.treeGroups });
}

describe("skeleton undo batches", () => {
  test("undo of a node creation is a deleteNode batch; applying it gives the skeleton back", () => {
    const sk = new Skeleton(json);
    const before = state(sk);
    const forward = [
      { name: "createNode", value: { id: 3, treeId: 1, position: [5, 5, 5], radius: 1 } },
      { name: "createEdge", value: { treeId: 1, source: 2, target: 3 } },
      { name: "updateActiveNode", value: { activeNode: 3 } },
    ];
    const undo = applyBatch(sk, forward);
    assert.equal(sk.activeNodeId, 3);
    assert.deepEqual(undo.map((a) => a.name), ["deleteEdge", "deleteNode", "updateActiveNode"]);
    assert.deepEqual(undo[1].value, { nodeId: 3, treeId: 1 });
    applyBatch(sk, undo);
    assert.equal(state(sk), before);
    applyBatch(sk, forward); // redo
    assert.equal(sk.nodes.get(3).treeId, 1);
  });

  test("undo of deleting the active node makes it again with its fields, edges, comment and branchpoint", () => {
    const sk = new Skeleton(json);
    const before = state(sk);
    const undo = applyBatch(sk, [{ name: "deleteNode", value: { nodeId: 2, treeId: 1 } },
      { name: "updateActiveNode", value: { activeNode: 1 } }]);
    assert.ok(!sk.nodes.has(2));
    assert.deepEqual(sk.trees.get(1).comments, []);
    // The active node is set last: it names the node the rest of the batch makes again.
    assert.deepEqual(undo.map((a) => a.name), ["createNode", "createEdge", "updateTree", "updateActiveNode"]);
    assert.equal(undo[0].value.radius, 5);
    assert.equal(undo[0].value.timestamp, 9);
    applyBatch(sk, undo);
    assert.equal(state(sk), before);
  });

  test("undo of deleting a tree, of tree fields, visibility and groups", () => {
    const sk = new Skeleton(json);
    const before = state(sk);
    const undo = applyBatch(sk, [
      { name: "updateTreeGroups", value: { treeGroups: [{ groupId: 1, name: "g", children: [] }] } },
      { name: "updateTree", value: { id: 1, name: "dendrite", color: [0, 1, 0, 1], groupId: 1 } },
      { name: "updateTreeGroupVisibility", value: { treeGroupId: 1, isVisible: false } },
      { name: "deleteTree", value: { id: 1 } },
      { name: "updateActiveNode", value: { activeNode: null } },
    ]);
    assert.equal(sk.trees.size, 0);
    assert.equal(sk.nodes.size, 0);
    assert.equal(undo[0].name, "createTree");
    assert.deepEqual(undo[0].value.comments, []); // comments come after the nodes they name
    applyBatch(sk, undo);
    assert.equal(state(sk), before);
    assert.equal(sk.trees.get(1).css, "rgb(255, 0, 0)");
  });
});

describe("tree groups", () => {
  test("add nested, remove lifts the children", () => {
    let [groups, a] = withGroup([], "a");
    let b;
    [groups, b] = withGroup(groups, "b", a);
    assert.deepEqual([a, b], [1, 2]);
    assert.deepEqual(allGroupIds(groups), [1, 2]);
    assert.deepEqual(withoutGroup(groups, a), [{ groupId: 2, name: "b", isExpanded: true, children: [] }]);
  });
});

describe("shortcut keys", () => {
  const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });
  test("webKnossos' defaults", () => {
    assert.equal(commandFor(key("z", { ctrlKey: true })), "undo");
    assert.equal(commandFor(key("Z", { ctrlKey: true, shiftKey: true })), "redo");
    assert.equal(commandFor(key("y", { metaKey: true })), "redo");
    assert.equal(commandFor(key("c")), "create");
    assert.equal(commandFor(key("Delete")), "deleteNode");
    assert.equal(commandFor(key(".", { ctrlKey: true })), "nextNode");
    assert.equal(commandFor(key(",", { ctrlKey: true })), "previousNode");
    assert.equal(commandFor(key("?", { shiftKey: true })), "help");
    assert.equal(commandFor(key("W", { shiftKey: true })), "previousTool");
    assert.equal(commandFor(key("p")), "previousComment");
    assert.equal(commandFor(key("f")), null); // navigation.js's
    assert.equal(commandFor(key(".")), null);
    assert.equal(commandFor(key("c", { altKey: true })), null);
  });
});

describe("splitting a tree", () => {
  test("moveTreeComponent moves a part; its undo moves it back with the edge between the parts", () => {
    const sk = new Skeleton({ trees: [{ id: 1, nodes: [1, 2, 3, 4].map((id) => ({ id, position: [id, 0, 0] })),
      edges: [{ source: 1, target: 2 }, { source: 2, target: 3 }, { source: 3, target: 4 }],
      comments: [{ nodeId: 4, content: "end" }] }] });
    const before = state(sk);
    const undo = applyBatch(sk, [{ name: "createTree", value: { id: 2 } },
      { name: "moveTreeComponent", value: { sourceId: 1, targetId: 2, nodeIds: [3, 4] } }]);
    assert.deepEqual(sk.trees.get(1).edges, [[1, 2]]);
    assert.deepEqual(sk.trees.get(2).edges, [[3, 4]]);
    assert.equal(sk.nodes.get(4).treeId, 2);
    assert.deepEqual(sk.trees.get(2).comments, [{ nodeId: 4, content: "end" }]);
    assert.deepEqual(undo.map((a) => a.name), ["moveTreeComponent", "createEdge", "deleteTree"]);
    applyBatch(sk, undo);
    // Same trees, nodes and edges; the restored edge comes last in the list.
    assert.deepEqual(sk.trees.get(1).edges.sort(), [[1, 2], [2, 3], [3, 4]]);
    assert.deepEqual([...sk.trees.keys()], [1]);
    assert.equal(JSON.parse(state(sk)).nodes.length, JSON.parse(before).nodes.length);
  });

  test("treeParts: the parts of a tree by its edges, the first holding the given node", () => {
    const tree = { nodeIds: [1, 2, 4, 5, 6], edges: [[1, 2], [4, 5]] };
    assert.deepEqual(treeParts(tree, 4).map((p) => p.sort()), [[4, 5], [1, 2], [6]]);
  });
});
