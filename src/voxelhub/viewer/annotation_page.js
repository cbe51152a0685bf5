// The annotation page (`/annotations/{id}`): the viewer with the annotation's skeleton on top.
//
// With `restrictions.allowUpdate` a skeleton tool adds nodes (createNode, plus createEdge to the active node)
// and saves them through `POST /api/annotations/{id}/updates`; a 409 (changed elsewhere) reloads the skeleton.
// Without it, a "Read only" badge and "Copy to my account" (POST …/duplicate, then off to the copy).

import { Api, HttpError } from "./api.js";
import { treeCss } from "./colors.js";
import { setUpSidebar, showMessage } from "./page_parts.js";
import { Skeleton } from "./skeleton.js";
import { pageToken } from "./url_state.js";
import { Viewer } from "./viewer.js";
import { el } from "/static/common.js";

const TREE_COLORS = [[0.9, 0.3, 0.3], [0.25, 0.6, 1], [0.3, 0.8, 0.45], [1, 0.75, 0.2], [0.75, 0.4, 1], [0.2, 0.85, 0.85]];

/** Saves edits in order, one request at a time; a stale version (409) reloads the skeleton from the server. */
export class SkeletonSaver {
  constructor(api, annotationId, skeleton, { onState = () => {}, onReload = () => {} } = {}) {
    this.api = api;
    this.base = `/api/annotations/${encodeURIComponent(annotationId)}`;
    this.skeleton = skeleton;
    this.onState = onState;
    this.onReload = onReload;
    this.queue = [];
    this.saving = false;
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
    try {
      const answer = await this.api.postJson(`${this.base}/updates`, { version: this.skeleton.version, actions });
      this.skeleton.version = answer.version;
      if (!this.queue.length) this.onState("All changes saved", "ok");
    } catch (error) {
      this.queue = [];
      const stale = error instanceof HttpError && error.status === 409;
      await this.reload();
      this.onState(stale ? "Changed elsewhere: reloaded the latest version" : `Not saved: ${error.message}`, stale ? "warn" : "error");
    } finally {
      this.saving = false;
      if (this.queue.length) this.flush();
    }
  }

  async reload() {
    try {
      this.skeleton.load(await this.api.getJson(`${this.base}/skeleton`));
    } catch {
      /* keep what we have; the status says it was not saved */
    }
    this.onReload();
  }
}

function setUpEditing(viewer, api, info, skeleton, tools, refreshTrees) {
  const status = el("span", { className: "vx-save", id: "save-status", role: "status" });
  const setState = (text, kind) => {
    status.textContent = text;
    status.dataset.kind = kind;
    viewer.statusText.dataset.saving = kind;
  };
  const saver = new SkeletonSaver(api, info.id, skeleton, {
    onState: setState, onReload: () => { refreshTrees(); viewer.requestRender(); },
  });
  let tool = "skeleton";
  const moveButton = el("button", { type: "button", className: "vx-button", id: "tool-move", title: "Move tool: click sets the position" }, "Move");
  const skeletonButton = el("button", { type: "button", className: "vx-button", id: "tool-skeleton", title: "Skeleton tool: click adds a node" }, "Skeleton");
  const newTree = el("button", { type: "button", className: "vx-button", id: "new-tree", title: "Start a new tree" }, "New tree");
  const deleteNode = el("button", { type: "button", className: "vx-button", id: "delete-node", title: "Delete the active node" }, "Delete node");
  const setTool = (name) => {
    tool = name;
    moveButton.setAttribute("aria-pressed", String(name === "move"));
    skeletonButton.setAttribute("aria-pressed", String(name === "skeleton"));
  };
  setTool("skeleton");
  moveButton.addEventListener("click", () => setTool("move"));
  skeletonButton.addEventListener("click", () => setTool("skeleton"));

  const createTree = () => {
    const id = skeleton.nextTreeId();
    const rgb = TREE_COLORS[(id - 1) % TREE_COLORS.length];
    const color = [...rgb, 1];
    const name = `Tree ${id}`;
    skeleton.addTree(id, name, color);
    return [{ id, name, color }, { name: "createTree", value: { id, name, color, comments: [], branchPoints: [] } }];
  };
  newTree.addEventListener("click", () => {
    const [, action] = createTree();
    skeleton.activeNodeId = null;
    saver.push([action]);
    refreshTrees();
    viewer.changed();
  });
  deleteNode.addEventListener("click", () => {
    const node = skeleton.nodes.get(skeleton.activeNodeId);
    if (!node) return;
    const tree = skeleton.trees.get(node.treeId);
    const neighbour = tree.edges.find(([s, t]) => s === node.id || t === node.id);
    skeleton.removeNode(node.id);
    const next = neighbour ? (neighbour[0] === node.id ? neighbour[1] : neighbour[0]) : null;
    skeleton.activeNodeId = next;
    const actions = [{ name: "deleteNode", value: { nodeId: node.id, treeId: node.treeId } }];
    actions.push({ name: "updateActiveNode", value: { activeNode: next } });
    saver.push(actions);
    refreshTrees();
    viewer.changed();
  });

  viewer.onVoxelClick = (voxel, plane) => {
    if (tool !== "skeleton") return false;
    const position = voxel.map((v) => Math.floor(v));
    const actions = [];
    let tree = skeleton.activeTree();
    if (!tree) {
      const [, action] = createTree();
      actions.push(action);
      tree = skeleton.trees.get(action.value.id);
    }
    const id = skeleton.nextNodeId();
    const previous = skeleton.nodes.get(skeleton.activeNodeId);
    skeleton.addNode(tree, id, position);
    actions.push({ name: "createNode", value: {
      id, treeId: tree.id, position, radius: 1, rotation: [0, 0, 0], viewport: PLANE_VIEWPORTS[plane.id] ?? 0,
      mag: 1, bitDepth: 8, interpolation: false, timestamp: Date.now(),
    } });
    if (previous && previous.treeId === tree.id) {
      skeleton.addEdge(tree, previous.id, id);
      actions.push({ name: "createEdge", value: { treeId: tree.id, source: previous.id, target: id } });
    }
    skeleton.activeNodeId = id;
    actions.push({ name: "updateActiveNode", value: { activeNode: id } });
    saver.push(actions);
    refreshTrees();
    viewer.changed();
    return true;
  };
  tools.append(moveButton, skeletonButton, newTree, deleteNode, status);
  return saver;
}

const PLANE_VIEWPORTS = { xy: 0, yz: 1, xz: 2 };

function setUpReadOnly(api, info, tools, loggedIn) {
  const badge = el("span", { className: "badge readonly", id: "read-only" }, "Read only");
  tools.append(badge);
  const copy = el("button", { type: "button", className: "vx-button", id: "copy-annotation" }, "Copy to my account");
  const note = el("span", { className: "vx-save", role: "status" });
  copy.addEventListener("click", async () => {
    if (!loggedIn) {
      window.location.assign(`/auth/login?next=${encodeURIComponent(window.location.pathname + window.location.search)}`);
      return;
    }
    copy.disabled = true;
    note.textContent = "Copying…";
    try {
      const fork = await api.postJson(`/api/annotations/${encodeURIComponent(info.id)}/duplicate`);
      window.location.assign(`/annotations/${encodeURIComponent(fork.id)}${window.location.hash}`);
    } catch (error) {
      copy.disabled = false;
      note.textContent = `Could not copy: ${error.message}`;
      note.dataset.kind = "error";
    }
  });
  tools.append(copy, note);
}

function treeList(container, skeleton) {
  return () => {
    if (!container) return;
    const rows = [...skeleton.trees.values()].map((tree) => {
      const active = skeleton.nodes.get(skeleton.activeNodeId);
      return el("li", { dataset: { treeId: String(tree.id) }, className: active && active.treeId === tree.id ? "active" : "" },
        el("span", { className: "vx-swatch", style: `background: ${treeCss(tree)}` }),
        el("span", {}, tree.name), el("span", { className: "count" }, `${tree.nodeIds.length} nodes`));
    });
    container.replaceChildren(...(rows.length ? rows : [el("li", { className: "muted" }, "No trees yet.")]));
  };
}

async function main() {
  const root = document.getElementById("viewer");
  if (!root) return;
  setUpSidebar();
  const api = new Api(pageToken());
  const annotationId = root.dataset.annotationId;
  const loggedIn = root.dataset.loggedIn === "true";
  let info;
  try {
    info = await api.getJson(`/api/annotations/${encodeURIComponent(annotationId)}/info`);
  } catch (error) {
    showMessage(root, `The annotation could not be loaded: ${error.message}`);
    return;
  }
  if (!info.datasetReadable) {
    showMessage(root, "You may see this annotation, but not the dataset it was made on, so no image data is shown. "
      + "Ask the dataset's owners for access, or for a sharing link.", "plain");
    return;
  }
  let dataset;
  let skeletonJson;
  try {
    [dataset, skeletonJson] = await Promise.all([
      api.getJson(`/api/datasets/${encodeURIComponent(info.datasetId)}`),
      api.getJson(`/api/annotations/${encodeURIComponent(annotationId)}/skeleton`).catch((error) => {
        if (error instanceof HttpError && error.status === 404) return { version: info.version, trees: [] };
        throw error;
      }),
    ]);
  } catch (error) {
    showMessage(root, `The annotation's data could not be loaded: ${error.message}`);
    return;
  }
  const viewer = new Viewer(root, {
    api, datasetId: info.datasetId, dataSource: dataset.dataSource, layerList: document.getElementById("layer-list"),
  });
  const skeleton = new Skeleton(skeletonJson);
  if (!Number.isInteger(skeletonJson.version)) skeleton.version = info.version;
  viewer.setSkeleton(skeleton);
  const refreshTrees = treeList(document.getElementById("tree-list"), skeleton);
  refreshTrees();
  const allowUpdate = Boolean(info.restrictions && info.restrictions.allowUpdate);
  if (allowUpdate) {
    window.voxelhubSaver = setUpEditing(viewer, api, info, skeleton, viewer.toolSlot, refreshTrees);
  } else {
    setUpReadOnly(api, info, viewer.toolSlot, loggedIn);
  }
  window.voxelhubViewer = viewer;
}

main();
