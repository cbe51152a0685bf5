// The pages' sharing links: the view (`#…`, viewer/url_state.js) that a link carries, and the "Shorten" button
// beside a link, which asks `POST /api/shortLinks` for a short one (as wklink.org does for webKnossos) and puts
// it on the clipboard.

import { api } from "/static/api.js";
import { copyText, showStatus } from "/static/common.js";

/** The view of the viewer on this page (its hash), else the address bar's `#…`, else "". */
export function currentViewHash() {
  const viewer = window.voxelhubViewer;
  if (viewer && typeof viewer.hash === "function") return viewer.hash();
  const hash = window.location.hash;
  return hash && hash !== "#" ? hash : "";
}

/** `url` with the view `hash` in place of any it had. */
export function withView(url, hash) {
  if (!url) return url;
  const bare = url.split("#")[0];
  return hash ? bare + hash : bare;
}

/** The short address of a short link's key, on the origin of the link it stands for. */
export function shortUrl(longUrl, key) {
  const origin = new URL(longUrl, window.location.href).origin;
  return `${origin}/links/${encodeURIComponent(key)}`;
}

/**
 * Wires a "Shorten" button: `source` is the input with the long link, `target` the input the short one goes
 * into (inside `row`, shown once there is one), `status` where the outcome is said. Answers `reset()`, for when
 * the long link changed (the short one stood for the old one).
 */
export function setUpShorten({ button, source, target, row, status }) {
  let shortened = "";
  const reset = () => {
    shortened = "";
    target.value = "";
    row.hidden = true;
  };
  button.addEventListener("click", async () => {
    const long = source.value;
    if (!long) return;
    button.disabled = true;
    showStatus(status, "Shortening…", "busy");
    try {
      const answer = await api("POST", "/api/shortLinks", { longLink: long });
      shortened = long;
      target.value = shortUrl(long, answer.key);
      row.hidden = false;
      const ok = await copyText(target.value, target);
      showStatus(status, ok ? "Short link copied to the clipboard." : "Short link made; copy it from the field.", "ok");
    } catch (error) {
      showStatus(status, `Could not shorten the link: ${error.message}`, "error");
    } finally {
      button.disabled = false;
    }
  });
  source.addEventListener("change", () => { if (source.value !== shortened) reset(); });
  reset();
  return reset;
}
