// "Create annotation" on the dataset page: a new annotation of the chosen kind on this dataset, owned by the
// caller, opened at the place the viewer shows now (the address bar's hash carries the view over).

import { api } from "/static/api.js";
import { showStatus } from "/static/common.js";

const LAYERS = { skeleton: ["skeleton"], volume: ["volume"], hybrid: ["skeleton", "volume"] };

function setUp(form) {
  const status = form.querySelector(".status");
  const button = form.querySelector("button[type=submit]");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const layers = LAYERS[form.elements.kind.value] ?? LAYERS.skeleton;
    // A logged-in link holder reads the dataset through the page's token: the new annotation needs it too.
    const query = form.dataset.query || "";
    button.disabled = true;
    showStatus(status, "Creating…", "busy");
    try {
      const created = await api("POST", `/api/annotations${query}`, { datasetId: form.dataset.datasetId, layers });
      window.location.assign(`/annotations/${encodeURIComponent(created.id)}${query}${window.location.hash}`);
    } catch (error) {
      showStatus(status, `Could not create the annotation: ${error.message}`, "error");
      button.disabled = false;
    }
  });
}

const form = document.getElementById("create-annotation");
if (form) setUp(form);
