// The three planes' image data for the 3D box: per plane, the whole cut through the dataset's box at the current
// position, composed like the planes (colour layers with their looks, segmentation at its opacity) at a coarse mag
// (at most TEXTURE_SIZE pixels a side), in a canvas per plane. `textureMag` and `textureCorners` are pure.

import { fillSlice } from "./slice.js";
import { segmentOptions } from "./plane_render.js";

export const TEXTURE_SIZE = 192;
const MAX_SIDE = 4 * TEXTURE_SIZE; // a layer with no mag that coarse is left out of the 3D view

/** The finest mag of `layer` whose cut of the box along u and v fits TEXTURE_SIZE pixels (else the coarsest). */
export function textureMag(layer, plane, box) {
  const fits = (m) => (box.max[plane.u] - box.min[plane.u]) / m[plane.u] <= TEXTURE_SIZE
    && (box.max[plane.v] - box.min[plane.v]) / m[plane.v] <= TEXTURE_SIZE;
  return layer.mags.find(fits) || layer.mags[layer.mags.length - 1];
}

/** The cut of `layer` through `position` at `mag`, as mag-voxel ranges, or null when the position misses it. */
export function textureExtent(layer, plane, position, mag) {
  const { u, v, w } = plane;
  const { min, max } = layer.box;
  if (position[w] < min[w] || position[w] >= max[w]) return null;
  return {
    u0: Math.floor(min[u] / mag[u]), u1: Math.ceil(max[u] / mag[u]),
    v0: Math.floor(min[v] / mag[v]), v1: Math.ceil(max[v] / mag[v]),
    wIndex: Math.floor(position[w] / mag[w]),
  };
}

/** The mag-1 positions of a texture's corners: (0,0), (width,0) and (0,height) of the canvas. */
export function textureCorners(plane, box, position) {
  const corner = (a, b) => {
    const q = [0, 0, 0];
    q[plane.u] = a;
    q[plane.v] = b;
    q[plane.w] = Math.min(box.max[plane.w], Math.max(box.min[plane.w], position[plane.w]));
    return q;
  };
  return [corner(box.min[plane.u], box.min[plane.v]), corner(box.max[plane.u], box.min[plane.v]),
    corner(box.min[plane.u], box.max[plane.v])];
}

/**
 * Draws each plane's texture into `cache` (a Map plane id → {canvas, ctx, parts}) for `scene` (layers, box,
 * position, loader, activeSegment, and `read`: "get" loads missing buckets, "peek" uses only cached ones);
 * answers [{plane, canvas, corners}] for the planes with something shown.
 */
export function planeTextures(cache, planes, scene) {
  const out = [];
  for (const plane of planes) {
    const entry = textureCanvas(cache, plane, scene.box);
    if (drawTexture(entry, plane, scene)) out.push({ plane, canvas: entry.canvas, corners: textureCorners(plane, scene.box, scene.position) });
  }
  return out;
}

function textureCanvas(cache, plane, box) {
  const su = box.max[plane.u] - box.min[plane.u];
  const sv = box.max[plane.v] - box.min[plane.v];
  const k = TEXTURE_SIZE / Math.max(su, sv, 1);
  const width = Math.max(1, Math.round(su * k));
  const height = Math.max(1, Math.round(sv * k));
  let entry = cache.get(plane.id);
  if (!entry || entry.canvas.width !== width || entry.canvas.height !== height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    entry = { canvas, ctx: canvas.getContext("2d"), parts: new Map() };
    cache.set(plane.id, entry);
  }
  entry.scale = [width / Math.max(su, 1), height / Math.max(sv, 1)];
  return entry;
}

function drawTexture(entry, plane, scene) {
  const { ctx, canvas } = entry;
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = "source-over";
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.imageSmoothingEnabled = true;
  let drawn = false;
  let colourDrawn = false;
  for (const layer of scene.layers) {
    if (!layer.visible || !layer.usable) continue;
    const mag = textureMag(layer, plane, scene.box);
    const extent = textureExtent(layer, plane, scene.position, mag);
    if (!extent || extent.u1 - extent.u0 > MAX_SIDE || extent.v1 - extent.v0 > MAX_SIDE) continue;
    const segmentation = layer.category === "segmentation";
    const image = layerImage(entry, layer, plane, mag, extent, scene);
    ctx.globalAlpha = layer.opacity ?? 1;
    ctx.globalCompositeOperation = !segmentation && colourDrawn ? "lighter" : "source-over";
    const [ku, kv] = entry.scale;
    ctx.drawImage(image, (extent.u0 * mag[plane.u] - scene.box.min[plane.u]) * ku,
      (extent.v0 * mag[plane.v] - scene.box.min[plane.v]) * kv,
      (extent.u1 - extent.u0) * mag[plane.u] * ku, (extent.v1 - extent.v0) * mag[plane.v] * kv);
    if (!segmentation) colourDrawn = true;
    drawn = true;
  }
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = "source-over";
  return drawn;
}

/** One layer's cut at `mag` as a canvas of one pixel per mag voxel (kept per layer between frames). */
function layerImage(entry, layer, plane, mag, extent, scene) {
  const width = extent.u1 - extent.u0;
  const height = extent.v1 - extent.v0;
  let part = entry.parts.get(layer.id);
  if (!part || part.canvas.width !== width || part.canvas.height !== height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const image = new ImageData(width, height);
    part = { canvas, ctx: canvas.getContext("2d"), image, pixels: new Uint32Array(image.data.buffer) };
    entry.parts.set(layer.id, part);
  }
  part.pixels.fill(0);
  const view = { plane };
  const read = scene.read || "get";
  fillSlice(view, layer, mag, extent, part.pixels, (pos) => scene.loader[read](layer, mag, pos),
    segmentOptions(layer, mag, scene, read));
  part.ctx.putImageData(part.image, 0, 0);
  return part.canvas;
}
