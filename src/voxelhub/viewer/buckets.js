// Fetching 32³ buckets in batches and keeping the decoded ones in a least-recently-used cache.
//
// Each frame the renderer asks `get()` for the buckets it draws; the missing ones are queued, and `flush()`
// sends the queue in POSTs of up to BATCH buckets, a few at a time: first the buckets of the layer's coarsest mag
// that cover what is missing (a handful fill the whole view, shown through until the finer ones arrive), then
// the others nearest to the view's position (`focus`) first, all three planes together. The server compresses
// the answers (zstd or gzip Content-Encoding) when that pays; the browser decodes them in its network process,
// off this thread.
//
// Buckets painted in the page (an annotation's volume layer) are "local": they win over the cache and over any
// answer still on its way, until the page has saved them and hands them back to the cache.

import { decodeBucket } from "./layers.js";

export const BATCH = 64; // buckets per request at most…
const BATCH_BYTES = 2 * 1024 * 1024; // …and about this many bytes decoded (a uint32 layer sends 16)
// Requests at once: the browser sends six per host over HTTP/1.1 and queues the rest in its network process, so
// a freed connection is reused at once even while this thread is busy drawing (an answer reaches it only then).
const CONCURRENT = 12;
const PREVIEW = -1; // the priority of a coarsest-mag bucket: before any other
// While answers stream in, the page is told at most this often (a redraw of three planes costs tens of ms, and
// the answers of one screen arrive a few ms apart); the first answer and the last are told at once.
const LOADED_INTERVAL_MS = 100;
const RETRY_MS = 8000;

export function bucketKey(layer, mag, pos) {
  return `${layer.id ?? layer.name}|${mag.join("-")}|${pos[0]},${pos[1]},${pos[2]}`;
}

export class BucketCache {
  constructor(maxBytes = 256 * 1024 * 1024) {
    this.maxBytes = maxBytes;
    this.bytes = 0;
    this.entries = new Map(); // insertion order = recency
  }

  get(key) {
    const data = this.entries.get(key);
    if (data === undefined) return undefined;
    this.entries.delete(key);
    this.entries.set(key, data);
    return data;
  }

  peek(key) {
    return this.entries.get(key);
  }

  delete(key) {
    const old = this.entries.get(key);
    if (old === undefined) return;
    this.bytes -= old.byteLength;
    this.entries.delete(key);
  }

  set(key, data) {
    const old = this.entries.get(key);
    if (old !== undefined) {
      this.bytes -= old.byteLength;
      this.entries.delete(key);
    }
    this.entries.set(key, data);
    this.bytes += data.byteLength;
    while (this.bytes > this.maxBytes && this.entries.size > 1) {
      const [oldest, value] = this.entries.entries().next().value;
      this.entries.delete(oldest);
      this.bytes -= value.byteLength;
    }
  }

  get size() {
    return this.entries.size;
  }
}

export class BucketLoader {
  /** `onLoaded()` is called after each answered batch; `onError(error)` after a failed one. */
  constructor(api, datasetId, { onLoaded, onError, cache } = {}) {
    this.api = api;
    this.datasetId = datasetId;
    this.cache = cache || new BucketCache();
    this.onLoaded = onLoaded || (() => {});
    this.onError = onError || (() => {});
    this.local = new Map(); // key -> painted bucket not yet saved
    this.queue = new Map(); // key -> {layer, mag, pos, priority, order}
    this.focus = null; // the view's position in mag-1 voxels: nearer buckets are sent first
    this.order = 0;
    this.worker = undefined; // the fetching worker, started on first use (null: fetch on this thread)
    this.toldAt = -Infinity;
    this.tellTimer = null;
    this.inFlight = new Set();
    this.outdated = new Set(); // in flight when forgotten: the answer may predate the change, so it is dropped
    this.failed = new Map(); // key -> time of failure
    this.running = 0;
    this.requests = 0;
    this.received = 0;
  }

  /** The decoded bucket, or undefined (then it is queued unless already on its way). */
  get(layer, mag, pos) {
    const key = bucketKey(layer, mag, pos);
    const data = this.local.get(key) ?? this.cache.get(key);
    if (data !== undefined) return data;
    if (this.inFlight.has(key) || this.queue.has(key)) return undefined;
    if (this.failedRecently(key)) return undefined;
    this.enqueue(key, layer, mag, pos, this.distance(mag, pos));
    this.preview(layer, mag, pos);
    return undefined;
  }

  enqueue(key, layer, mag, pos, priority) {
    this.queue.set(key, { layer, mag, pos, priority, order: this.order++ });
  }

  failedRecently(key) {
    const failedAt = this.failed.get(key);
    return failedAt !== undefined && performance.now() - failedAt < RETRY_MS;
  }

  /** Queues the bucket of the layer's coarsest mag that covers a missing one, ahead of everything else. */
  preview(layer, mag, pos) {
    const mags = layer.mags;
    const coarse = mags && mags.length > 1 ? mags[mags.length - 1] : null;
    if (!coarse || coarse === mag || !coarse.every((v, i) => v >= mag[i])) return;
    const at = pos.map((p, i) => Math.floor((p * mag[i]) / coarse[i]));
    const key = bucketKey(layer, coarse, at);
    if (this.local.has(key) || this.cache.peek(key) !== undefined) return;
    if (this.inFlight.has(key) || this.queue.has(key) || this.failedRecently(key)) return;
    this.enqueue(key, layer, coarse, at, PREVIEW);
  }

  /** Squared distance (mag-1 voxels) from a bucket's centre to the focus; 0 without one (then: as asked). */
  distance(mag, pos) {
    if (!this.focus) return 0;
    let sum = 0;
    for (let i = 0; i < 3; i++) {
      const d = (pos[i] + 0.5) * 32 * mag[i] - this.focus[i];
      sum += d * d;
    }
    return sum;
  }

  /** The decoded bucket if the page has it, without queueing or touching its recency. */
  peek(layer, mag, pos) {
    const key = bucketKey(layer, mag, pos);
    return this.local.get(key) ?? this.cache.peek(key);
  }

  /** Drops cached buckets (they changed on the server) so that the next frame loads them again. */
  forget(keys) {
    for (const key of keys) {
      this.cache.delete(key);
      this.failed.delete(key);
      if (this.inFlight.has(key)) this.outdated.add(key);
    }
  }

  /** Drops every bucket of a layer, local edits included: the server's version is the one to show. */
  forgetLayer(layer) {
    const prefix = `${layer.id ?? layer.name}|`;
    for (const map of [this.local, this.failed]) {
      for (const key of [...map.keys()]) if (key.startsWith(prefix)) map.delete(key);
    }
    for (const key of [...this.cache.entries.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
    for (const key of this.inFlight) if (key.startsWith(prefix)) this.outdated.add(key);
  }

  /** Forget what was queued but not sent: the view moved on. */
  clearQueue() {
    this.queue.clear();
  }

  get pending() {
    return this.queue.size + this.inFlight.size;
  }

  flush() {
    if (this.running >= CONCURRENT || !this.queue.size) return;
    const ranked = [...this.queue].sort(([, a], [, b]) => a.priority - b.priority || a.order - b.order);
    while (this.running < CONCURRENT && this.queue.size) {
      const first = ranked.find(([key]) => this.queue.has(key))[1];
      const limit = Math.max(1, Math.min(BATCH, Math.floor(BATCH_BYTES / (32 ** 3 * first.layer.bytes))));
      const group = [];
      for (const [key, item] of ranked) {
        if (this.queue.has(key) && item.layer === first.layer && item.mag === first.mag) {
          group.push([key, item]);
          if (group.length >= limit) break;
        }
      }
      for (const [key] of group) {
        this.queue.delete(key);
        this.inFlight.add(key);
      }
      this.send(first.layer, first.mag, group);
    }
  }

  /** One buffer per bucket: through the worker when there is one, else on this thread (tests, old browsers). */
  async fetchBuckets(layer, mag, positions, size) {
    const path = layer.bucketPath || this.api.bucketsPath?.(this.datasetId, layer.name);
    if (this.worker === undefined) this.worker = startWorker(this.api);
    if (this.worker && path) {
      return this.worker.fetch(this.api.bucketsRequest(path, mag, positions), size, positions.length);
    }
    const buffer = layer.bucketPath
      ? await this.api.bucketsAt(layer.bucketPath, mag, positions)
      : await this.api.buckets(this.datasetId, layer.name, mag, positions);
    if (buffer.byteLength !== size * positions.length) {
      throw new Error(`expected ${size * positions.length} bytes, got ${buffer.byteLength}`);
    }
    return positions.map((_, i) => buffer.slice(i * size, (i + 1) * size));
  }

  async send(layer, mag, group) {
    this.running += 1;
    this.requests += 1;
    try {
      const positions = group.map(([, item]) => item.pos);
      const size = 32 * 32 * 32 * layer.bytes;
      const buckets = await this.fetchBuckets(layer, mag, positions, size);
      group.forEach(([key], i) => {
        if (this.outdated.delete(key)) return;
        this.cache.set(key, bucketData(layer, buckets[i]));
        this.failed.delete(key);
      });
      this.received += group.length;
    } catch (error) {
      const now = performance.now();
      for (const [key] of group) {
        this.failed.set(key, now);
        this.outdated.delete(key);
      }
      this.onError(error, layer);
    } finally {
      for (const [key] of group) this.inFlight.delete(key);
      this.running -= 1;
      // The next request goes out now, not after the redraw this answer asks for: what is still queued was
      // asked for by the last frame, and a redraw of three planes takes longer than a bucket answer.
      this.flush();
      this.tell();
    }
  }

  /** Calls onLoaded now, or once the interval since the last call has passed (see LOADED_INTERVAL_MS). */
  tell() {
    const now = performance.now();
    const wait = this.toldAt + LOADED_INTERVAL_MS - now;
    if (this.pending === 0 || wait <= 0) {
      clearTimeout(this.tellTimer);
      this.tellTimer = null;
      this.toldAt = now;
      this.onLoaded();
    } else if (this.tellTimer === null) {
      this.tellTimer = setTimeout(() => {
        this.tellTimer = null;
        this.toldAt = performance.now();
        this.onLoaded();
      }, wait);
    }
  }
}

/** A bucket's typed array over its own buffer; scalar layers also widen their value range (`decodeBucket`). */
function bucketData(layer, buffer) {
  return layer.kind === "scalar" || layer.kind === "scalar64" ? decodeBucket(layer, buffer, 0) : new layer.array(buffer);
}

/** The fetching worker (bucket_worker.js), or null where there is none (Node, a page without module workers). */
function startWorker(api) {
  if (typeof Worker === "undefined" || typeof api.bucketsRequest !== "function") return null;
  try {
    return new BucketWorker(new Worker(new URL("./bucket_worker.js", import.meta.url), { type: "module" }));
  } catch {
    return null;
  }
}

class BucketWorker {
  constructor(worker) {
    this.worker = worker;
    this.waiting = new Map(); // id -> {resolve, reject}
    this.next = 0;
    worker.onmessage = ({ data }) => {
      const call = this.waiting.get(data.id);
      this.waiting.delete(data.id);
      if (!call) return;
      if (data.error) {
        const error = new Error(data.error.message);
        error.status = data.error.status;
        call.reject(error);
      } else {
        call.resolve(data.buckets);
      }
    };
    worker.onerror = () => {
      for (const call of this.waiting.values()) call.reject(new Error("the bucket worker stopped"));
      this.waiting.clear();
    };
  }

  fetch({ url, init }, size, count) {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, url, init, size, count });
    });
  }
}
