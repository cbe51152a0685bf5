// Skeleton update actions applied in the page, as the server applies them (annotations/skeleton/actions.py), and
// their inverses: `applyBatch` changes the page's Skeleton and answers the batch that undoes it, made of the
// same update actions, so an undo is saved (and versioned) like any other edit.

import { makeNode, makeTree } from "./skeleton.js";

const TREE_FIELDS = ["name", "color", "groupId", "type", "isVisible", "metadata", "comments", "branchPoints"];
const NODE_FIELDS = ["position", "radius", "rotation", "viewport", "mag", "bitDepth", "interpolation", "timestamp"];

const copy = (value) => (value === undefined ? undefined : structuredClone(value));

/** The createNode value that makes `node` again as it is. */
export function nodeValue(node) {
  const value = { id: node.id, treeId: node.treeId };
  for (const key of NODE_FIELDS) value[key] = copy(node[key]);
  return value;
}

function treeOf(sk, id) {
  const tree = sk.trees.get(id);
  if (!tree) throw new Error(`tree ${id} does not exist`);
  return tree;
}

function nodeOf(sk, id) {
  const node = sk.nodes.get(id);
  if (!node) throw new Error(`node ${id} does not exist`);
  return node;
}

/** The trees of group `groupId` and of its subgroups (every tree for null). */
export function treesInGroup(sk, groupId) {
  if (groupId === null || groupId === undefined) return [...sk.trees.values()];
  const ids = new Set();
  const walk = (groups, inside) => {
    for (const g of groups) {
      const here = inside || g.groupId === groupId;
      if (here) ids.add(g.groupId);
      walk(g.children || [], here);
    }
  };
  walk(sk.treeGroups, false);
  return [...sk.trees.values()].filter((t) => ids.has(t.groupId));
}

function setTreeFields(tree, v) {
  for (const key of TREE_FIELDS) {
    if (!(key in v)) continue;
    tree[key] = copy(v[key]);
  }
  if ("color" in v) tree.css = makeTree({ id: tree.id, color: v.color }).css;
}

const APPLY = {
  createTree(sk, v) {
    if (sk.trees.has(v.id)) throw new Error(`tree ${v.id} already exists`);
    const tree = makeTree({ id: v.id });
    sk.trees.set(v.id, tree);
    setTreeFields(tree, v);
  },
  deleteTree(sk, v) {
    treeOf(sk, v.id ?? v.treeId);
    sk.removeTree(v.id ?? v.treeId);
  },
  updateTree(sk, v) {
    setTreeFields(treeOf(sk, v.id ?? v.treeId), v);
  },
  updateTreeVisibility(sk, v) {
    treeOf(sk, v.treeId).isVisible = Boolean(v.isVisible);
  },
  updateTreeGroupVisibility(sk, v) {
    for (const tree of treesInGroup(sk, v.treeGroupId)) tree.isVisible = Boolean(v.isVisible);
  },
  moveTreeComponent(sk, v) {
    const source = treeOf(sk, v.sourceId);
    const target = treeOf(sk, v.targetId);
    const ids = new Set(v.nodeIds);
    const moves = (n) => ids.has(n);
    target.nodeIds.push(...source.nodeIds.filter(moves));
    source.nodeIds = source.nodeIds.filter((n) => !moves(n));
    for (const id of ids) nodeOf(sk, id).treeId = target.id;
    target.edges.push(...source.edges.filter(([a, b]) => moves(a) && moves(b)));
    source.edges = source.edges.filter(([a, b]) => !moves(a) && !moves(b));
    for (const key of ["comments", "branchPoints"]) {
      target[key].push(...source[key].filter((c) => moves(c.nodeId)));
      source[key] = source[key].filter((c) => !moves(c.nodeId));
    }
  },
  createNode(sk, v) {
    const tree = treeOf(sk, v.treeId);
    if (sk.nodes.has(v.id)) throw new Error(`node ${v.id} already exists`);
    sk.nodes.set(v.id, makeNode(v.id, tree.id, v));
    tree.nodeIds.push(v.id);
  },
  updateNode(sk, v) {
    const node = nodeOf(sk, v.id);
    for (const key of NODE_FIELDS) if (key in v) node[key] = copy(v[key]);
  },
  deleteNode(sk, v) {
    nodeOf(sk, v.nodeId);
    sk.removeNode(v.nodeId);
  },
  createEdge(sk, v) {
    treeOf(sk, v.treeId).edges.push([v.source, v.target]);
  },
  deleteEdge(sk, v) {
    const tree = treeOf(sk, v.treeId);
    tree.edges = tree.edges.filter(([s, t]) => !(s === v.source && t === v.target));
  },
  updateTreeGroups(sk, v) {
    sk.treeGroups = copy(v.treeGroups);
  },
  updateTreeGroupsExpandedState(sk, v) {
    const ids = new Set(v.groupIds);
    const fold = (groups) => groups.map((g) => ({ ...g, isExpanded: ids.has(g.groupId) ? Boolean(v.areExpanded) : g.isExpanded,
      children: fold(g.children || []) }));
    sk.treeGroups = fold(sk.treeGroups);
  },
  updateActiveNode(sk, v) {
    sk.activeNodeId = v.activeNode ?? null;
  },
};

/** The actions that make a deleted tree again: the tree, its nodes and edges, then its comments and branchpoints
 * (the server checks that those name nodes of the tree). */
function recreateTree(sk, tree) {
  const head = { id: tree.id, name: tree.name, color: copy(tree.color), groupId: tree.groupId, type: tree.type,
    isVisible: tree.isVisible, metadata: copy(tree.metadata), comments: [], branchPoints: [] };
  const out = [{ name: "createTree", value: head }];
  for (const id of tree.nodeIds) out.push({ name: "createNode", value: nodeValue(sk.nodes.get(id)) });
  for (const [source, target] of tree.edges) out.push({ name: "createEdge", value: { treeId: tree.id, source, target } });
  if (tree.comments.length || tree.branchPoints.length) {
    out.push({ name: "updateTree", value: { id: tree.id, comments: copy(tree.comments), branchPoints: copy(tree.branchPoints) } });
  }
  return out;
}

function recreateNode(sk, node) {
  const tree = sk.trees.get(node.treeId);
  const out = [{ name: "createNode", value: nodeValue(node) }];
  for (const [source, target] of tree.edges) {
    if (source === node.id || target === node.id) out.push({ name: "createEdge", value: { treeId: tree.id, source, target } });
  }
  const hasComment = tree.comments.some((c) => c.nodeId === node.id);
  const hasBranchPoint = tree.branchPoints.some((b) => b.nodeId === node.id);
  if (hasComment || hasBranchPoint) {
    out.push({ name: "updateTree", value: { id: tree.id, comments: copy(tree.comments), branchPoints: copy(tree.branchPoints) } });
  }
  return out;
}

const INVERSE = {
  createTree: (sk, v) => [{ name: "deleteTree", value: { id: v.id } }],
  deleteTree: (sk, v) => recreateTree(sk, treeOf(sk, v.id ?? v.treeId)),
  updateTree(sk, v) {
    const tree = treeOf(sk, v.id ?? v.treeId);
    const value = { id: tree.id };
    for (const key of TREE_FIELDS) if (key in v) value[key] = copy(tree[key]);
    return [{ name: "updateTree", value }];
  },
  updateTreeVisibility: (sk, v) => [{ name: "updateTreeVisibility",
    value: { treeId: v.treeId, isVisible: treeOf(sk, v.treeId).isVisible } }],
  updateTreeGroupVisibility: (sk, v) => treesInGroup(sk, v.treeGroupId).map((t) => (
    { name: "updateTreeVisibility", value: { treeId: t.id, isVisible: t.isVisible } })),
  moveTreeComponent(sk, v) {
    const ids = new Set(v.nodeIds);
    const crossing = treeOf(sk, v.sourceId).edges.filter(([a, b]) => ids.has(a) !== ids.has(b));
    return [{ name: "moveTreeComponent", value: { sourceId: v.targetId, targetId: v.sourceId, nodeIds: [...v.nodeIds] } },
      ...crossing.map(([source, target]) => ({ name: "createEdge", value: { treeId: v.sourceId, source, target } }))];
  },
  createNode: (sk, v) => [{ name: "deleteNode", value: { nodeId: v.id, treeId: v.treeId } }],
  deleteNode: (sk, v) => recreateNode(sk, nodeOf(sk, v.nodeId)),
  updateNode(sk, v) {
    const node = nodeOf(sk, v.id);
    const value = { id: node.id, treeId: node.treeId };
    for (const key of NODE_FIELDS) if (key in v) value[key] = copy(node[key]);
    return [{ name: "updateNode", value }];
  },
  createEdge: (sk, v) => [{ name: "deleteEdge", value: { treeId: v.treeId, source: v.source, target: v.target } }],
  deleteEdge: (sk, v) => [{ name: "createEdge", value: { treeId: v.treeId, source: v.source, target: v.target } }],
  updateTreeGroups: (sk) => [{ name: "updateTreeGroups", value: { treeGroups: copy(sk.treeGroups) } }],
  updateTreeGroupsExpandedState: (sk) => [{ name: "updateTreeGroups", value: { treeGroups: copy(sk.treeGroups) } }],
  updateActiveNode: (sk) => [{ name: "updateActiveNode", value: { activeNode: sk.activeNodeId } }],
};

/** Applies one action to the page's skeleton (throws on an action the page cannot apply). */
export function applyAction(sk, { name, value }) {
  const apply = APPLY[name];
  if (!apply) throw new Error(`unknown action ${name}`);
  apply(sk, value);
}

/** The node ids of `tree` in connected parts (by its edges), each a list; the first part holds `first`. */
export function treeParts(tree, first = null) {
  const links = new Map(tree.nodeIds.map((id) => [id, []]));
  for (const [a, b] of tree.edges) {
    links.get(a)?.push(b);
    links.get(b)?.push(a);
  }
  const seen = new Set();
  const parts = [];
  const order = first !== null && links.has(first) ? [first, ...tree.nodeIds] : tree.nodeIds;
  for (const start of order) {
    if (seen.has(start)) continue;
    const part = [];
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      const id = stack.pop();
      part.push(id);
      for (const next of links.get(id)) {
        if (!seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    parts.push(part);
  }
  return parts;
}

/** Applies `actions` in order and answers the batch that undoes them all (in the same action vocabulary). */
export function applyBatch(sk, actions) {
  const inverses = [];
  for (const action of actions) {
    const inverse = INVERSE[action.name];
    if (!inverse) throw new Error(`no inverse for ${action.name}`);
    inverses.push(inverse(sk, action.value));
    applyAction(sk, action);
  }
  // The active node is set last: it may name a node that the rest of the undo makes again.
  const undo = inverses.reverse().flat();
  const pointer = undo.filter((a) => a.name === "updateActiveNode");
  return [...undo.filter((a) => a.name !== "updateActiveNode"), ...pointer.slice(-1)];
}
