// How the view moves: zoom limits, slice steps, what a key does, panning by a drag, typed positions. Pure rules;
// viewer_input.js applies them to the events of the page.

export const ZOOM_STEP = 1.15;
export const MIN_ZOOM = 0.05;
/** A press that moves less than this many pixels is a click, not a drag. */
export const CLICK_SLOP = 4;

/** Voxel sizes relative to the smallest (anisotropic data gets more pixels along its larger voxels). */
export function relativeScale(scale) {
  const factor = scale ? scale.factor : [1, 1, 1];
  const smallest = Math.min(...factor);
  return factor.map((f) => f / smallest);
}

/** Zoomed out as far as 8 screen pixels per voxel of the coarsest mag of any layer. */
export function maxZoom(layers) {
  const coarsest = Math.max(1, ...layers.flatMap((l) => l.mags.map((m) => Math.max(...m))));
  return coarsest * 8;
}

export function clampZoom(zoom, max) {
  return Math.min(max, Math.max(MIN_ZOOM, zoom));
}

/** One zoom step in (fewer voxels per pixel) or out, as the keys and the toolbar's buttons take it. */
export function zoomed(zoom, direction) {
  return direction === "in" ? zoom / ZOOM_STEP : zoom * ZOOM_STEP;
}

export function boxCentre(box) {
  return box.min.map((v, i) => Math.floor((v + box.max[i]) / 2));
}

/** Positions keep two decimals: a drag moves by fractions of a voxel, the address bar shows whole ones. */
export function roundPosition(position) {
  return position.map((v) => Math.round(v * 100) / 100);
}

/** One slice (in the plane's w axis, at the current zoom) forward or back, ten with `fast`; lands on a whole slice. */
export function sliceTarget(position, plane, zoom, relScale, direction, fast = false) {
  const step = Math.max(1, Math.round(zoom / relScale[plane.w])) * (fast ? 10 : 1);
  const target = position.slice();
  target[plane.w] = Math.floor(target[plane.w] + direction * step);
  return target;
}

/** What a key press asks of the view in `plane`, or null for a key the viewer leaves alone:
 * `{ move: delta }`, `{ slice: direction, fast }` or `{ zoom: "in" | "out" }` (see `zoomed`). */
export function keyCommand({ key, shiftKey = false, ctrlKey = false, metaKey = false, altKey = false }, plane, zoom) {
  if (ctrlKey || metaKey || altKey) return null;
  const step = Math.max(1, Math.round(zoom)) * (shiftKey ? 10 : 1);
  const move = (axis, sign) => {
    const delta = [0, 0, 0];
    delta[axis] = sign * step;
    return { move: delta };
  };
  switch (key) {
    case "ArrowLeft": return move(plane.u, -1);
    case "ArrowRight": return move(plane.u, 1);
    case "ArrowUp": return move(plane.v, -1);
    case "ArrowDown": return move(plane.v, 1);
    case "f": case "F": case ".": return { slice: 1, fast: shiftKey };
    case "d": case "D": case ",": return { slice: -1, fast: shiftKey };
    case " ": return { slice: shiftKey ? -1 : 1 }; // webKnossos: Space forward, Shift+Space back
    case "+": case "=": case "i": return { zoom: "in" };
    case "-": case "o": return { zoom: "out" };
    default: return null;
  }
}

/** The view's move for a drag of (dx, dy) screen pixels: the picture follows the pointer. */
export function panDelta(view, dx, dy) {
  const delta = [0, 0, 0];
  delta[view.plane.u] = -dx / view.pu;
  delta[view.plane.v] = -dy / view.pv;
  return delta;
}

export function beyondSlop(start, point) {
  return Math.hypot(point[0] - start[0], point[1] - start[1]) >= CLICK_SLOP;
}

/** The voxel a click means: whole voxels in the plane, the slice position as it is. */
export function clickVoxel(voxel, plane) {
  return voxel.map((v, i) => (i === plane.w ? v : Math.floor(v)));
}

/** "x, y, z" as typed (commas, semicolons or spaces between), or null when it is not three numbers. */
export function parsePosition(text) {
  const nums = text.split(/[\s,;]+/).filter(Boolean).map(Number);
  return nums.length === 3 && nums.every(Number.isFinite) ? nums : null;
}

/** What a wheel turn over a plane asks, as in webKnossos: Ctrl (or a trackpad's pinch, which the browser sends
 * as Ctrl+wheel) and Alt zoom (`{ zoom: factor }`), the plain wheel moves through the slices (`{ slice:
 * direction, fast }`, Shift for ten at a time); null for a turn of nothing. */
export function wheelCommand({ deltaX = 0, deltaY = 0, ctrlKey = false, metaKey = false, altKey = false, shiftKey = false }) {
  // Shift+wheel scrolls sideways in some browsers: the delta then comes as deltaX.
  const direction = Math.sign(deltaY || deltaX);
  if (!direction) return null;
  if (ctrlKey || metaKey || altKey) return { zoom: ZOOM_STEP ** direction };
  return { slice: direction, fast: shiftKey };
}

/** Whether `position` lies outside the box [min, max) of the dataset (in any axis). */
export function outsideBox(position, box) {
  return position.some((v, i) => v < box.min[i] || v >= box.max[i]);
}

/** Whether a plane's view shows none of the box: its slice lies outside it, or it is panned away from it. */
export function planeOutside(view, box) {
  const { u, v, w } = view.plane;
  const slice = view.position[w];
  if (slice < box.min[w] || slice >= box.max[w]) return true;
  return view.uMax <= box.min[u] || view.uMin >= box.max[u] || view.vMax <= box.min[v] || view.vMin >= box.max[v];
}

/** The message for a position outside the data: where it is, and where the data is. */
export function outsideText(position, box) {
  const at = position.map((v) => Math.floor(v)).join(", ");
  const last = box.max.map((v) => v - 1).join(", ");
  return `Position ${at} is outside the dataset's bounds (${box.min.join(", ")} to ${last}).`;
}
