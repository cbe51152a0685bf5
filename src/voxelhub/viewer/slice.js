// Drawing one layer's slice through the current position into a plane: the visible part of the slice is
// assembled at the layer's mag from cached buckets into an RGBA image (one pixel per mag voxel), which the
// plane then scales onto the screen without smoothing.

import { BUCKET } from "./layers.js";
import { PALETTE, lookCurves, paletteIndex } from "./colors.js";

const STRIDE = [1, BUCKET, BUCKET * BUCKET];
const MAX_PIXELS = 4096 * 4096;

/** The slice's extent at `mag`: mag-voxel ranges [u0,u1) x [v0,v1) and the slice index w, clipped to the box. */
export function sliceExtent(view, layer, mag) {
  const { plane } = view;
  const { u, v, w } = plane;
  const box = layer.box;
  const wIndex = Math.floor(view.position[w] / mag[w]);
  if (view.position[w] < box.min[w] || view.position[w] >= box.max[w]) return null;
  const u0 = Math.max(Math.floor(view.uMin / mag[u]), Math.floor(box.min[u] / mag[u]));
  const u1 = Math.min(Math.ceil(view.uMax / mag[u]), Math.ceil(box.max[u] / mag[u]));
  const v0 = Math.max(Math.floor(view.vMin / mag[v]), Math.floor(box.min[v] / mag[v]));
  const v1 = Math.min(Math.ceil(view.vMax / mag[v]), Math.ceil(box.max[v] / mag[v]));
  if (u1 <= u0 || v1 <= v0) return null;
  if ((u1 - u0) * (v1 - v0) > MAX_PIXELS) return { tooLarge: true };
  return { u0, u1, v0, v1, wIndex };
}

/** The buckets a slice needs, nearest to the centre first. */
export function sliceBuckets(view, extent) {
  const { u, v, w } = view.plane;
  const bu0 = Math.floor(extent.u0 / BUCKET);
  const bu1 = Math.floor((extent.u1 - 1) / BUCKET);
  const bv0 = Math.floor(extent.v0 / BUCKET);
  const bv1 = Math.floor((extent.v1 - 1) / BUCKET);
  const bw = Math.floor(extent.wIndex / BUCKET);
  const cu = (bu0 + bu1) / 2;
  const cv = (bv0 + bv1) / 2;
  const out = [];
  for (let bv = bv0; bv <= bv1; bv++) {
    for (let bu = bu0; bu <= bu1; bu++) {
      const pos = [0, 0, 0];
      pos[u] = bu;
      pos[v] = bv;
      pos[w] = bw;
      out.push({ pos, bu, bv, d: (bu - cu) ** 2 + (bv - cv) ** 2 });
    }
  }
  out.sort((a, b) => a.d - b.d);
  return out;
}

// A segmentation voxel that only repeats its fallback's id (not painted) is drawn at this alpha, painted ones opaque:
// over the dataset's segmentation in random colours, what was painted has to stand out.
export const UNPAINTED_ALPHA = 80;

/**
 * Fills `pixels` (Uint32Array over an RGBA image of (u1-u0) x (v1-v0)) with the slice; answers how many
 * buckets were missing. Segmentation `options`: `only` ([lo, hi]) draws that segment alone; `getFallback(pos)`
 * (an annotation's volume layer over a dataset layer) gives the fallback's bucket, and voxels equal to it are
 * drawn dim (all of them while it is not loaded).
 */
export function fillSlice(view, layer, mag, extent, pixels, getBucket, options = {}) {
  const { u, v, w } = view.plane;
  const width = extent.u1 - extent.u0;
  const lw = extent.wIndex - Math.floor(extent.wIndex / BUCKET) * BUCKET;
  const su = STRIDE[u];
  const sv = STRIDE[v];
  const base = lw * STRIDE[w];
  const paint = painter(layer, options);
  const getFallback = options.getFallback || null;
  let missing = 0;
  for (const { pos, bu, bv } of sliceBuckets(view, extent)) {
    const data = getBucket(pos);
    if (!data) {
      missing += 1;
      continue;
    }
    const fallback = getFallback ? getFallback(pos) || NOT_LOADED : null;
    const ua = Math.max(extent.u0, bu * BUCKET);
    const ub = Math.min(extent.u1, bu * BUCKET + BUCKET);
    const va = Math.max(extent.v0, bv * BUCKET);
    const vb = Math.min(extent.v1, bv * BUCKET + BUCKET);
    for (let gv = va; gv < vb; gv++) {
      const row = (gv - extent.v0) * width - extent.u0;
      const src = base + (gv - bv * BUCKET) * sv - bu * BUCKET * su;
      paint(data, pixels, row, src, ua, ub, su, fallback);
    }
  }
  return missing;
}

const NOT_LOADED = { notLoaded: true };

// A painter copies one row: pixels[row + gu] = colour of data[src + gu * su] for gu in [ua, ub).
function painter(layer, options) {
  switch (layer.kind) {
    case "gray8": {
      const lut = lookCurves(layer).grey;
      return (data, px, row, src, ua, ub, su) => {
        for (let g = ua; g < ub; g++) px[row + g] = lut[data[src + g * su]];
      };
    }
    case "rgb": {
      const { r, g: gc, b } = lookCurves(layer);
      return (data, px, row, src, ua, ub, su) => {
        for (let g = ua; g < ub; g++) {
          const i = (src + g * su) * 3;
          px[row + g] = (0xff000000 | (b[data[i + 2]] << 16) | (gc[data[i + 1]] << 8) | r[data[i]]) >>> 0;
        }
      };
    }
    case "scalar":
    case "scalar64": {
      const [lo, hi] = layer.range || [0, 1];
      // Multiplied before dividing: with a precomputed 255 / span the top of the range came out as 254.
      const span = hi > lo ? hi - lo : 0;
      const wide = layer.kind === "scalar64";
      const lut = lookCurves(layer).grey;
      return (data, px, row, src, ua, ub, su) => {
        for (let g = ua; g < ub; g++) {
          const i = src + g * su;
          const raw = wide ? data[2 * i] + data[2 * i + 1] * 4294967296 : data[i];
          let val = span ? ((raw - lo) * 255) / span : 0;
          val = val > 255 ? 255 : val > 0 ? val | 0 : 0;
          px[row + g] = lut[val];
        }
      };
    }
    case "seg32":
      return segmentPainter(options, 1);
    case "seg64":
      return segmentPainter(options, 2);
    default:
      return () => {};
  }
}

const DIM = (UNPAINTED_ALPHA << 24) >>> 0;

/** Segment ids (`parts` 32-bit halves each) in their colours; see fillSlice for `only` and the fallback. */
function segmentPainter({ only = null }, parts) {
  const [onlyLo, onlyHi] = only || [0, 0];
  return (data, px, row, src, ua, ub, su, fallback) => {
    const dimAll = fallback && fallback.notLoaded;
    let lastLo = -1;
    let lastHi = -1;
    let colour = 0;
    for (let g = ua; g < ub; g++) {
      const i = parts * (src + g * su);
      const lo = data[i];
      const hi = parts === 2 ? data[i + 1] : 0;
      if ((lo === 0 && hi === 0) || (only && (lo !== onlyLo || hi !== onlyHi))) {
        px[row + g] = 0;
        continue;
      }
      if (lo !== lastLo || hi !== lastHi) {
        lastLo = lo;
        lastHi = hi;
        colour = PALETTE[paletteIndex(lo, hi)];
      }
      const unpainted = fallback && (dimAll || (fallback[i] === lo && (parts === 1 || fallback[i + 1] === hi)));
      px[row + g] = unpainted ? ((colour & 0x00ffffff) | DIM) >>> 0 : colour;
    }
  };
}

/** The raw value at a mag-1 position from a cached bucket: a number, [lo, hi] for 64-bit, [r,g,b], or null. */
export function sampleValue(layer, mag, position, peekBucket) {
  const g = position.map((p, i) => Math.floor(p / mag[i]));
  const pos = g.map((c) => Math.floor(c / BUCKET));
  const data = peekBucket(pos);
  if (!data) return null;
  const idx = g.reduce((acc, c, i) => acc + (c - pos[i] * BUCKET) * STRIDE[i], 0);
  if (layer.kind === "rgb") return [data[3 * idx], data[3 * idx + 1], data[3 * idx + 2]];
  if (layer.bytes === 8 && data instanceof Uint32Array) return [data[2 * idx], data[2 * idx + 1]];
  return data[idx];
}
