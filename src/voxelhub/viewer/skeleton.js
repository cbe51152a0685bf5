// A skeleton (trees of nodes and edges) as the viewer draws it: near the current slice in each plane, and whole
// in the 3D box. Loading and saving are the annotation page's business (annotation_page.js).

import { treeCss } from "./colors.js";

const NODE_DEFAULTS = { radius: 1, rotation: [0, 0, 0], viewport: 0, mag: 1, bitDepth: 8, interpolation: false, timestamp: 0 };

/** A node as the viewer keeps it: every field the server stores, so an undo can create it again as it was. */
export function makeNode(id, treeId, v = {}) {
  const node = { id, treeId, position: v.position.map(Number) };
  for (const [key, fallback] of Object.entries(NODE_DEFAULTS)) node[key] = v[key] ?? fallback;
  if (v.resolution !== undefined && v.mag === undefined) node.mag = v.resolution;
  return node;
}

/** A tree as the viewer keeps it (the JSON's fields; `nodeIds` and `edges` as plain arrays). */
export function makeTree(t) {
  return {
    id: t.id, name: t.name || `Tree ${t.id}`, color: t.color ?? null, css: treeCss(t), nodeIds: [], edges: [],
    isVisible: t.isVisible !== false, groupId: t.groupId ?? null, type: t.type ?? null,
    metadata: Array.isArray(t.metadata) ? t.metadata : [],
    comments: Array.isArray(t.comments) ? t.comments.map((c) => ({ nodeId: c.nodeId, content: String(c.content) })) : [],
    branchPoints: Array.isArray(t.branchPoints)
      ? t.branchPoints.map((b) => ({ nodeId: b.nodeId, timestamp: b.timestamp ?? 0 })) : [],
  };
}

export class Skeleton {
  constructor(json) {
    this.trees = new Map();
    this.nodes = new Map(); // node id -> {id, position, treeId, radius, rotation, …}
    this.treeGroups = [];
    this.activeNodeId = null;
    this.activeTreeId = null; // a chosen tree without nodes yet; else the active node's
    this.version = 0;
    if (json) this.load(json);
  }

  load(json) {
    this.trees.clear();
    this.nodes.clear();
    this.version = Number.isInteger(json.version) ? json.version : 0;
    this.treeGroups = Array.isArray(json.treeGroups) ? json.treeGroups : [];
    for (const t of Array.isArray(json.trees) ? json.trees : []) {
      const tree = makeTree(t);
      for (const n of Array.isArray(t.nodes) ? t.nodes : []) {
        if (!Array.isArray(n.position) || n.position.length !== 3) continue;
        this.nodes.set(n.id, makeNode(n.id, t.id, n));
        tree.nodeIds.push(n.id);
      }
      for (const e of Array.isArray(t.edges) ? t.edges : []) tree.edges.push([e.source, e.target]);
      this.trees.set(t.id, tree);
    }
    const active = json.activeNodeId;
    this.activeNodeId = this.nodes.has(active) ? active : null;
    this.activeTreeId = null;
  }

  get nodeCount() {
    return this.nodes.size;
  }

  activeTree() {
    const node = this.nodes.get(this.activeNodeId);
    if (node) return this.trees.get(node.treeId);
    if (this.trees.has(this.activeTreeId)) return this.trees.get(this.activeTreeId);
    let last = null;
    for (const tree of this.trees.values()) last = tree;
    return last;
  }

  nextNodeId() {
    let max = 0;
    for (const id of this.nodes.keys()) max = Math.max(max, id);
    return max + 1;
  }

  nextTreeId() {
    let max = 0;
    for (const id of this.trees.keys()) max = Math.max(max, id);
    return max + 1;
  }

  addTree(id, name, color) {
    const tree = makeTree({ id, name, color });
    this.trees.set(id, tree);
    return tree;
  }

  addNode(tree, id, position, fields = {}) {
    this.nodes.set(id, makeNode(id, tree.id, { ...fields, position }));
    tree.nodeIds.push(id);
  }

  addEdge(tree, source, target) {
    tree.edges.push([source, target]);
  }

  /** Removes the node with its edges, comment and branchpoints (as the server's deleteNode does; the active node
   * is the edit's business, as on the server). */
  removeNode(id) {
    const node = this.nodes.get(id);
    if (!node) return;
    const tree = this.trees.get(node.treeId);
    this.nodes.delete(id);
    if (tree) {
      tree.nodeIds = tree.nodeIds.filter((n) => n !== id);
      tree.edges = tree.edges.filter(([s, t]) => s !== id && t !== id);
      tree.comments = tree.comments.filter((c) => c.nodeId !== id);
      tree.branchPoints = tree.branchPoints.filter((b) => b.nodeId !== id);
    }
  }

  removeTree(id) {
    const tree = this.trees.get(id);
    if (!tree) return;
    for (const n of tree.nodeIds) this.nodes.delete(n);
    this.trees.delete(id);
    if (this.activeTreeId === id) this.activeTreeId = null;
  }

  commentOf(nodeId) {
    const node = this.nodes.get(nodeId);
    const tree = node && this.trees.get(node.treeId);
    return tree?.comments.find((c) => c.nodeId === nodeId)?.content ?? null;
  }
}

/** How far (mag-1 voxels along the plane's normal) a node may be from the slice and still be drawn. */
function depthWindow(view, relScale) {
  return Math.max(1.5, (10 * view.zoom) / relScale[view.plane.w]);
}

/** Draws nodes and edges near the slice. */
export function drawSkeletonInPlane(ctx, view, skeleton, relScale) {
  const { w } = view.plane;
  const depth = depthWindow(view, relScale);
  const here = view.position[w];
  const near = (p) => Math.abs(p[w] - here) <= depth;
  const fade = (d) => Math.max(0.25, 1 - Math.abs(d) / depth);
  const pad = 20;
  const inside = ([x, y]) => x > -pad && y > -pad && x < view.width + pad && y < view.height + pad;
  ctx.save();
  ctx.lineCap = "round";
  for (const tree of skeleton.trees.values()) {
    if (!tree.isVisible) continue;
    ctx.strokeStyle = tree.css;
    ctx.lineWidth = 2;
    for (const [s, t] of tree.edges) {
      const a = skeleton.nodes.get(s);
      const b = skeleton.nodes.get(t);
      if (!a || !b) continue;
      const da = a.position[w] - here;
      const db = b.position[w] - here;
      const crosses = (da <= 0 && db >= 0) || (da >= 0 && db <= 0);
      if (!crosses && !near(a.position) && !near(b.position)) continue;
      const pa = view.toScreen(a.position);
      const pb = view.toScreen(b.position);
      ctx.globalAlpha = crosses ? 1 : fade(Math.min(Math.abs(da), Math.abs(db)));
      ctx.beginPath();
      ctx.moveTo(pa[0], pa[1]);
      ctx.lineTo(pb[0], pb[1]);
      ctx.stroke();
    }
    ctx.fillStyle = tree.css;
    const branchPoints = new Set(tree.branchPoints.map((b) => b.nodeId));
    for (const id of tree.nodeIds) {
      const node = skeleton.nodes.get(id);
      const d = node.position[w] - here;
      if (Math.abs(d) > depth) continue;
      const p = view.toScreen(node.position);
      if (!inside(p)) continue;
      const active = id === skeleton.activeNodeId;
      ctx.globalAlpha = fade(d);
      // The node's radius (voxels) as a ring, once it is larger on screen than the marker.
      const ring = Math.min(400, node.radius * view.pu);
      if (ring > 7) {
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        ctx.arc(p[0], p[1], ring, 0, Math.PI * 2);
        ctx.strokeStyle = tree.css;
        ctx.stroke();
      }
      ctx.beginPath();
      ctx.arc(p[0], p[1], active ? 6 : 4, 0, Math.PI * 2);
      ctx.fill();
      if (branchPoints.has(id)) {
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#ffd400";
        ctx.strokeRect(p[0] - 8, p[1] - 8, 16, 16);
        ctx.strokeStyle = tree.css;
      }
      if (active) {
        ctx.globalAlpha = 1;
        ctx.lineWidth = 2;
        ctx.strokeStyle = "#fff";
        ctx.stroke();
        ctx.strokeStyle = tree.css;
      }
    }
  }
  ctx.restore();
}

/** The skeleton's edges and nodes in the 3D box (`project(p)` gives [x, y, depth] on screen). */
export function drawSkeleton3d(ctx, skeleton, project) {
  ctx.save();
  ctx.lineWidth = 1.5;
  for (const tree of skeleton.trees.values()) {
    if (!tree.isVisible) continue;
    ctx.strokeStyle = tree.css;
    ctx.beginPath();
    for (const [s, t] of tree.edges) {
      const a = skeleton.nodes.get(s);
      const b = skeleton.nodes.get(t);
      if (!a || !b) continue;
      const pa = project(a.position);
      const pb = project(b.position);
      ctx.moveTo(pa[0], pa[1]);
      ctx.lineTo(pb[0], pb[1]);
    }
    ctx.stroke();
    ctx.fillStyle = tree.css;
    const r = tree.nodeIds.length > 2000 ? 0.8 : 2;
    for (const id of tree.nodeIds) {
      const p = project(skeleton.nodes.get(id).position);
      ctx.fillRect(p[0] - r, p[1] - r, 2 * r, 2 * r);
    }
  }
  const active = skeleton.nodes.get(skeleton.activeNodeId);
  if (active) {
    const p = project(active.position);
    ctx.strokeStyle = "#fff";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.arc(p[0], p[1], 5, 0, Math.PI * 2);
    ctx.stroke();
  }
  ctx.restore();
}
