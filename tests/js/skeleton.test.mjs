// The skeleton as the viewer holds it, loaded from the annotation's skeleton JSON
// ({version, activeNodeId, trees: [{id, name, color, isVisible, nodes: [{id, position, radius}], edges}]}).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { segmentCss } from "../../src/voxelhub/viewer/colors.js";
import { Skeleton } from "../../src/voxelhub/viewer/skeleton.js";

const json = {
  version: 4,
  activeNodeId: 3,
  trees: [
    { id: 1, name: "axon", color: [1, 0, 0, 1], nodes: [
      { id: 1, position: [10, 20, 30], radius: 2 }, { id: 2, position: [11, 20, 30] }, { id: 3, position: [12, 21, 30] },
    ], edges: [{ source: 1, target: 2 }, { source: 2, target: 3 }] },
    { id: 5, name: "", color: null, isVisible: false, nodes: [{ id: 7, position: ["1", "2", "3"] }, { id: 8, position: [1] }],
      edges: [] },
  ],
};

describe("Skeleton", () => {
  test("loads trees, nodes, edges, the version and the active node", () => {
    const sk = new Skeleton(json);
    assert.equal(sk.version, 4);
    assert.equal(sk.nodeCount, 4); // node 8 has no usable position
    assert.equal(sk.activeNodeId, 3);
    const axon = sk.trees.get(1);
    assert.deepEqual(axon.nodeIds, [1, 2, 3]);
    assert.deepEqual(axon.edges, [[1, 2], [2, 3]]);
    assert.equal(axon.css, "rgb(255, 0, 0)");
    assert.equal(axon.isVisible, true);
    assert.deepEqual(sk.nodes.get(7), { id: 7, position: [1, 2, 3], treeId: 5, radius: 1, rotation: [0, 0, 0], viewport: 0,
      mag: 1, bitDepth: 8, interpolation: false, timestamp: 0 });
  });

  test("a tree without a name or colour gets them from its id; isVisible false is kept", () => {
    const tree = new Skeleton(json).trees.get(5);
    assert.equal(tree.name, "Tree 5");
    assert.equal(tree.css, segmentCss(5));
    assert.equal(tree.isVisible, false);
  });

  test("an active node that does not exist is none", () => {
    assert.equal(new Skeleton({ ...json, activeNodeId: 99 }).activeNodeId, null);
    assert.equal(new Skeleton({ trees: [] }).activeNodeId, null);
  });

  test("reloading replaces everything", () => {
    const sk = new Skeleton(json);
    sk.load({ version: 9, trees: [{ id: 2, nodes: [{ id: 1, position: [0, 0, 0] }], edges: [] }] });
    assert.deepEqual([...sk.trees.keys()], [2]);
    assert.equal(sk.nodeCount, 1);
    assert.equal(sk.version, 9);
  });

  test("malformed JSON loads as an empty skeleton", () => {
    const sk = new Skeleton({ version: "x", trees: "nope" });
    assert.equal(sk.version, 0);
    assert.equal(sk.trees.size, 0);
  });

  test("new ids follow the largest one", () => {
    const sk = new Skeleton(json);
    assert.equal(sk.nextNodeId(), 8);
    assert.equal(sk.nextTreeId(), 6);
    const empty = new Skeleton();
    assert.equal(empty.nextNodeId(), 1);
    assert.equal(empty.nextTreeId(), 1);
  });

  test("the active tree: the active node's, else the last one", () => {
    const sk = new Skeleton(json);
    assert.equal(sk.activeTree().id, 1);
    sk.activeNodeId = null;
    assert.equal(sk.activeTree().id, 5);
    assert.equal(new Skeleton().activeTree(), null);
  });

  test("adding a tree, nodes and an edge", () => {
    const sk = new Skeleton();
    const tree = sk.addTree(1, "new", [0, 0, 1, 1]);
    sk.addNode(tree, 1, [1, 2, 3]);
    sk.addNode(tree, 2, [4, 5, 6]);
    sk.addEdge(tree, 1, 2);
    assert.equal(tree.css, "rgb(0, 0, 255)");
    assert.deepEqual(tree.nodeIds, [1, 2]);
    assert.deepEqual(tree.edges, [[1, 2]]);
    assert.equal(sk.nodes.get(2).treeId, 1);
  });

  test("removing a node removes its edges", () => {
    const sk = new Skeleton(json);
    sk.removeNode(2);
    const axon = sk.trees.get(1);
    assert.deepEqual(axon.nodeIds, [1, 3]);
    assert.deepEqual(axon.edges, []);
    assert.equal(sk.nodes.has(2), false);
    sk.removeNode(12345); // unknown: nothing happens
    assert.equal(sk.nodeCount, 3);
  });
});
