// The annotation page (`/annotations/{id}`): the viewer with the annotation's skeleton and volume layers on top.
//
// With `restrictions.allowUpdate` the owner's tools (annotation_editing.js): the skeleton tool, tree list and
// comments save update actions through `POST /api/annotations/{id}/updates`; a brush paints the chosen volume
// layer (volume.js); both undo. Both kinds of save share the annotation's version (saves.js); a 409 (changed
// elsewhere) reloads both. Without it, a "Read only" badge and "Copy to my account" (POST …/duplicate, then off
// to the copy). "?" lists the shortcuts (shortcut_help.js) on every annotation page.

import { setUpEditing } from "./annotation_editing.js";
import { commentsTab } from "./comments_tab.js";
import { keepEditView, storedView } from "./edit_view.js";
import { setUpSidebar, showMessage } from "./page_parts.js";
import { SaveTurns } from "./saves.js";
import { bindShortcuts } from "./shortcuts.js";
import { shortcutHelp } from "./shortcut_help.js";
import { Skeleton } from "./skeleton.js";
import { treeList } from "./tree_list.js";
import { pageToken } from "./url_state.js";
import { atVersion, previewHref, previewVersion } from "./version_preview.js";
import { Viewer } from "./viewer.js";
import { VolumeLayers } from "./volume_tools.js";
import { Api, ApiError } from "/static/api.js";
import { el } from "/static/common.js";

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
    if (page.undo) page.undo.clear(); // its batches and bucket copies were made on what was just replaced
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

/** The tree list and the comments in the sidebar; `page.refreshTrees(viewerToo)` redraws them after an edit. */
function setUpSkeletonPanels(page) {
  const list = document.getElementById("tree-list");
  const trees = treeList(list, page.skeleton, page.editor ?? null);
  const comments = commentsTab(list, page.skeleton, page.viewer, page.editor ?? null);
  page.refreshTrees = (viewerToo = false) => {
    trees();
    comments();
    if (viewerToo) page.viewer.changed();
  };
  // A click in the planes or the hash may change the active node too.
  page.viewer.addEventListener("change", () => {
    if (page.skeleton.activeNodeId !== page.shownActive) {
      page.shownActive = page.skeleton.activeNodeId;
      trees();
      comments();
    }
  });
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
  const owner = Boolean(info.restrictions && info.restrictions.allowUpdate);
  const allowUpdate = owner && preview === null; // an earlier version is only looked at
  const page = { viewer, api, info, skeleton, turns: new SaveTurns(info.version), setState: () => {},
    onTool: () => {}, refreshTrees: () => {} };
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
  }
  const help = shortcutHelp({ editable: allowUpdate });
  if (allowUpdate) {
    window.voxelhubSaver = setUpEditing(page, { onRecover: (e) => recover(page, e), helpToggle: help.toggle });
    keepEditView(viewer, api, annotationId);
  } else {
    bindShortcuts({ help: help.toggle });
    if (preview === null) setUpReadOnly(api, info, viewer.toolSlot, loggedIn);
  }
  setUpSkeletonPanels(page);
  window.voxelhubViewer = viewer;
}

main();
