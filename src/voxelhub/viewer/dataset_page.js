// The dataset page (`/datasets/{name}-{id}/view`): loads the dataset's description and starts the viewer.

import { pageToken } from "./url_state.js";
import { Viewer } from "./viewer.js";
import { setUpSidebar, showMessage } from "./page_parts.js";
import { bindShortcuts } from "./shortcuts.js";
import { shortcutHelp } from "./shortcut_help.js";
import { Api } from "/static/api.js";

async function main() {
  const root = document.getElementById("viewer");
  if (!root) return;
  setUpSidebar();
  const api = new Api(pageToken());
  const datasetId = root.dataset.datasetId;
  let dataset;
  try {
    dataset = await api.getJson(`/api/datasets/${encodeURIComponent(datasetId)}`);
  } catch (error) {
    showMessage(root, `The dataset could not be loaded: ${error.message}`);
    return;
  }
  const viewer = new Viewer(root, {
    api, datasetId, dataSource: dataset.dataSource, layerList: document.getElementById("layer-list"),
  });
  bindShortcuts({ help: shortcutHelp({ editable: false }).toggle }); // "?" lists the shortcuts
  window.voxelhubViewer = viewer;
  carryView(viewer, document.getElementById("settings-link"));
}

/** The Settings button takes the view along, so that the sharing links there open at it. */
function carryView(viewer, link) {
  if (!link) return;
  const base = link.getAttribute("href").split("#")[0];
  const update = () => { link.href = base + viewer.hash(); };
  update();
  viewer.addEventListener("change", update);
}

main();
