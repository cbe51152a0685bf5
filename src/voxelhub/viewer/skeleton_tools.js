// Every skeleton edit of the annotation page, as webKnossos' skeleton tool and tree list make them. Each edit is a
// batch of update actions: applied to the page's skeleton (skeleton_edit.js), saved in turn with the annotation's
// other saves (SkeletonSaver) and, with its inverse batch, put on the undo stack (undo.js).

import { StaleTurn } from "./saves.js";
import { applyBatch, treeParts } from "./skeleton_edit.js";

export const TREE_COLORS = [[0.9, 0.3, 0.3], [0.25, 0.6, 1], [0.3, 0.8, 0.45], [1, 0.75, 0.2], [0.75, 0.4, 1], [0.2, 0.85, 0.85]];
const PLANE_VIEWPORTS = { xy: 0, yz: 1, xz: 2 };
const PICK_PIXELS = 8; // a click this close to a node selects it rather than adding one

/** Saves skeleton edits in order, in turn with the annotation's other saves; a failure goes to `onFailure`. */
export class SkeletonSaver {
  constructor(api, annotationId, turns, { onState = () => {}, onFailure = () => {} } = {}) {
    this.api = api;
    this.base = `/api/annotations/${encodeURIComponent(annotationId)}`;
    this.turns = turns;
    this.onState = onState;
    this.onFailure = onFailure;
    this.queue = [];
    this.saving = false;
  }

  get pending() {
    return this.saving || this.queue.length > 0;
  }

  push(actions) {
    this.queue.push(...actions);
    this.onState("Saving…", "busy");
    this.flush();
  }

  async flush() {
    if (this.saving || !this.queue.length) return;
    this.saving = true;
    const actions = this.queue.splice(0);
    let saved = false;
    try {
      await this.turns.run(async (version) => (await this.api.postJson(`${this.base}/updates`, { version, actions })).version);
      saved = true;
    } catch (error) {
      this.queue = [];
      if (!(error instanceof StaleTurn)) this.onFailure(error);
    } finally {
      this.saving = false;
      if (this.queue.length) this.flush();
      else if (saved) this.onState("All changes saved", "ok");
    }
  }
}

function maxId(ids) {
  let max = null;
  for (const id of ids) if (max === null || id > max) max = id;
  return max;
}

/** The skeleton edits; `onChange()` redraws the page's lists and the viewer after each. */
export class SkeletonEditor {
  constructor({ skeleton, saver, undo, viewer, onChange = () => {} }) {
    this.skeleton = skeleton;
    this.saver = saver;
    this.undo = undo;
    this.viewer = viewer;
    this.onChange = onChange;
  }

  /** Applies, saves and (unless `undoable` is false: a mere selection) records one batch of update actions. */
  edit(actions, label, { undoable = true } = {}) {
    if (!actions.length) return;
    const inverse = applyBatch(this.skeleton, actions);
    this.saver.push(actions);
    if (undoable) {
      this.undo.record({ label, undo: () => this.replay(inverse), redo: () => this.replay(actions) });
    }
    this.onChange();
  }

  replay(actions) {
    applyBatch(this.skeleton, actions);
    this.saver.push(actions);
    this.onChange();
  }

  get activeNode() {
    return this.skeleton.nodes.get(this.skeleton.activeNodeId) ?? null;
  }

  // ---- trees ---------------------------------------------------------------------------------------------

  createTreeAction(groupId = null, id = this.skeleton.nextTreeId()) {
    const color = [...TREE_COLORS[(id - 1) % TREE_COLORS.length], 1];
    return { name: "createTree", value: { id, name: `Tree ${id}`, color, groupId, isVisible: true, comments: [], branchPoints: [] } };
  }

  /** C: a new tree, active (with no active node until the first click). */
  createTree() {
    const action = this.createTreeAction(this.skeleton.activeTree()?.groupId ?? null);
    this.skeleton.activeTreeId = action.value.id;
    this.edit([action, { name: "updateActiveNode", value: { activeNode: null } }], "new tree");
    return action.value.id;
  }

  /** The tree becomes the active one, with its newest node as the active node (as webKnossos does). */
  selectTree(id) {
    const tree = this.skeleton.trees.get(id);
    if (!tree) return;
    this.skeleton.activeTreeId = id;
    this.edit([{ name: "updateActiveNode", value: { activeNode: maxId(tree.nodeIds) } }], "select tree", { undoable: false });
  }

  renameTree(id, name) {
    const tree = this.skeleton.trees.get(id);
    if (!tree || tree.name === name) return;
    this.edit([{ name: "updateTree", value: { id, name } }], "rename tree");
  }

  setTreeColor(id, color) {
    if (!this.skeleton.trees.has(id)) return;
    this.edit([{ name: "updateTree", value: { id, color } }], "tree colour");
  }

  setTreeVisible(id, isVisible) {
    if (!this.skeleton.trees.has(id)) return;
    this.edit([{ name: "updateTreeVisibility", value: { treeId: id, isVisible } }], "tree visibility");
  }

  deleteTree(id) {
    if (!this.skeleton.trees.has(id)) return;
    const actions = [{ name: "deleteTree", value: { id } }];
    if (this.activeNode?.treeId === id) actions.push({ name: "updateActiveNode", value: { activeNode: null } });
    this.edit(actions, "delete tree");
  }

  /** 1: all trees hidden when any is shown, else all shown. */
  toggleAllTrees() {
    const anyVisible = [...this.skeleton.trees.values()].some((t) => t.isVisible);
    this.edit([{ name: "updateTreeGroupVisibility", value: { treeGroupId: null, isVisible: !anyVisible } }], "toggle trees");
  }

  /** 2: every tree but the active one hidden, or shown again. */
  toggleInactiveTrees() {
    const active = this.skeleton.activeTree();
    const others = [...this.skeleton.trees.values()].filter((t) => t !== active);
    const show = !others.some((t) => t.isVisible);
    const actions = others.filter((t) => t.isVisible !== show)
      .map((t) => ({ name: "updateTreeVisibility", value: { treeId: t.id, isVisible: show } }));
    this.edit(actions, "toggle inactive trees");
  }

  // ---- nodes ---------------------------------------------------------------------------------------------

  /** A click of the skeleton tool: selects the node under the pointer, else adds a node to the active tree. */
  click(voxel, plane) {
    const hit = this.nodeAt(voxel, plane);
    if (hit !== null) {
      this.selectNode(hit);
      return;
    }
    this.addNode(voxel.map((v) => Math.floor(v)), plane);
  }

  addNode(position, plane) {
    const sk = this.skeleton;
    const actions = [];
    let tree = sk.activeTree();
    if (!tree) {
      const created = this.createTreeAction();
      actions.push(created);
      tree = { id: created.value.id };
    }
    const id = sk.nextNodeId();
    const previous = this.activeNode;
    actions.push({ name: "createNode", value: {
      id, treeId: tree.id, position, radius: 1, rotation: [0, 0, 0], viewport: PLANE_VIEWPORTS[plane.id] ?? 0,
      mag: 1, bitDepth: 8, interpolation: false, timestamp: Date.now(),
    } });
    if (previous && previous.treeId === tree.id) {
      actions.push({ name: "createEdge", value: { treeId: tree.id, source: previous.id, target: id } });
    }
    actions.push({ name: "updateActiveNode", value: { activeNode: id } });
    this.edit(actions, "new node");
    return id;
  }

  /** The visible node nearest to `voxel` in the plane, within a few pixels, or null. */
  nodeAt(voxel, plane) {
    const pane = this.viewer.panes.find((p) => p.plane === plane);
    if (!pane) return null;
    const view = this.viewer.viewOf(pane);
    const [cx, cy] = view.toScreen(voxel);
    const here = voxel[plane.w];
    let best = null;
    let bestDistance = PICK_PIXELS;
    for (const tree of this.skeleton.trees.values()) {
      if (!tree.isVisible) continue;
      for (const id of tree.nodeIds) {
        const p = this.skeleton.nodes.get(id).position;
        if (Math.abs(p[plane.w] - here) > 1) continue;
        const [x, y] = view.toScreen(p);
        const d = Math.hypot(x - cx, y - cy);
        if (d < bestDistance) [best, bestDistance] = [id, d];
      }
    }
    return best;
  }

  selectNode(id, { centre = false } = {}) {
    const node = this.skeleton.nodes.get(id);
    if (!node) return;
    this.skeleton.activeTreeId = node.treeId;
    this.edit([{ name: "updateActiveNode", value: { activeNode: id } }], "select node", { undoable: false });
    if (centre) this.viewer.setPosition(node.position);
  }

  /** Del: the active node goes and a neighbour (or else nothing) becomes the active node. A node in the middle
   * of a tree splits it, as in webKnossos: the parts not holding the new active node become trees of their own
   * (createTree + moveTreeComponent). */
  deleteActiveNode() {
    const node = this.activeNode;
    if (!node) return;
    const tree = this.skeleton.trees.get(node.treeId);
    const neighbours = tree.edges.filter(([s, t]) => s === node.id || t === node.id).map(([s, t]) => (s === node.id ? t : s));
    const next = neighbours[0] ?? null;
    const actions = [{ name: "deleteNode", value: { nodeId: node.id, treeId: node.treeId } }];
    if (neighbours.length > 1) {
      const rest = { nodeIds: tree.nodeIds.filter((id) => id !== node.id), edges: tree.edges.filter(([s, t]) => s !== node.id && t !== node.id) };
      let id = this.skeleton.nextTreeId();
      for (const part of treeParts(rest, next).slice(1)) {
        const created = this.createTreeAction(tree.groupId, id++);
        actions.push(created, { name: "moveTreeComponent", value: { sourceId: tree.id, targetId: created.value.id, nodeIds: part } });
      }
    }
    actions.push({ name: "updateActiveNode", value: { activeNode: next } });
    this.edit(actions, "delete node");
  }

  setRadius(radius) {
    const node = this.activeNode;
    if (!node || !(radius > 0) || node.radius === radius) return;
    this.edit([{ name: "updateNode", value: { id: node.id, treeId: node.treeId, radius } }], "node radius");
  }

  /** Ctrl+arrows: the active node moves one voxel (times the zoom, as the view's arrow keys) in `plane`. */
  moveActiveNode(key, plane) {
    const node = this.activeNode;
    const step = { ArrowLeft: [plane.u, -1], ArrowRight: [plane.u, 1], ArrowUp: [plane.v, -1], ArrowDown: [plane.v, 1] }[key];
    if (!node || !step) return;
    const position = node.position.slice();
    position[step[0]] += step[1] * Math.max(1, Math.round(this.viewer.zoom));
    this.edit([{ name: "updateNode", value: { id: node.id, treeId: node.treeId, position } }], "move node");
  }

  /** S: the view moves to the active node. */
  centreActiveNode() {
    const node = this.activeNode;
    if (node) this.viewer.setPosition(node.position);
  }

  /** Ctrl+. / Ctrl+,: along the active tree to the next (or previous) node, as webKnossos' node navigation. */
  stepNode(direction) {
    const node = this.activeNode;
    if (!node) return;
    const tree = this.skeleton.trees.get(node.treeId);
    const neighbours = tree.edges.filter(([s, t]) => s === node.id || t === node.id).map(([s, t]) => (s === node.id ? t : s));
    const ahead = neighbours.filter((n) => (direction > 0 ? n > node.id : n < node.id));
    let target = ahead.length ? (direction > 0 ? Math.min(...ahead) : Math.max(...ahead)) : null;
    if (target === null) {
      const i = tree.nodeIds.indexOf(node.id);
      target = tree.nodeIds[i + direction] ?? null;
    }
    if (target !== null) this.selectNode(target, { centre: true });
  }

  // ---- branchpoints and comments ---------------------------------------------------------------------------

  /** B: the active node becomes the newest branchpoint. */
  setBranchPoint() {
    const node = this.activeNode;
    if (!node) return;
    const tree = this.skeleton.trees.get(node.treeId);
    if (tree.branchPoints.some((b) => b.nodeId === node.id)) return;
    const branchPoints = [...tree.branchPoints, { nodeId: node.id, timestamp: Date.now() }];
    this.edit([{ name: "updateTree", value: { id: tree.id, branchPoints } }], "branchpoint");
  }

  /** J: back to the newest branchpoint, which is used up (as in webKnossos). */
  jumpToBranchPoint() {
    let last = null;
    for (const tree of this.skeleton.trees.values()) {
      for (const b of tree.branchPoints) if (!last || b.timestamp >= last.b.timestamp) last = { tree, b };
    }
    if (!last) return false;
    const branchPoints = last.tree.branchPoints.filter((b) => b !== last.b);
    this.edit([{ name: "updateTree", value: { id: last.tree.id, branchPoints } },
      { name: "updateActiveNode", value: { activeNode: last.b.nodeId } }], "jump to branchpoint");
    const node = this.skeleton.nodes.get(last.b.nodeId);
    if (node) this.viewer.setPosition(node.position);
    return true;
  }

  /** The active node's comment (empty text removes it). */
  setComment(text) {
    const node = this.activeNode;
    if (!node) return;
    const tree = this.skeleton.trees.get(node.treeId);
    const content = text.trim();
    if ((this.skeleton.commentOf(node.id) ?? "") === content) return;
    const comments = tree.comments.filter((c) => c.nodeId !== node.id);
    if (content) comments.push({ nodeId: node.id, content });
    this.edit([{ name: "updateTree", value: { id: tree.id, comments } }], "comment");
  }

  /** Every comment, in node id order: [{nodeId, content, treeId}]. */
  comments() {
    const all = [];
    for (const tree of this.skeleton.trees.values()) for (const c of tree.comments) all.push({ ...c, treeId: tree.id });
    return all.sort((a, b) => a.nodeId - b.nodeId);
  }

  /** N / P: to the next (previous) commented node. */
  stepComment(direction) {
    const all = this.comments();
    if (!all.length) return;
    const active = this.skeleton.activeNodeId ?? -Infinity;
    const i = all.findIndex((c) => c.nodeId === active);
    let target;
    if (i >= 0) target = all[(i + direction + all.length) % all.length];
    else target = direction > 0 ? all.find((c) => c.nodeId > active) ?? all[0] : [...all].reverse().find((c) => c.nodeId < active) ?? all[all.length - 1];
    this.selectNode(target.nodeId, { centre: true });
  }
}
