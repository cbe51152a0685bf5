import { api } from "/static/api.js";
import { copyText, el, formatDate, showStatus } from "/static/common.js";
import { setUpShorten, withView } from "/static/share_links.js";
import { parseHash } from "/viewer/url_state.js";

const root = document.getElementById("dataset-settings");
const datasetId = root.dataset.datasetId;
const slug = root.dataset.slug;
const origin = root.dataset.origin;
const neuroglancer = root.dataset.neuroglancer;
const neuroglancerDimensions = JSON.parse(root.dataset.neuroglancerDimensions || "{}");
const layerNames = JSON.parse(root.dataset.layers || "[]");
const base = `/api/datasets/${datasetId}`;
const $ = (id) => document.getElementById(id);

// ---- General settings -------------------------------------------------------------------------------
const form = $("settings-form");
form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("settings-status");
  const button = $("save-settings");
  button.disabled = true;
  showStatus(status, "Saving…", "busy");
  try {
    const saved = await api("PATCH", base, {
      displayName: form.displayName.value,
      description: form.description.value,
      isPublic: form.isPublic.checked,
    });
    showDatasetName(saved);
    const teams = [...form.querySelectorAll("input[name=team]:checked")].map((box) => box.value);
    await api("PATCH", `${base}/teams`, teams);
    showStatus(status, "Saved.");
    refreshAudit();
  } catch (e) {
    showStatus(status, `Not saved: ${e.message}`, "error");
  } finally {
    button.disabled = false;
  }
});

// ---- The sharing link -------------------------------------------------------------------------------
// The viewer's Settings button brings its view along (`#x,y,z,…`): the link then opens there, as webKnossos'
// share links do; a hash that is no view is left out.
let viewHash = parseHash(window.location.hash) ? window.location.hash : "";
const viewerUrl = (token) => withView(`${origin}/datasets/${slug}/view?token=${encodeURIComponent(token)}`, viewHash);
const zarrUrl = (token, view = "zarr") => `${origin}/data/s/${encodeURIComponent(token)}/${view}/${datasetId}/`;

/** The viewer state for Neuroglancer at `client` (the VOXELHUB_NEUROGLANCER_URL setting). `zarrBase` is the
 * `zarr-c` view: the same data with zarr3 transpose codecs folded into the axes, which Neuroglancer draws.
 * `dimensions` (the voxel size in metres, when known) lets the panels show x-y, x-z, y-z whatever the
 * arrays' axis order. */
export function neuroglancerUrl(client, zarrBase, layers, dimensions = {}) {
  const state = {
    layers: layers.map((name) => ({ type: "image", source: `zarr://${zarrBase}${encodeURIComponent(name)}/`, name })),
    layout: "4panel",
  };
  if (Object.keys(dimensions).length === 3) {
    state.dimensions = dimensions;
    state.displayDimensions = ["x", "y", "z"];
  }
  return `${client}#!${encodeURIComponent(JSON.stringify(state))}`;
}

function showToken(token) {
  $("sharing-link-row").hidden = !token;
  $("sharing-link-none").hidden = Boolean(token);
  $("streaming-active").hidden = !token;
  $("streaming-none").hidden = Boolean(token);
  $("sharing-link").value = token ? viewerUrl(token) : "";
  $("sharing-view-hint").hidden = !token || !viewHash;
  resetShort();
  $("zarr-url").value = token ? zarrUrl(token) : "";
  $("neuroglancer-link").href = token ? neuroglancerUrl(neuroglancer, zarrUrl(token, "zarr-c"), layerNames, neuroglancerDimensions) : "#";
}

/** Gets the dataset's sharing link, creating it when there is none: an explicit POST, never a GET. */
async function fetchSharingLink() {
  try {
    const answer = await api("POST", `${base}/sharingToken`);
    showToken(answer.sharingToken);
  } catch (e) {
    showToken(null);
    showStatus($("sharing-status"), `Could not get the sharing link: ${e.message}`, "error");
  }
}

/** Shows the active sharing link without creating one: after a revocation, a reload must not quietly
 * hand out a new link; only "Create a new sharing link" does. A dataset that never had one gets it now. */
function showSharingLinkOf(links) {
  const defaults = links.filter((link) => link.isDefault);
  const active = defaults.find((link) => link.status === "active" && link.token);
  if (active) showToken(active.token);
  else if (defaults.length === 0) fetchSharingLink().then(() => { refreshLinks(); refreshAudit(); });
  else showToken(null);
}

async function copyFrom(inputId, statusNode) {
  const input = $(inputId);
  const ok = await copyText(input.value, input);
  showStatus(statusNode, ok ? "Copied to the clipboard." : "Copy failed; select the text and copy it by hand.", ok ? "ok" : "error");
}

$("copy-sharing-link").addEventListener("click", () => copyFrom("sharing-link", $("sharing-status")));
const resetShort = setUpShorten({ button: $("shorten-sharing-link"), source: $("sharing-link"), target: $("short-link"),
  row: $("short-link-row"), status: $("sharing-status") });
$("sharing-view-drop").addEventListener("click", (event) => {
  event.preventDefault();
  viewHash = "";
  const link = $("sharing-link");
  link.value = withView(link.value, "");
  $("sharing-view-hint").hidden = true;
  resetShort();
});
$("copy-zarr-url").addEventListener("click", () => copyFrom("zarr-url", $("sharing-status")));

$("revoke-sharing-link").addEventListener("click", async () => {
  const status = $("sharing-status");
  if (!window.confirm("Revoke this link? Everyone using it loses access at once.")) return;
  try {
    await api("DELETE", `${base}/sharingToken`);
    showToken(null);
    showStatus(status, "The link was revoked. It no longer works.");
    refreshLinks();
    refreshAudit();
  } catch (e) {
    showStatus(status, `Not revoked: ${e.message}`, "error");
  }
});

$("create-sharing-link").addEventListener("click", async () => {
  await fetchSharingLink();
  showStatus($("sharing-status"), "A new sharing link was created.");
  refreshLinks();
  refreshAudit();
});

// ---- Named links ------------------------------------------------------------------------------------
const linkForm = $("link-form");
linkForm.addEventListener("submit", async (event) => {
  event.preventDefault();
  const status = $("links-status");
  const body = { name: linkForm.name.value.trim() };
  if (linkForm.expiresOn.value) {
    body.expiresAt = new Date(`${linkForm.expiresOn.value}T23:59:59`).toISOString(); // end of that local day
  }
  try {
    await api("POST", `${base}/shareLinks`, body);
    linkForm.reset();
    showStatus(status, `Link “${body.name}” created.`);
    refreshLinks();
    refreshAudit();
  } catch (e) {
    showStatus(status, `Not created: ${e.message}`, "error");
  }
});

/** The breadcrumb names the dataset as saved (a rename shows at once, not after a reload). */
function showDatasetName(dataset) {
  const crumb = $("crumb-dataset");
  if (crumb && dataset) crumb.textContent = dataset.displayName || dataset.name || crumb.dataset.name;
}

function linkRow(link) {
  const actions = el("td", { className: "actions" });
  if (link.status === "active" && link.url) {
    const copy = el("button", { type: "button", className: "button small" }, "Copy");
    copy.addEventListener("click", async () => {
      const ok = await copyText(withView(link.url, viewHash));
      showStatus($("links-status"), ok ? `Link “${link.name}” copied.` : "Copy failed.", ok ? "ok" : "error");
    });
    const revoke = el("button", { type: "button", className: "button small danger" }, "Revoke");
    revoke.addEventListener("click", () => revokeLink(link));
    actions.append(copy, " ", revoke);
  }
  return el("tr", { dataset: { linkId: link.id } },
    el("td", {}, link.name, link.isDefault ? el("span", { className: "muted" }, " (sharing link)") : null),
    el("td", {}, el("span", { className: `badge ${link.status}` }, link.status)),
    el("td", {}, link.expiresAt ? formatDate(link.expiresAt) : "never"),
    el("td", { className: "num" }, usageText(link)),
    el("td", {}, formatDate(link.firstUsedAt)),
    el("td", {}, formatDate(link.lastUsedAt)),
    actions,
  );
}

/** Visits first (what a person means by "used"), the raw request count beside it. */
function usageText(link) {
  const visits = `${link.visits} ${link.visits === 1 ? "visit" : "visits"}`;
  const requests = `${link.useCount} ${link.useCount === 1 ? "request" : "requests"}`;
  return el("span", { title: "Visits: distinct browser sessions (or addresses) per hour. Requests: every data request made with the link." },
    visits, el("span", { className: "muted" }, ` · ${requests}`));
}

async function revokeLink(link) {
  if (!window.confirm(`Revoke the link “${link.name}”?`)) return;
  try {
    await api("DELETE", `${base}/shareLinks/${link.id}`);
    showStatus($("links-status"), `Link “${link.name}” revoked.`);
    if (link.isDefault) showToken(null);
    refreshLinks();
    refreshAudit();
  } catch (e) {
    showStatus($("links-status"), `Not revoked: ${e.message}`, "error");
  }
}

async function refreshLinks() {
  const body = $("links-table").tBodies[0];
  try {
    const links = await api("GET", `${base}/shareLinks`);
    body.replaceChildren(...(links.length ? links.map(linkRow)
      : [el("tr", {}, el("td", { colSpan: 7, className: "empty" }, "No links yet."))]));
    return links;
  } catch (e) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 7, className: "empty" }, `Could not load links: ${e.message}`)));
    return null;
  }
}

// ---- Audit log --------------------------------------------------------------------------------------
const ACTIONS = {
  made_public: "made the dataset public",
  made_private: "made the dataset private",
  teams_changed: "changed the allowed teams",
  link_created: "created a link",
  link_revoked: "revoked a link",
};

function describe(event) {
  const what = ACTIONS[event.action] || event.action.replaceAll("_", " ");
  const name = event.details && event.details.name ? ` “${event.details.name}”` : "";
  return `${what}${name}`;
}

async function refreshAudit() {
  const body = $("audit-table").tBodies[0];
  try {
    const events = await api("GET", `${base}/auditLog`);
    body.replaceChildren(...(events.length ? events.map((e) => el("tr", {},
      el("td", {}, formatDate(e.at)), el("td", {}, e.actorName || "system"), el("td", {}, describe(e))))
      : [el("tr", {}, el("td", { colSpan: 3, className: "empty" }, "Nothing has changed yet."))]));
  } catch (e) {
    body.replaceChildren(el("tr", {}, el("td", { colSpan: 3, className: "empty" }, `Could not load the audit log: ${e.message}`)));
  }
}

const links = await refreshLinks();
if (links) showSharingLinkOf(links);
else showToken(null);
refreshAudit();
