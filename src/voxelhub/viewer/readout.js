// What the viewer's toolbar and footer say: the position, zoom and mags, the loading status, and the values
// under the pointer. Pure: viewer_layout.js turns these into elements.

import { idText, segmentCss } from "./colors.js";
import { magLabel, pickMag } from "./layers.js";
import { sampleValue } from "./slice.js";

export function formatNumber(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export function positionText(position) {
  return position.map((v) => Math.floor(v)).join(", ");
}

const shown = (layers) => layers.filter((l) => l.visible && l.usable);

/** "zoom · mag …": the zoom (one decimal unless whole) and the mags the visible layers show at it. */
export function zoomText(zoom, layers) {
  const mags = [...new Set(shown(layers).map((l) => magLabel(pickMag(l, zoom))))];
  return `${formatNumber(Math.round(zoom * 100) / 100)} · mag ${mags.join(", ") || "–"}`;
}

/** The status line, most important first: nothing to show, zoomed out too far, loading, the last load error. */
export function viewerStatus({ layers, tooLarge, pending, error }) {
  if (!layers.some((l) => l.usable)) return { text: "This dataset has no layer that can be shown.", kind: "error" };
  if (tooLarge) return { text: "Zoomed out too far for the available magnifications", kind: "warn" };
  if (pending) return { text: `Loading ${pending} bucket${pending === 1 ? "" : "s"}…`, kind: "busy" };
  if (error) return { text: error, kind: "error" };
  return { text: "", kind: "ok" };
}

/** A sampled value as text: a segment id, a 64-bit pair, an RGB triple or a number. */
export function valueText(layer, value) {
  if (layer.category === "segmentation") {
    const [lo, hi] = Array.isArray(value) ? value : [value, 0];
    return lo || hi ? `segment ${idText(lo, hi)}` : "none";
  }
  if (Array.isArray(value)) return value.length === 2 ? idText(value[0], value[1]) : `rgb(${value.join(", ")})`;
  return formatNumber(value);
}

/** The colour swatch of a segment value, or null (not a segment, or segment 0). */
export function valueSwatch(layer, value) {
  if (layer.category !== "segmentation") return null;
  const [lo, hi] = Array.isArray(value) ? value : [value, 0];
  return lo || hi ? segmentCss(lo, hi) : null;
}

/** What each visible layer has at voxel `pos` (whole voxels), from buckets already loaded:
 * [{name, text, swatch, segmentation}] — a layer whose bucket is not there yet is left out. */
export function hoverValues(layers, zoom, pos, peek) {
  const values = [];
  for (const layer of shown(layers)) {
    const mag = pickMag(layer, zoom);
    const value = sampleValue(layer, mag, pos, (b) => peek(layer, mag, b));
    if (value === null) continue;
    values.push({ name: layer.name, text: valueText(layer, value), swatch: valueSwatch(layer, value),
      segmentation: layer.category === "segmentation" });
  }
  return values;
}
