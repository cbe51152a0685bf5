// The 3D box: the dataset's bounding box, the three planes through the current position and the skeleton, seen
// from a rotation the user drags. The projection and the rotation rules are pure; `draw3d` paints a canvas.

import { ZOOM_STEP } from "./navigation.js";
import { AXES, PLANES } from "./planes.js";
import { drawSkeleton3d } from "./skeleton.js";

export const DEFAULT_ROTATION = Object.freeze({ yaw: -0.65, pitch: 0.45, scale: 1 });
const MAX_PITCH = 1.55;

export function defaultRotation() {
  return { ...DEFAULT_ROTATION };
}

/** The rotation after a drag of (dx, dy) pixels: yaw turns freely, pitch stops short of straight up or down. */
export function rotated(rotation, dx, dy) {
  const pitch = Math.max(-MAX_PITCH, Math.min(MAX_PITCH, rotation.pitch + dy * 0.01));
  return { ...rotation, yaw: rotation.yaw + dx * 0.01, pitch };
}

/** The rotation after a wheel turn: one zoom step nearer or farther, between 0.2 and 50 times the fit. */
export function scaled(rotation, deltaY) {
  const scale = Math.max(0.2, Math.min(50, rotation.scale / ZOOM_STEP ** Math.sign(deltaY)));
  return { ...rotation, scale };
}

/** Projection of mag-1 positions into a width × height box: p → [x, y, depth]. */
export function projector({ yaw, pitch, scale }, box, rel, width, height) {
  const centre = box.min.map((v, i) => ((v + box.max[i]) / 2) * rel[i]);
  const size = box.max.map((v, i) => (v - box.min[i]) * rel[i]);
  const fit = (Math.min(width, height) * 0.8) / Math.max(1, Math.hypot(...size)) * scale;
  const cy = Math.cos(yaw);
  const sy = Math.sin(yaw);
  const cp = Math.cos(pitch);
  const sp = Math.sin(pitch);
  return (p) => {
    const x = p[0] * rel[0] - centre[0];
    const y = p[1] * rel[1] - centre[1];
    const z = p[2] * rel[2] - centre[2];
    const x1 = x * cy - z * sy;
    const z1 = x * sy + z * cy;
    const y2 = y * cp - z1 * sp;
    const z2 = y * sp + z1 * cp;
    return [width / 2 + fit * x1, height / 2 + fit * y2, z2];
  };
}

/** The four corners of a plane's cut through the box at `position` (clamped into the box). */
export function planeQuad(plane, box, position) {
  const { min, max } = box;
  const w = Math.min(max[plane.w], Math.max(min[plane.w], position[plane.w]));
  return [[min[plane.u], min[plane.v]], [max[plane.u], min[plane.v]], [max[plane.u], max[plane.v]],
    [min[plane.u], max[plane.v]]].map(([a, b]) => {
    const q = [0, 0, 0];
    q[plane.u] = a; q[plane.v] = b; q[plane.w] = w;
    return q;
  });
}

/** The twelve edges of the box, as pairs of corners. */
export function boxEdges({ min, max }) {
  const corner = (i) => [i & 1 ? max[0] : min[0], i & 2 ? max[1] : min[1], i & 4 ? max[2] : min[2]];
  const edges = [];
  for (let i = 0; i < 8; i++) {
    for (const bit of [1, 2, 4]) {
      if (!(i & bit)) edges.push([corner(i), corner(i | bit)]);
    }
  }
  return edges;
}

/** Paints the 3D pane `p` ({ctx, canvas, width, height}). */
export function draw3d(p, { box, position, skeleton, rotation, relScale }) {
  const dpr = p.canvas.width / Math.max(1, p.width);
  const ctx = p.ctx;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#0b1020";
  ctx.fillRect(0, 0, p.width, p.height);
  const project = projector(rotation, box, relScale, p.width, p.height);
  drawBoxEdges(ctx, box, project);
  for (const plane of PLANES) drawPlane(ctx, planeQuad(plane, box, position).map(project), plane.color);
  if (skeleton) drawSkeleton3d(ctx, skeleton, project);
  drawAxisNames(ctx, box, project);
  if (!skeleton) {
    ctx.fillStyle = "rgba(203, 213, 225, .6)";
    ctx.fillText("No skeleton", 10, p.height - 10);
  }
}

function drawBoxEdges(ctx, box, project) {
  ctx.strokeStyle = "rgba(203, 213, 225, .45)";
  ctx.lineWidth = 1;
  ctx.beginPath();
  for (const [from, to] of boxEdges(box)) {
    const a = project(from);
    const b = project(to);
    ctx.moveTo(a[0], a[1]);
    ctx.lineTo(b[0], b[1]);
  }
  ctx.stroke();
}

function drawPlane(ctx, quad, color) {
  ctx.beginPath();
  quad.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.globalAlpha = 0.12;
  ctx.fillStyle = color;
  ctx.fill();
  ctx.globalAlpha = 0.9;
  ctx.strokeStyle = color;
  ctx.stroke();
  ctx.globalAlpha = 1;
}

function drawAxisNames(ctx, { min, max }, project) {
  ctx.font = "11px system-ui, sans-serif";
  ctx.fillStyle = "rgba(203, 213, 225, .8)";
  const origin = project(min);
  AXES.forEach((name, i) => {
    const tip = min.slice();
    tip[i] = min[i] + (max[i] - min[i]) * 0.18;
    const t = project(tip);
    ctx.fillText(name, t[0] + (t[0] - origin[0]) * 0.15 + 2, t[1] + (t[1] - origin[1]) * 0.15 + 4);
  });
}
