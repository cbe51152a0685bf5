// The one API client of the pages and the viewer, with `globalThis.fetch` standing in for the server: answers
// parsed, errors thrown with the server's message and status, the CSRF header on writes, a page's sharing token.
import assert from "node:assert/strict";
import { afterEach, beforeEach, describe, test } from "node:test";

import { Api, ApiError, api, csrfToken, errorMessage, parseJson } from "../../src/voxelhub/web/static/api.js";

const realFetch = globalThis.fetch;
let calls;

/** fetch answers `respond(url, init)`: a Response, or a thrown error for a failed network. */
function serve(respond) {
  calls = [];
  globalThis.fetch = async (url, init) => {
    calls.push({ url, init });
    return respond(url, init);
  };
}

const json = (status, body, statusText = "") => new Response(JSON.stringify(body), {
  status, statusText, headers: { "Content-Type": "application/json" },
});

beforeEach(() => {
  globalThis.document = { cookie: "" };
});

afterEach(() => {
  globalThis.fetch = realFetch;
  delete globalThis.document;
});

describe("success", () => {
  test("a JSON answer is parsed; a GET sends no body, no CSRF header and keeps the cookie", async () => {
    serve(() => json(200, { id: "a1", name: "A" }));
    assert.deepEqual(await api("GET", "/api/annotations/a1/info"), { id: "a1", name: "A" });
    const { url, init } = calls[0];
    assert.equal(url, "/api/annotations/a1/info");
    assert.equal(init.method, "GET");
    assert.equal(init.credentials, "same-origin");
    assert.equal(init.body, undefined);
    assert.deepEqual(init.headers, { Accept: "application/json" });
  });

  test("an empty answer (204) is null", async () => {
    serve(() => new Response(null, { status: 204 }));
    assert.equal(await api("POST", "/api/auth/logout"), null);
  });

  test("a write sends its body as JSON with the CSRF token of the cookie", async () => {
    globalThis.document = { cookie: "other=1; voxelhub_csrf=t%2Fok=; x=y" };
    serve(() => json(200, { version: 4 }));
    assert.deepEqual(await new Api().postJson("/api/annotations/a1/updates", { version: 3, actions: [] }), { version: 4 });
    const { init } = calls[0];
    assert.equal(init.body, JSON.stringify({ version: 3, actions: [] }));
    assert.equal(init.headers["Content-Type"], "application/json");
    assert.equal(init.headers["X-CSRF-Token"], "t/ok=");
  });

  test("without a CSRF cookie (a link holder) a write carries no CSRF header", async () => {
    serve(() => json(200, {}));
    await api("PATCH", "/api/datasets/d1", { name: "x" });
    assert.equal("X-CSRF-Token" in calls[0].init.headers, false);
  });

  test("a FormData body goes as it is, the browser setting its multipart type", async () => {
    serve(() => json(200, { id: "d1" }));
    const form = new FormData();
    form.append("name", "cells");
    await api("POST", "/api/datasets/upload", form);
    assert.equal(calls[0].init.body, form);
    assert.equal("Content-Type" in calls[0].init.headers, false);
  });

  test("a page's sharing token is added to every path", async () => {
    serve(() => json(200, {}));
    const client = new Api("a b&c");
    await client.getJson("/api/datasets/d1");
    await client.getJson("/api/annotations/readable?scope=own");
    assert.deepEqual(calls.map((c) => c.url), [
      "/api/datasets/d1?token=a%20b%26c", "/api/annotations/readable?scope=own&token=a%20b%26c"]);
  });

  test("buckets are raw bytes from a POST asking for octet-stream", async () => {
    serve(() => new Response(new Uint8Array([1, 2, 3]), { status: 200 }));
    const buffer = await new Api().buckets("d 1", "color", [1, 1, 1], [[0, 0, 0]]);
    assert.deepEqual([...new Uint8Array(buffer)], [1, 2, 3]);
    assert.equal(calls[0].url, "/data/datasets/d%201/layers/color/buckets");
    assert.equal(calls[0].init.headers.Accept, "application/octet-stream");
    assert.equal(calls[0].init.body, JSON.stringify({ mag: [1, 1, 1], buckets: [[0, 0, 0]] }));
  });
});

describe("errors", () => {
  test("the server's JSON error becomes an ApiError with its status, message and body", async () => {
    serve(() => json(409, { error: "version 3 is not the current version", current: 5 }, "Conflict"));
    const error = await new Api().postJson("/api/annotations/a1/updates", { version: 3 }).catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.ok(error instanceof Error);
    assert.equal(error.status, 409);
    assert.equal(error.message, "version 3 is not the current version");
    assert.deepEqual(error.body, { error: "version 3 is not the current version", current: 5 });
  });

  test("the pages' shorthand throws the same error", async () => {
    serve(() => json(404, { error: "Not found." }, "Not Found"));
    await assert.rejects(api("GET", "/api/datasets/x"), { name: "ApiError", status: 404, message: "Not found." });
  });

  test("a validation answer (422) lists its messages", async () => {
    serve(() => json(422, { detail: [{ msg: "Field required" }, { msg: "Input should be a valid string" }] }));
    await assert.rejects(api("POST", "/api/annotations", {}),
      { status: 422, message: "Field required; Input should be a valid string" });
  });

  test("an error body that is not JSON gives the status and its text", async () => {
    serve(() => new Response("<html>Bad gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    const error = await api("GET", "/api/user").catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 502);
    assert.equal(error.message, "502 Bad Gateway");
    assert.equal(error.body, null);
  });

  test("a failed network is an ApiError with status 0 and the browser's message", async () => {
    serve(() => { throw new TypeError("Failed to fetch"); });
    const error = await new Api().getJson("/api/datasets/d1").catch((e) => e);
    assert.ok(error instanceof ApiError);
    assert.equal(error.status, 0);
    assert.equal(error.message, "Failed to fetch");
  });

  test("an aborted request keeps its AbortError", async () => {
    serve((url, init) => { init.signal.throwIfAborted(); return json(200, {}); });
    const controller = new AbortController();
    controller.abort();
    const error = await new Api().bucketsAt("/x", [1, 1, 1], [], controller.signal).catch((e) => e);
    assert.equal(error.name, "AbortError");
    assert.equal(error instanceof ApiError, false);
  });

  test("a 2xx answer that is not JSON is an error, not a silent null", async () => {
    serve(() => new Response("<html>", { status: 200 }));
    await assert.rejects(api("GET", "/api/user"), { name: "ApiError", status: 200 });
  });
});

describe("pieces", () => {
  test("errorMessage prefers `error`, then `detail`, then the status line", () => {
    assert.equal(errorMessage(400, "Bad Request", { error: "bad", detail: "other" }), "bad");
    assert.equal(errorMessage(400, "Bad Request", { detail: "plain" }), "plain");
    assert.equal(errorMessage(400, "Bad Request", { detail: [{ msg: "a" }, {}] }), "a");
    assert.equal(errorMessage(500, "", null), "500");
    assert.equal(errorMessage(503, "Service Unavailable", { other: 1 }), "503 Service Unavailable");
  });

  test("parseJson: empty is null, junk is not ok", () => {
    assert.deepEqual(parseJson(""), { ok: true, value: null });
    assert.deepEqual(parseJson("[1]"), { ok: true, value: [1] });
    assert.deepEqual(parseJson("{"), { ok: false, value: null });
  });

  test("csrfToken reads its cookie only, and is empty outside a page", () => {
    globalThis.document = { cookie: "voxelhub_csrfx=no; voxelhub_csrf=yes" };
    assert.equal(csrfToken(), "yes");
    delete globalThis.document;
    assert.equal(csrfToken(), "");
  });
});
