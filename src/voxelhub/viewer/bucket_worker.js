// Fetches batches of buckets off the page's main thread (a module worker started by buckets.js).
//
// A first screen is tens of MB of buckets; receiving an answer's body and cutting it into buckets on the main
// thread competed with drawing. Here the worker fetches (the browser decodes a zstd or gzip answer in its network
// process), checks the length and cuts the answer into one buffer per bucket, which it hands over without a copy.
//
// Message in:  {id, url, init, size, count}  (made by the page's API client: `Api.bucketsRequest`)
// Message out: {id, buckets: [ArrayBuffer…]} or {id, error: {status, message}}

import { errorMessage, parseJson } from "/static/api.js";

self.onmessage = async ({ data }) => {
  const { id, url, init, size, count } = data;
  try {
    const response = await fetch(url, init);
    if (!response.ok) {
      const text = await response.text().catch(() => "");
      const { value } = parseJson(text);
      const message = errorMessage(response.status, response.statusText, value);
      self.postMessage({ id, error: { status: response.status, message } });
      return;
    }
    const buffer = await response.arrayBuffer();
    if (buffer.byteLength !== size * count) {
      throw new Error(`expected ${size * count} bytes, got ${buffer.byteLength}`);
    }
    const buckets = [];
    for (let i = 0; i < count; i++) buckets.push(buffer.slice(i * size, (i + 1) * size));
    self.postMessage({ id, buckets }, buckets);
  } catch (error) {
    const message = (error && error.message) || "The server could not be reached.";
    self.postMessage({ id, error: { status: 0, message } });
  }
};
