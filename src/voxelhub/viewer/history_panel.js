// The History panel of the annotation page: every saved version (newest first) with its time, author and kind
// (skeleton, volume, restore), from `GET /api/annotations/{id}/history`; the owner can restore any earlier
// version as a new one (`POST /api/annotations/{id}/restore`), after which the page reloads; anyone who may read
// the annotation can preview an earlier version (`?version=N`, version_preview.js).
// A separate module so that the viewer's own modules stay untouched.

import { describe } from "./history_lines.js";
import { pageToken } from "./url_state.js";
import { previewHref } from "./version_preview.js";
import { Api } from "/static/api.js";
import { el } from "/static/common.js";

export const SHOWN = 50;

async function restore(api, annotationId, version) {
  if (!window.confirm(`Restore version ${version} as a new version? Later versions stay in the history.`)) return;
  await api.postJson(`/api/annotations/${encodeURIComponent(annotationId)}/restore`, { version });
  window.location.reload();
}

function item(api, list, entry, newest) {
  const canRestore = list.dataset.canRestore === "true" && entry.version !== newest;
  const button = canRestore ? el("button", { type: "button", className: "button small", textContent: "Restore" }) : null;
  button?.addEventListener("click", () => restore(api, list.dataset.annotationId, entry.version).catch((error) => {
    list.before(el("p", { className: "vx-message error", textContent: `Restore failed: ${error.message}` }));
  }));
  const preview = entry.version === newest ? null
    : el("a", { className: "button small", href: previewHref(window.location.href, entry.version) }, "Preview");
  return el("li", { dataset: { version: String(entry.version) } }, el("span", {}, describe(entry)), preview, button);
}

export async function showHistory(list, api = new Api(pageToken())) {
  const entries = await api.getJson(`/api/annotations/${encodeURIComponent(list.dataset.annotationId)}/history`);
  const newest = entries.length ? entries[0].version : 0;
  list.replaceChildren(...entries.slice(0, SHOWN).map((entry) => item(api, list, entry, newest)));
  if (entries.length > SHOWN) list.append(el("li", { className: "muted" }, `${entries.length - SHOWN} older versions`));
}

const list = typeof document === "undefined" ? null : document.getElementById("history-list");
if (list) {
  showHistory(list).catch((error) => {
    list.replaceChildren(el("li", { className: "muted" }, `History unavailable: ${error.message}`));
  });
}
