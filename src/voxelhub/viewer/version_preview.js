// Previewing an earlier version of an annotation (`/annotations/{id}?version=N`): the page shows the skeleton and
// the volume layers exactly as they were at version N, read only, under a banner that leads back to the current
// version or, for the owner, restores N as a new version (the banner is annotation_page.js's). Pure helpers:
// node tests them.

/** The version a page address asks to preview, or null: a whole number ≥ 0 in `?version=`. */
export function previewVersion(search) {
  const text = new URLSearchParams(search).get("version");
  if (text === null || !/^\d{1,9}$/.test(text)) return null;
  return Number(text);
}

/** The address of version `version`'s preview (null: the current version), keeping the rest of the address
 * (a sharing link's token, the view in the `#…`). */
export function previewHref(href, version) {
  const url = new URL(href);
  if (version === null) url.searchParams.delete("version");
  else url.searchParams.set("version", String(version));
  return url.pathname + url.search + url.hash;
}

/** `?version=N` added to a path that may already carry a query. */
export function atVersion(path, version) {
  if (version === null || version === undefined) return path;
  return `${path}${path.includes("?") ? "&" : "?"}version=${version}`;
}
