// The 3D box: the dataset's bounding box, the three planes through the current position with their image data,
// loaded segment meshes and the skeleton, seen from a rotation the user drags. The projection and the rotation
// rules are pure; `draw3d` paints a canvas (plane_textures.js makes the planes' images, meshes.js the meshes).

import { drawMeshes } from "./meshes.js";
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

/** Screen pixels per (scaled) voxel of the projection: the box's diagonal fits 80% of the smaller side. */
export function projectionFit({ scale }, box, rel, width, height) {
  const size = box.max.map((v, i) => (v - box.min[i]) * rel[i]);
  return (Math.min(width, height) * 0.8) / Math.max(1, Math.hypot(...size)) * scale;
}

/** Projection of mag-1 positions into a width × height box: p → [x, y, depth] (depth not scaled by the fit). */
export function projector(rotation, box, rel, width, height) {
  const { yaw, pitch } = rotation;
  const centre = box.min.map((v, i) => ((v + box.max[i]) / 2) * rel[i]);
  const fit = projectionFit(rotation, box, rel, width, height);
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

/**
 * Paints the 3D pane `p` ({ctx, canvas, width, height}); `textures` are plane_textures.js' [{plane, canvas,
 * corners}], `meshes` the ready meshes and `meshVersion` tells when they changed (they are drawn once per
 * rotation into a canvas kept on `p`).
 */
export function draw3d(p, { box, position, skeleton, rotation, relScale, textures = [], meshes = [], meshVersion = 0 }) {
  const dpr = p.canvas.width / Math.max(1, p.width);
  const ctx = p.ctx;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.fillStyle = "#0b1020";
  ctx.fillRect(0, 0, p.width, p.height);
  const project = projector(rotation, box, relScale, p.width, p.height);
  drawBoxEdges(ctx, box, project);
  const textured = new Map(textures.map((t) => [t.plane.id, t]));
  const planes = PLANES.map((plane) => {
    const quad = planeQuad(plane, box, position).map(project);
    return { plane, quad, depth: quad.reduce((sum, q) => sum + q[2], 0) };
  }).sort((a, b) => b.depth - a.depth); // far first: nearer planes cover them
  for (const { plane, quad } of planes) {
    const texture = textured.get(plane.id);
    if (texture) drawTexture(ctx, dpr, texture, project);
    drawPlane(ctx, quad, plane.color, texture ? 0 : 0.12);
  }
  if (meshes.length) {
    const key = [meshVersion, rotation.yaw, rotation.pitch, rotation.scale, p.canvas.width, p.canvas.height,
      box.min, box.max].join("|");
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.drawImage(meshLayer(p, key, dpr, (mctx) => drawMeshes(mctx, meshes, project,
      projectionFit(rotation, box, relScale, p.width, p.height))), 0, 0);
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  }
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

/** A plane's image on its quad: under this parallel projection the canvas maps onto it by an affine transform. */
function drawTexture(ctx, dpr, { canvas, corners }, project) {
  const [o, du, dv] = corners.map(project);
  const w = canvas.width;
  const h = canvas.height;
  ctx.save();
  ctx.setTransform(dpr * (du[0] - o[0]) / w, dpr * (du[1] - o[1]) / w, dpr * (dv[0] - o[0]) / h,
    dpr * (dv[1] - o[1]) / h, dpr * o[0], dpr * o[1]);
  ctx.imageSmoothingEnabled = true;
  ctx.globalAlpha = 0.92;
  ctx.drawImage(canvas, 0, 0);
  ctx.restore();
}

/** The meshes drawn into a canvas kept on the pane, again only when `key` (rotation, size, meshes) changes. */
function meshLayer(p, key, dpr, paint) {
  let layer = p.meshLayer;
  if (!layer || layer.canvas.width !== p.canvas.width || layer.canvas.height !== p.canvas.height) {
    const canvas = document.createElement("canvas");
    canvas.width = p.canvas.width;
    canvas.height = p.canvas.height;
    layer = { canvas, ctx: canvas.getContext("2d"), key: null };
    p.meshLayer = layer;
  }
  if (layer.key !== key) {
    layer.ctx.setTransform(1, 0, 0, 1, 0, 0);
    layer.ctx.clearRect(0, 0, layer.canvas.width, layer.canvas.height);
    layer.ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    paint(layer.ctx);
    layer.key = key;
  }
  return layer.canvas;
}

function drawPlane(ctx, quad, color, fill) {
  ctx.beginPath();
  quad.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
  ctx.closePath();
  ctx.globalAlpha = fill;
  ctx.fillStyle = color;
  if (fill) ctx.fill();
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
