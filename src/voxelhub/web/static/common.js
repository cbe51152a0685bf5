// Shared helpers of the voxelhub pages: calling the JSON API (with the CSRF header) and logging out.

const CSRF_COOKIE = "voxelhub_csrf";

export function csrfToken() {
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** Calls the JSON API with a JSON body, or multipart for a FormData (the browser sets its boundary);
 * answers the parsed body (or null), throws ApiError with the server's message. */
export async function api(method, url, body) {
  const headers = { Accept: "application/json" };
  if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = csrfToken();
  const multipart = body instanceof FormData;
  if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
  const response = await fetch(url, {
    method, headers, credentials: "same-origin",
    body: body === undefined || multipart ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    throw new ApiError(response.status, errorMessage(data, response));
  }
  return data;
}

function errorMessage(data, response) {
  if (data && typeof data.error === "string") return data.error;
  if (data && Array.isArray(data.detail)) return data.detail.map((d) => d.msg).join("; ");
  if (data && typeof data.detail === "string") return data.detail;
  return `${response.status} ${response.statusText}`.trim();
}

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

setUpLogout();
