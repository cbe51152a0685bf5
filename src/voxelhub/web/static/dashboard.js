import { api } from "/static/api.js";
import { el, formatDate, showStatus } from "/static/common.js";

const tabs = [...document.querySelectorAll("[role=tab]")];
const loaded = new Set();

function select(tab) {
  for (const other of tabs) {
    const selected = other === tab;
    other.setAttribute("aria-selected", String(selected));
    document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
  }
  const panel = document.getElementById(tab.getAttribute("aria-controls"));
  if (panel.dataset.scope && !loaded.has(panel.id)) {
    loaded.add(panel.id);
    loadAnnotations(panel);
  }
  history.replaceState(null, "", tab.id === "tab-datasets" ? "#" : `#${panel.dataset.scope}`);
}

const EMPTY = {
  own: "You have no annotations yet.",
  shared: "No annotations are shared with your teams yet.",
};

async function loadAnnotations(panel) {
  const scope = panel.dataset.scope;
  const list = panel.querySelector(".annotation-list");
  let annotations;
  try {
    annotations = await api("GET", `/api/annotations/readable?scope=${scope}`);
  } catch (e) {
    const text = e.status === 404 ? "Annotation lists are not available on this server yet." : `Could not load annotations: ${e.message}`;
    list.replaceChildren(el("p", { className: "empty" }, text));
    return;
  }
  if (!annotations.length) {
    list.replaceChildren(el("p", { className: "empty" }, EMPTY[scope]));
    return;
  }
  const rows = annotations.map((a) => el("tr", {},
    el("td", {}, el("a", { href: `/annotations/${encodeURIComponent(a.id)}` }, a.name || "(unnamed)")),
    el("td", {}, datasetCell(a)),
    el("td", {}, el("span", { className: `badge ${String(a.visibility).toLowerCase()}` }, a.visibility)),
    scope === "shared" ? el("td", {}, `${a.owner.firstName} ${a.owner.lastName}`.trim()) : null,
    el("td", {}, (a.teams || []).map((t) => t.name).join(", ") || "–"),
    el("td", {}, formatDate(a.modified)),
  ));
  const head = ["Name", "Dataset", "Visibility", scope === "shared" ? "Owner" : null, "Teams", "Modified"]
    .filter(Boolean).map((h) => el("th", {}, h));
  list.replaceChildren(el("div", { className: "table-wrap" },
    el("table", { className: "data-table" }, el("thead", {}, el("tr", {}, ...head)), el("tbody", {}, ...rows))));
}

function datasetCell(annotation) {
  if (!annotation.datasetName) return "–";
  if (!annotation.datasetReadable) return annotation.datasetName;
  return el("a", { href: `/datasets/${encodeURIComponent(annotation.datasetName)}-${annotation.datasetId}/view` },
    annotation.datasetName);
}

// Uploads: multipart to the API; on success open what was created, on an error show the server's message
// (it names the file and the place, e.g. the line of a bad NML) and let the user try again.
const DESTINATION = {
  "annotation-upload": (answer) => `/annotations/${encodeURIComponent(answer.annotation.id)}`,
  "dataset-upload": (dataset) => `/datasets/${encodeURIComponent(dataset.name)}-${dataset.id}/settings`,
};

function setUpUpload(form) {
  const button = form.querySelector("button[type=submit]");
  const status = form.querySelector("[role=status]");
  const error = form.querySelector(".form-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    error.hidden = true;
    button.disabled = true;
    showStatus(status, "Uploading…", "busy");
    try {
      const answer = await api("POST", form.dataset.url, new FormData(form));
      showStatus(status, "Uploaded. Opening it…");
      window.location.assign(DESTINATION[form.id](answer));
    } catch (e) {
      showStatus(status, "");
      error.textContent = `Not uploaded: ${e.message}`;
      error.hidden = false;
      button.disabled = false;
    }
  });
}

for (const form of document.querySelectorAll("form.upload-form")) setUpUpload(form);
for (const tab of tabs) tab.addEventListener("click", () => select(tab));
const initial = tabs.find((t) => `#${document.getElementById(t.getAttribute("aria-controls")).dataset.scope}` === location.hash);
if (initial) select(initial);
