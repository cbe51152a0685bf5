// The segment under the pointer: its id in a small label beside the pointer on the plane, and a click (a press
// that hardly moved, whatever the tool) makes it the active segment (viewer.setActiveSegment).

import { idText, segmentCss } from "./colors.js";
import { pickMag } from "./layers.js";
import { sampleValue } from "./slice.js";
import { el } from "/static/common.js";

const CLICK_SLOP = 4;

/** The topmost visible segmentation layer's segment at voxel `pos`: {layer, segment: [lo, hi]}, or null. */
export function segmentAt(layers, zoom, pos, peek) {
  for (let i = layers.length - 1; i >= 0; i--) {
    const layer = layers[i];
    if (layer.category !== "segmentation" || !layer.visible || !layer.usable) continue;
    const mag = pickMag(layer, zoom);
    const value = sampleValue(layer, mag, pos, (b) => peek(layer, mag, b));
    if (value === null) continue;
    const [lo, hi] = Array.isArray(value) ? value : [value, 0];
    if (lo || hi) return { layer, segment: [lo >>> 0, hi >>> 0] };
  }
  return null;
}

/** Shows (or hides) the label of the hovered segment in the hovered plane. */
export function showSegmentTip(viewer) {
  for (const p of viewer.panes) {
    const pos = viewer.hover && viewer.hoverPlane === p.plane ? viewer.hover.map(Math.floor) : null;
    const found = pos ? segmentAt(viewer.layers, viewer.zoom, pos, (...at) => viewer.loader.peek(...at)) : null;
    if (!p.tip) {
      p.tip = el("span", { className: "vx-segment-tip", dataset: { plane: p.plane.id } });
      p.pane.append(p.tip);
    }
    p.tip.hidden = !found;
    if (!found) continue;
    const [x, y] = viewer.viewOf(p).toScreen(viewer.hover);
    p.tip.replaceChildren(el("span", { className: "vx-swatch", style: `background: ${segmentCss(...found.segment)}` }),
      `segment ${idText(...found.segment)}`);
    p.tip.style.left = `${Math.min(p.width - 120, x + 14)}px`;
    p.tip.style.top = `${Math.max(0, y - 28)}px`;
  }
}

/** A click on a plane makes the segment under it the active one (a click on nothing keeps the active one). */
export function bindSegmentPick(viewer) {
  for (const p of viewer.panes) {
    let press = null;
    // The segment is read at the press: by the release a click may already have moved the view there.
    p.canvas.addEventListener("pointerdown", (e) => {
      press = null;
      if (e.button !== 0) return;
      const rect = p.canvas.getBoundingClientRect();
      const voxel = viewer.viewOf(p).toVoxel(e.clientX - rect.left, e.clientY - rect.top).map(Math.floor);
      const found = segmentAt(viewer.layers, viewer.zoom, voxel, (...at) => viewer.loader.peek(...at));
      press = { at: [e.clientX, e.clientY], found };
    });
    p.canvas.addEventListener("pointerup", (e) => {
      const moved = press ? Math.hypot(e.clientX - press.at[0], e.clientY - press.at[1]) : Infinity;
      const found = press && press.found;
      press = null;
      if (found && moved <= CLICK_SLOP) viewer.setActiveSegment(found.segment);
    });
  }
}
