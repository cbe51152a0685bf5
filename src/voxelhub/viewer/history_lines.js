// Text of the History panel (history_panel.js), kept free of the DOM so that it runs under Node's tests.

/** One line for a version of `GET /api/annotations/{id}/history`. */
export function describe(entry, formatTime = (iso) => new Date(iso).toLocaleString()) {
  const kinds = { volume: "volume paint", restore: `restore of v${entry.restoredVersion}`, skeleton: "skeleton" };
  const who = entry.authorName || "unknown";
  return `v${entry.version} · ${formatTime(entry.createdAt)} · ${who} · ${kinds[entry.kind] || entry.kind || "save"}`;
}
