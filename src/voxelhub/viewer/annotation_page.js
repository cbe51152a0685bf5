// The annotation page (`/annotations/{id}`): the viewer with the annotation's skeleton and volume layers on top.
//
// With `restrictions.allowUpdate` a skeleton tool adds nodes (createNode, plus createEdge to the active node)
// and saves them through `POST /api/annotations/{id}/updates`; a brush paints the chosen volume layer (volume.js).
// Both kinds of save share the annotation's version (saves.js); a 409 (changed elsewhere) reloads both.
// Without it, a "Read only" badge and "Copy to my account" (POST …/duplicate, then off to the copy).

import { treeCss } from "./colors.js";
import { keepEditView, storedView } from "./edit_view.js";
import { setUpSidebar, showMessage } from "./page_parts.js";
import { SaveTurns, StaleTurn } from "./saves.js";
import { Skeleton } from "./skeleton.js";
import { pageToken } from "./url_state.js";
import { atVersion, previewHref, previewVersion } from "./version_preview.js";
import { Viewer } from "./viewer.js";
import { brushControls, brushOutline, VolumeLayers } from "./volume_tools.js";
import { Api, ApiError } from "/static/api.js";
import { el } from "/static/common.js";

const TREE_COLORS = [[0.9, 0.3, 0.3], [0.25, 0.6, 1], [0.3, 0.8, 0.45], [1, 0.75, 0.2], [0.75, 0.4, 1], [0.2, 0.85, 0.85]];

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

async function loadSkeleton(api, annotationId, version, preview = null) {
  const path = atVersion(`/api/annotations/${encodeURIComponent(annotationId)}/skeleton`, preview);
  return api.getJson(path).catch((error) => {
    if (error instanceof ApiError && error.status === 404) return { version, trees: [] };
    throw error;
  });
}

/** The server's annotation replaces the page's: skeleton, volume layers, and the version saves start from. */
async function reloadAnnotation(page) {
  try {
    const id = page.info.id;
    const fresh = await page.api.getJson(`/api/annotations/${encodeURIComponent(id)}/info`);
    const skeletonJson = await loadSkeleton(page.api, id, fresh.version);
    page.turns.restart(fresh.version);
    page.skeleton.load(skeletonJson);
    page.volumes.reload(fresh.volumeLayers);
  } catch {
    /* keep what we have; the status says it was not saved */
  }
  page.refreshTrees();
  page.viewer.changed(false);
}

/** A save failed: saves still waiting are dropped (they built on the same version), the annotation reloads. */
async function recover(page, error) {
  page.turns.restart(page.turns.version);
  const stale = error instanceof ApiError && error.status === 409;
  await reloadAnnotation(page);
  page.setState(stale ? "Changed elsewhere: reloaded the latest version" : `Not saved: ${error.message}`, stale ? "warn" : "error");
}

/** Buttons of which one is pressed: the tool that takes clicks and drags on the planes. */
function toolPicker(onChange) {
  const picker = {
    current: null,
    buttons: new Map(),
    add(name, button) {
      picker.buttons.set(name, button);
      button.addEventListener("click", () => picker.set(name));
    },
    set(name) {
      picker.current = name;
      for (const [other, button] of picker.buttons) button.setAttribute("aria-pressed", String(other === name));
      onChange(name);
    },
  };
  return picker;
}

function saveStatus(page) {
  const status = el("span", { className: "vx-save", id: "save-status", role: "status" });
  // "All changes saved" from one saver while another still has work to send would be a lie.
  return [status, (text, kind) => {
    if (kind === "ok" && page.savers().some((s) => s.pending)) return;
    status.textContent = text;
    status.dataset.kind = kind;
    page.viewer.statusText.dataset.saving = kind;
  }];
}

function setUpEditing(page) {
  const { viewer, api, info, skeleton, refreshTrees } = page;
  const [status, setState] = saveStatus(page);
  page.setState = setState;
  const saver = new SkeletonSaver(api, info.id, page.turns, { onState: setState, onFailure: (e) => recover(page, e) });
  const moveButton = el("button", { type: "button", className: "vx-button", id: "tool-move", title: "Move tool: click sets the position" }, "Move");
  const skeletonButton = el("button", { type: "button", className: "vx-button", id: "tool-skeleton", title: "Skeleton tool: click adds a node" }, "Skeleton");
  const newTree = el("button", { type: "button", className: "vx-button", id: "new-tree", title: "Start a new tree" }, "New tree");
  const deleteNode = el("button", { type: "button", className: "vx-button", id: "delete-node", title: "Delete the active node" }, "Delete node");
  const tools = toolPicker((name) => page.onTool(name));
  page.tools = tools;
  tools.add("move", moveButton);
  tools.add("skeleton", skeletonButton);
  tools.set("skeleton");

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
    if (tools.current !== "skeleton") return false;
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
  viewer.toolSlot.append(moveButton, skeletonButton, newTree, deleteNode, status);
  page.skeletonSaver = saver;
  setUpVolumeEditing(page, status);
  return saver;
}

/** The brush (once there is a volume layer to paint into) or else the button that adds one. */
function setUpVolumeEditing(page, status) {
  const { viewer, volumes } = page;
  const brush = brushControls(volumes);
  const brushButton = el("button", { type: "button", className: "vx-button", id: "tool-brush",
    title: "Brush tool: drag paints the segment in the plane" }, "Brush");
  const addVolume = el("button", { type: "button", className: "vx-button", id: "add-volume",
    title: "Add a volume layer to paint segments into" }, "Add volume layer");
  page.onTool = (name) => {
    brush.element.hidden = name !== "brush";
    viewer.planeOverlay = name === "brush" ? brushOutline(brush) : null;
    viewer.requestRender();
  };
  const enableBrush = () => {
    addVolume.remove();
    page.tools.add("brush", brushButton);
    status.before(brushButton, brush.element);
  };
  addVolume.addEventListener("click", async () => {
    addVolume.disabled = true;
    try {
      const json = await page.api.postJson(`/api/annotations/${encodeURIComponent(page.info.id)}/volumes`, { name: "Volume" });
      volumes.add(json);
      enableBrush();
      page.tools.set("brush");
    } catch (error) {
      addVolume.disabled = false;
      page.setState(`Could not add a volume layer: ${error.message}`, "error");
    }
  });
  viewer.onVoxelDrag = brushStroke(page, brush);
  page.onTool(page.tools.current);
  if (volumes.active) enableBrush();
  else status.before(addVolume);
}

/** Drags with the brush: each move paints the stretch from the last position, so fast drags leave no gaps. */
function brushStroke(page, brush) {
  let last = null;
  return (phase, voxel, plane) => {
    if (page.tools.current !== "brush") return false;
    if (phase === "start") {
      if (!page.volumes.paint(voxel, voxel, plane, brush.radius, brush.erase, voxel)) return false;
      last = voxel;
    } else if (phase === "move" && last) {
      page.volumes.paint(last, voxel, plane, brush.radius, brush.erase);
      last = voxel;
    } else if (phase === "end") {
      last = null;
    }
    return true;
  };
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

/** The banner above the viewer while a version is previewed; `restore` is given to owners only. */
function previewBanner(version, restore) {
  const back = el("a", { className: "button small", href: previewHref(window.location.href, null) },
    "Back to the current version");
  const banner = el("div", { className: "vx-message plain", id: "version-preview", role: "status" },
    el("strong", {}, `Version ${version}`), " as it was saved, read only. ", back);
  if (restore) {
    const button = el("button", { type: "button", className: "button small" }, "Restore this version");
    button.addEventListener("click", () => restore(version));
    banner.append(" ", button);
  }
  return banner;
}

async function restoreVersion(api, annotationId, version) {
  if (!window.confirm(`Restore version ${version} as a new version? Later versions stay in the history.`)) return;
  await api.postJson(`/api/annotations/${encodeURIComponent(annotationId)}/restore`, { version });
  window.location.assign(previewHref(window.location.href, null));
}

async function main() {
  const root = document.getElementById("viewer");
  if (!root) return;
  setUpSidebar();
  const api = new Api(pageToken());
  const annotationId = root.dataset.annotationId;
  const loggedIn = root.dataset.loggedIn === "true";
  const preview = previewVersion(window.location.search);
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
      loadSkeleton(api, annotationId, info.version, preview),
    ]);
  } catch (error) {
    showMessage(root, `The annotation's data could not be loaded: ${error.message}`);
    return;
  }
  const viewer = new Viewer(root, {
    api, datasetId: info.datasetId, dataSource: dataset.dataSource, layerList: document.getElementById("layer-list"),
    startView: storedView(info),
  });
  const skeleton = new Skeleton(skeletonJson);
  if (!Number.isInteger(skeletonJson.version)) skeleton.version = info.version;
  viewer.setSkeleton(skeleton);
  const refreshTrees = treeList(document.getElementById("tree-list"), skeleton);
  refreshTrees();
  const owner = Boolean(info.restrictions && info.restrictions.allowUpdate);
  const allowUpdate = owner && preview === null; // an earlier version is only looked at
  const page = { viewer, api, info, skeleton, refreshTrees, turns: new SaveTurns(info.version), setState: () => {},
    onTool: () => {} };
  page.volumes = new VolumeLayers({
    viewer, api, annotationId, segmentList: document.getElementById("segment-list"), editable: allowUpdate,
    turns: page.turns, onState: (text, kind) => page.setState(text, kind), onFailure: (e) => recover(page, e),
    version: preview,
  });
  page.savers = () => [page.skeletonSaver, ...page.volumes.entries.map((e) => e.saver)].filter(Boolean);
  for (const json of Array.isArray(info.volumeLayers) ? info.volumeLayers : []) page.volumes.add(json);
  page.volumes.renderSegments();
  if (preview !== null) {
    root.before(previewBanner(preview, owner ? (version) => restoreVersion(api, annotationId, version) : null));
  } else if (allowUpdate) {
    window.voxelhubSaver = setUpEditing(page);
    keepEditView(viewer, api, annotationId);
  } else {
    setUpReadOnly(api, info, viewer.toolSlot, loggedIn);
  }
  window.voxelhubViewer = viewer;
}

main();
