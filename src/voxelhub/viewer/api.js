// The viewer's calls to the server: every request carries the page's `?token=` (a sharing link), and every
// cookie-authenticated write carries the CSRF header. A link holder has no cookie and sends no CSRF header.

import { csrfToken } from "/static/common.js";

export { csrfToken };

export class HttpError extends Error {
  constructor(status, message, body = null) {
    super(message);
    this.status = status;
    this.body = body;
  }
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

  async request(method, path, { json, accept = "application/json", signal } = {}) {
    const headers = { Accept: accept };
    if (method !== "GET" && method !== "HEAD") {
      const csrf = csrfToken();
      if (csrf) headers["X-CSRF-Token"] = csrf;
    }
    if (json !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(this.url(path), {
      method, headers, credentials: "same-origin", signal,
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch { body = null; }
      const message = (body && (body.error || (typeof body.detail === "string" && body.detail)))
        || `${response.status} ${response.statusText}`.trim();
      throw new HttpError(response.status, message, body);
    }
    return response;
  }

  async getJson(path) {
    return (await this.request("GET", path)).json();
  }

  async postJson(path, json) {
    return this.sendJson("POST", path, json);
  }

  async putJson(path, json) {
    return this.sendJson("PUT", path, json);
  }

  async sendJson(method, path, json) {
    const response = await this.request(method, path, { json });
    const text = await response.text();
    return text ? JSON.parse(text) : null;
  }

  /** Raw bytes of many 32³ buckets of one mag of a dataset layer, concatenated in request order. */
  async buckets(datasetId, layer, mag, positions, signal) {
    const path = `/data/datasets/${encodeURIComponent(datasetId)}/layers/${encodeURIComponent(layer)}/buckets`;
    return this.bucketsAt(path, mag, positions, signal);
  }

  /** The same from any bucket route (an annotation's volume layer has its own). */
  async bucketsAt(path, mag, positions, signal) {
    const response = await this.request("POST", path, {
      json: { mag, buckets: positions }, accept: "application/octet-stream", signal,
    });
    return response.arrayBuffer();
  }
}
