// Painting an annotation's volume layer. A brush stroke changes the mag-1 buckets under it at once in the page
// (as the loader's local buckets, which win over anything fetched), and the saver sends the changed buckets in
// batches as versioned saves. The server recomputes the coarser mags of painted regions; after each save the
// page drops its cached coarser buckets there, so zoomed-out views load the painted ones.

import { bucketKey } from "./buckets.js";
import { BUCKET, decodeBucket } from "./layers.js";
import { StaleTurn } from "./saves.js";

export const MAG1 = [1, 1, 1];
const SAVE_DELAY_MS = 400;
// Buckets per request: 16 buckets of uint32 are 2 MiB, under 3 MiB as base64.
const SAVE_BATCH = 16;
const TWO_32 = 4294967296;

export function volumeBase(annotationId, layerName) {
  return `/annotations/${encodeURIComponent(annotationId)}/layers/${encodeURIComponent(layerName)}`;
}

function inside(p, box) {
  return p.every((v, i) => v >= box.min[i] && v < box.max[i]);
}

/**
 * The mag-1 voxels of a stroke from `from` to `to` (voxel positions in one plane): discs of `radius` every half
 * radius along the line, so a fast drag leaves no gaps. Answers a map bucket key → {pos, indices (a Set)}.
 */
export function strokeVoxels(layer, from, to, plane, radius) {
  const { u, v } = plane;
  const a = from.map(Math.floor);
  const b = to.map(Math.floor);
  const length = Math.hypot(b[u] - a[u], b[v] - a[v]);
  const steps = Math.max(1, Math.ceil(length / Math.max(1, radius / 2)));
  const reach = Math.ceil(radius);
  const limit = (radius + 0.5) ** 2;
  const buckets = new Map();
  for (let s = 0; s <= steps; s++) {
    const centre = a.slice();
    centre[u] = Math.round(a[u] + ((b[u] - a[u]) * s) / steps);
    centre[v] = Math.round(a[v] + ((b[v] - a[v]) * s) / steps);
    for (let dv = -reach; dv <= reach; dv++) {
      for (let du = -reach; du <= reach; du++) {
        if (du * du + dv * dv > limit) continue;
        const p = centre.slice();
        p[u] += du;
        p[v] += dv;
        if (inside(p, layer.box)) addVoxel(buckets, layer, p);
      }
    }
  }
  return buckets;
}

function addVoxel(buckets, layer, p) {
  const pos = p.map((c) => Math.floor(c / BUCKET));
  const key = bucketKey(layer, MAG1, pos);
  let entry = buckets.get(key);
  if (!entry) {
    entry = { pos, indices: new Set() };
    buckets.set(key, entry);
  }
  const [x, y, z] = p.map((c, i) => c - pos[i] * BUCKET);
  entry.indices.add(x + BUCKET * (y + BUCKET * z));
}

/** Writes `id` at the given voxel indices of a decoded bucket (64-bit ids as two 32-bit halves). */
function writeId(layer, data, indices, id) {
  if (layer.kind === "seg64") {
    const lo = id % TWO_32;
    const hi = Math.floor(id / TWO_32);
    for (const i of indices) {
      data[2 * i] = lo;
      data[2 * i + 1] = hi;
    }
    return;
  }
  for (const i of indices) data[i] = id;
}

/** Changes the page's mag-1 buckets of one volume layer; `onPainted(key, pos, data)` tells the saver. */
export class VolumeEditor {
  constructor(viewer, api, layer, { onPainted, onError }) {
    this.viewer = viewer;
    this.api = api;
    this.layer = layer;
    this.onPainted = onPainted;
    this.onError = onError;
    this.work = Promise.resolve(); // strokes in order, also when one must wait for its buckets
    this.stroke = null; // the buckets' earlier data while a stroke is drawn (for undo)
  }

  get paintable() {
    return this.layer.usable && this.layer.mags.some((m) => m.every((v) => v === 1));
  }

  paint(from, to, plane, radius, id) {
    const buckets = strokeVoxels(this.layer, from, to, plane, radius);
    if (!buckets.size) return;
    const stroke = this.stroke;
    this.work = this.work.then(() => this.apply(buckets, id, stroke)).catch((error) => this.onError(error));
  }

  /** From now until `endStroke`, the first change of each bucket keeps a copy of what it held before. */
  beginStroke() {
    this.stroke = new Map();
  }

  /** Answers (once the stroke's paint is in) the stroke's buckets: key → {pos, before, after}, or null. */
  endStroke() {
    const stroke = this.stroke;
    this.stroke = null;
    if (!stroke) return Promise.resolve(null);
    return this.work.then(() => {
      for (const [key, bucket] of stroke) {
        const data = this.bucketAt(bucket.pos);
        if (data) bucket.after = data.slice();
        else stroke.delete(key);
      }
      return stroke.size ? stroke : null;
    });
  }

  /** Writes back every bucket of a stroke as it was `before` (undo) or `after` (redo); saved like paint. */
  restore(stroke, which) {
    const done = this.work.then(() => {
      for (const [key, bucket] of stroke) {
        const data = bucket[which].slice();
        this.viewer.loader.local.set(key, data);
        this.onPainted(key, bucket.pos, data);
      }
      this.viewer.requestRender();
      this.viewer.updateHover();
    });
    this.work = done.catch((error) => this.onError(error));
    return done;
  }

  async apply(buckets, id, stroke = null) {
    const missing = [...buckets.values()].filter((b) => !this.bucketAt(b.pos)).map((b) => b.pos);
    const fetched = missing.length ? await this.fetch(missing) : new Map();
    const loader = this.viewer.loader;
    for (const [key, { pos, indices }] of buckets) {
      const data = this.bucketAt(pos) ?? fetched.get(key);
      if (stroke && !stroke.has(key)) stroke.set(key, { pos, before: data.slice() });
      writeId(this.layer, data, indices, id);
      loader.local.set(key, data);
      this.onPainted(key, pos, data);
    }
    this.viewer.requestRender();
    this.viewer.updateHover();
  }

  bucketAt(pos) {
    return this.viewer.loader.peek(this.layer, MAG1, pos);
  }

  /** Buckets to paint into that the page does not have yet (the view may show a coarser mag). */
  async fetch(positions) {
    const buffer = await this.api.bucketsAt(this.layer.bucketPath, MAG1, positions);
    const size = BUCKET ** 3 * this.layer.bytes;
    if (buffer.byteLength !== size * positions.length) throw new Error("the server sent too few bytes");
    const fetched = new Map();
    positions.forEach((pos, i) => fetched.set(bucketKey(this.layer, MAG1, pos), decodeBucket(this.layer, buffer, i * size)));
    return fetched;
  }
}

function base64Of(data) {
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

/** Saves painted buckets in batches, in turn with the other saves of the annotation. */
export class VolumeSaver {
  constructor(api, annotationId, layer, viewer, turns, { onState, onFailure }) {
    this.api = api;
    this.path = `/api${volumeBase(annotationId, layer.name)}/buckets`;
    this.layer = layer;
    this.viewer = viewer;
    this.turns = turns;
    this.onState = onState;
    this.onFailure = onFailure;
    this.dirty = new Map(); // key -> {pos, data}
    this.timer = null;
    this.saving = false;
  }

  get pending() {
    return this.saving || this.dirty.size > 0;
  }

  mark(key, pos, data) {
    this.dirty.set(key, { pos, data });
    this.onState("Saving…", "busy");
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), SAVE_DELAY_MS);
  }

  /** Forget unsaved paint: the page reloads the layer from the server. */
  discard() {
    clearTimeout(this.timer);
    this.dirty.clear();
  }

  async flush() {
    if (this.saving || !this.dirty.size) return;
    this.saving = true;
    const batch = [...this.dirty].slice(0, SAVE_BATCH);
    for (const [key] of batch) this.dirty.delete(key);
    // Encoded now: paint arriving while the request is on its way marks the bucket dirty again.
    const buckets = batch.map(([, b]) => ({ mag: MAG1, position: b.pos, data: base64Of(b.data) }));
    let saved = false;
    try {
      await this.turns.run(async (version) => (await this.api.postJson(this.path, { version, buckets })).version);
      this.settle(batch);
      saved = true;
    } catch (error) {
      this.discard();
      if (!(error instanceof StaleTurn)) this.onFailure(error);
    } finally {
      this.saving = false;
      if (this.dirty.size) this.flush();
      else if (saved) this.onState("All changes saved", "ok");
    }
  }

  /** Saved buckets go back to the cache; the coarser mags over them changed on the server. */
  settle(batch) {
    const loader = this.viewer.loader;
    const coarser = new Set();
    for (const [key, { pos, data }] of batch) {
      if (!this.dirty.has(key)) {
        loader.local.delete(key);
        loader.cache.set(key, data);
      }
      for (const mag of this.layer.mags) {
        if (mag.every((v) => v === 1)) continue;
        coarser.add(bucketKey(this.layer, mag, pos.map((p, i) => Math.floor(p / mag[i]))));
      }
    }
    loader.forget(coarser);
    this.viewer.requestRender();
  }
}
