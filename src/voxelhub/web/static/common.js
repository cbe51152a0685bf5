// Shared helpers of the voxelhub pages: building elements, dates, statuses, the clipboard, local redirects and
// logging out. The JSON API client is api.js.

import { api } from "/static/api.js";

/** Builds an element: el("td", {className: "num"}, "text", child, …). Text is never parsed as HTML. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

export function formatDate(iso) {
  if (!iso) return "–";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "–";
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function showStatus(node, text, kind = "ok") {
  node.textContent = text;
  node.dataset.kind = kind;
}

/** Copies text to the clipboard; falls back to selecting an input and execCommand where the API is missing. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (!input) return false;
    input.select();
    return document.execCommand("copy");
  }
}

/** `candidate` if it is a path of this page's own origin, else `fallback`: the same rule as the server's
 * `voxelhub.redirects.local_target` (exactly one leading "/", no backslash, control or whitespace character
 * before or after percent-decoding), checked again here because a browser drops tabs and newlines from a URL and
 * reads "\\" as "/", so "/<TAB>/evil.example" would leave the site. Query and #fragment are kept. */
export function localTarget(candidate, fallback = "/dashboard") {
  if (typeof candidate !== "string") return fallback;
  let decoded = candidate;  // a stray "%" stays as it is, as Python's unquote leaves it
  try { decoded = decodeURIComponent(candidate); } catch { /* checked as given */ }
  for (const form of [candidate, decoded]) {
    if (!form.startsWith("/") || form.startsWith("//") || form.startsWith("/\\")) return fallback;
    if (/[\\\s\p{C}]/u.test(form)) return fallback;
  }
  try {
    if (new URL(candidate, window.location.origin).origin !== window.location.origin) return fallback;
  } catch {
    return fallback;
  }
  return candidate;
}

function setUpLogout() {
  const button = document.getElementById("logout-button");
  if (!button) return;
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api("POST", "/api/auth/logout");
    } finally {
      window.location.assign("/");
    }
  });
}

/** The login target with the `#…` this login page was opened with, when the target has none: a redirect to
 * the login page (a 303 has no fragment) keeps the fragment of the address the browser was sent from. */
export function withFragment(target, hash) {
  if (typeof target !== "string" || !hash || hash === "#" || target.includes("#")) return target;
  return target + hash;
}

/** A login link leads back to this very page, `#…` included: the server never sees the fragment (where the
 * viewer keeps the position), so the link is completed when it is followed. */
export function loginHref(location) {
  const back = location.pathname + location.search + location.hash;
  return back === "/" ? "/auth/login" : `/auth/login?next=${encodeURIComponent(back)}`;
}

function setUpLoginLinks() {
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a[data-login-link]") : null;
    if (link) link.href = loginHref(window.location);
  }, true);
}

setUpLogout();
setUpLoginLinks();
