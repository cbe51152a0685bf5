// The one client of the JSON API, for every page and the viewer. It sends the CSRF header on cookie-authenticated
// writes, adds a sharing link's `?token=` when the page has one (a link holder has no cookie and sends no CSRF
// header), and turns every failure into an ApiError: the server's message (its error body is `{"error": …}`,
// docs/permissions.md "Answers"; FastAPI's 422 has `detail`), the status (0 when no answer came) and the body.

const CSRF_COOKIE = "voxelhub_csrf";

export function csrfToken() {
  if (typeof document === "undefined") return "";
  for (const part of document.cookie.split(";")) {
    const [name, ...rest] = part.trim().split("=");
    if (name === CSRF_COOKIE) return decodeURIComponent(rest.join("="));
  }
  return "";
}

export class ApiError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.body = body;
  }
}

/** The message shown to the user for a failed answer: the server's own words where its body has them. */
export function errorMessage(status, statusText, body) {
  if (body && typeof body.error === "string") return body.error;
  if (body && Array.isArray(body.detail)) return body.detail.map((d) => d && d.msg).filter(Boolean).join("; ");
  if (body && typeof body.detail === "string") return body.detail;
  return `${status} ${statusText || ""}`.trim();
}

/** JSON text to a value; empty text is null, and so is text that is not JSON (`ok` says whether it parsed). */
export function parseJson(text) {
  if (!text) return { ok: true, value: null };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, value: null };
  }
}

function isFormData(body) {
  return typeof FormData !== "undefined" && body instanceof FormData;
}

export class Api {
  constructor(token = "") {
    this.token = token;
  }

  url(path) {
    if (!this.token) return path;
    const sep = path.includes("?") ? "&" : "?";
    return `${path}${sep}token=${encodeURIComponent(this.token)}`;
  }

  /** The raw answer of a request whose status is 2xx; a JSON body, or multipart for a FormData (the browser
   * sets its boundary). Throws ApiError otherwise; an aborted request keeps its AbortError. */
  async request(method, path, { body, accept = "application/json", signal } = {}) {
    const headers = { Accept: accept };
    if (method !== "GET" && method !== "HEAD") {
      const csrf = csrfToken();
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    const multipart = isFormData(body);
    if (body !== undefined && !multipart) headers["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(this.url(path), {
        method, headers, credentials: "same-origin", signal,
        body: body === undefined || multipart ? body : JSON.stringify(body),
      });
    } catch (error) {
      if (error && error.name === "AbortError") throw error;
      // No answer at all (offline, refused, blocked): the browser's own words, as the pages showed them before.
      throw new ApiError(0, (error && error.message) || "The server could not be reached.");
    }
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      const { value } = parseJson(text);
      throw new ApiError(response.status, errorMessage(response.status, response.statusText, value), value);
    }
    return response;
  }

  /** Calls the JSON API; answers the parsed body (null when empty). */
  async call(method, path, body) {
    const response = await this.request(method, path, { body });
    const { ok, value } = parseJson(await response.text());
    if (!ok) throw new ApiError(response.status, `${response.status}: the answer is not JSON`);
    return value;
  }

  getJson(path) {
    return this.call("GET", path);
  }

  postJson(path, json) {
    return this.call("POST", path, json);
  }

  putJson(path, json) {
    return this.call("PUT", path, json);
  }

  /** Raw bytes of many 32³ buckets of one mag of a dataset layer, concatenated in request order. */
  buckets(datasetId, layer, mag, positions, signal) {
    return this.bucketsAt(this.bucketsPath(datasetId, layer), mag, positions, signal);
  }

  bucketsPath(datasetId, layer) {
    return `/data/datasets/${encodeURIComponent(datasetId)}/layers/${encodeURIComponent(layer)}/buckets`;
  }

  /** What `bucketsAt` sends, as an address and fetch options: for the viewer's worker to send it off the main
   * thread (a worker cannot read the CSRF cookie). Its answers' errors read as this client's: `errorMessage`. */
  bucketsRequest(path, mag, positions) {
    const headers = { Accept: "application/octet-stream", "Content-Type": "application/json" };
    const csrf = csrfToken();
    if (csrf) headers["X-CSRF-Token"] = csrf;
    const body = JSON.stringify({ mag, buckets: positions });
    return { url: this.url(path), init: { method: "POST", headers, body, credentials: "same-origin" } };
  }

  /** The same from any bucket route (an annotation's volume layer has its own). */
  async bucketsAt(path, mag, positions, signal) {
    const response = await this.request("POST", path, {
      body: { mag, buckets: positions }, accept: "application/octet-stream", signal,
    });
    return response.arrayBuffer();
  }
}

const pageClient = new Api();

/** The pages' shorthand: `api("PATCH", url, body)` through a client without a sharing token. */
export function api(method, url, body) {
  return pageClient.call(method, url, body);
}
