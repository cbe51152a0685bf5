// Painting one plane: each visible layer's slice at its opacity (further colour layers added, with their
// brightness, contrast and tint; segmentation on top, an annotation's painted voxels brighter than the fallback's),
// coarser cached mags showing through where buckets still load, then the box, the skeleton, the crosshair and a
// tool's overlay. The placement rules are pure; the rest paints a canvas.

import { pickMag } from "./layers.js";
import { PLANES } from "./planes.js";
import { drawSkeletonInPlane } from "./skeleton.js";
import { fillSlice, sliceExtent } from "./slice.js";

/** The mags of `layer` coarser than `mag` along every axis, coarsest first: what shows through while it loads. */
export function coarserMags(layer, mag) {
  return layer.mags.filter((m) => m !== mag && m.every((v, i) => v >= mag[i])).reverse();
}

/** Where a slice image of `extent` (in buckets' voxels of `mag`) lands on the screen: [x, y, width, height]. */
export function blitRect(view, mag, extent) {
  const { u, v } = view.plane;
  const x = (extent.u0 * mag[u] - view.position[u]) * view.pu + view.width / 2;
  const y = (extent.v0 * mag[v] - view.position[v]) * view.pv + view.height / 2;
  const w = (extent.u1 - extent.u0) * mag[u] * view.pu;
  const h = (extent.v1 - extent.v0) * mag[v] * view.pv;
  return [x, y, w, h];
}

/** The crosshair's colours: each line is the colour of the plane it stands for (whose normal runs along it). */
export function crosshairColors(plane) {
  const byNormal = (axis) => PLANES.find((q) => q.w === axis).color;
  return { vertical: byNormal(plane.u), horizontal: byNormal(plane.v) };
}

/**
 * Paints pane `p` ({plane, canvas, ctx, width, height, images}) for `view`; `scene` has the layers, zoom, bucket
 * loader, box, skeleton, relScale and an overlay(ctx, view, hovered) with the voxel hovered in this plane.
 * Answers whether some layer could not be drawn because the view is zoomed out too far.
 */
export function renderPane(p, view, scene) {
  const dpr = p.canvas.width / Math.max(1, p.width);
  const ctx = p.ctx;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.imageSmoothingEnabled = false;
  ctx.globalCompositeOperation = "source-over";
  ctx.globalAlpha = 1;
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, p.width, p.height);
  let tooLarge = false;
  let colourDrawn = false;
  for (const layer of scene.layers) {
    if (!layer.visible || !layer.usable) continue;
    const segmentation = layer.category === "segmentation";
    ctx.globalAlpha = layer.opacity ?? 1;
    ctx.globalCompositeOperation = !segmentation && colourDrawn ? "lighter" : "source-over";
    tooLarge = drawLayer(p, view, layer, scene) || tooLarge;
    if (!segmentation) colourDrawn = true;
  }
  ctx.globalAlpha = 1;
  ctx.globalCompositeOperation = "source-over";
  drawBox(ctx, view, scene.box);
  if (scene.skeleton) drawSkeletonInPlane(ctx, view, scene.skeleton, scene.relScale);
  drawCrosshair(ctx, view);
  if (scene.overlay) scene.overlay(ctx, view, scene.hoverPlane === p.plane ? scene.hover : null);
  return tooLarge;
}

/** Draws a layer's slice; where the mag's buckets are still loading, cached coarser mags show through. */
function drawLayer(p, view, layer, scene) {
  const { zoom, loader } = scene;
  const mag = pickMag(layer, zoom);
  const extent = sliceExtent(view, layer, mag);
  if (!extent) return false;
  if (extent.tooLarge) return true;
  const options = (m, read) => segmentOptions(layer, m, scene, read);
  const image = sliceImage(p, view, layer, mag, extent, (pos) => loader.get(layer, mag, pos),
    "main", options(mag, "get"));
  if (image.missing) {
    for (const m of coarserMags(layer, mag)) {
      const e = sliceExtent(view, layer, m);
      if (!e || e.tooLarge) continue;
      const fallback = sliceImage(p, view, layer, m, e, (pos) => loader.peek(layer, m, pos), "fallback",
        options(m, "peek"));
      p.ctx.drawImage(fallback.canvas, ...blitRect(view, m, e));
    }
  }
  p.ctx.drawImage(image.canvas, ...blitRect(view, mag, extent));
  return false;
}

/**
 * fillSlice's options for a segmentation layer at `mag`: the active segment alone when the layer shows only that,
 * and for an annotation's volume layer the buckets of its fallback (the dataset layer it paints over) at the same
 * mag, read with the loader's `read` ("get" loads what is missing, "peek" does not).
 */
export function segmentOptions(layer, mag, { layers, loader, activeSegment }, read = "get") {
  if (layer.category !== "segmentation") return {};
  const only = layer.onlyActive && activeSegment ? activeSegment : null;
  if (!layer.volume || !layer.fallbackLayer) return { only };
  const base = layers.find((l) => !l.volume && l.usable && l.name === layer.fallbackLayer);
  const sameMag = base && base.mags.find((m) => m.every((v, i) => v === mag[i]));
  if (!sameMag) return { only };
  return { only, getFallback: (pos) => loader[read](base, sameMag, pos) };
}

/** The slice as an image of one pixel per voxel of `mag`, in a canvas kept per pane, layer and slot. */
function sliceImage(p, view, layer, mag, extent, getBucket, slot = "main", options = {}) {
  const width = extent.u1 - extent.u0;
  const height = extent.v1 - extent.v0;
  const key = `${layer.id}|${slot}`;
  let entry = p.images.get(key);
  if (!entry || entry.canvas.width !== width || entry.canvas.height !== height) {
    const canvas = document.createElement("canvas");
    canvas.width = width;
    canvas.height = height;
    const image = new ImageData(width, height);
    entry = { canvas, ctx: canvas.getContext("2d"), image, pixels: new Uint32Array(image.data.buffer) };
    p.images.set(key, entry);
  }
  entry.pixels.fill(0);
  entry.missing = fillSlice(view, layer, mag, extent, entry.pixels, getBucket, options);
  entry.ctx.putImageData(entry.image, 0, 0);
  return entry;
}

function drawBox(ctx, view, box) {
  const [x0, y0] = view.toScreen(box.min);
  const [x1, y1] = view.toScreen(box.max);
  ctx.strokeStyle = "rgba(255,255,255,.25)";
  ctx.lineWidth = 1;
  ctx.setLineDash([4, 4]);
  ctx.strokeRect(Math.round(x0) + 0.5, Math.round(y0) + 0.5, Math.round(x1 - x0), Math.round(y1 - y0));
  ctx.setLineDash([]);
}

function drawCrosshair(ctx, view) {
  const cx = Math.round(view.width / 2) + 0.5;
  const cy = Math.round(view.height / 2) + 0.5;
  const colors = crosshairColors(view.plane);
  ctx.lineWidth = 1;
  ctx.globalAlpha = 0.8;
  ctx.strokeStyle = colors.vertical;
  ctx.beginPath();
  ctx.moveTo(cx, cy - 14); ctx.lineTo(cx, cy - 4);
  ctx.moveTo(cx, cy + 4); ctx.lineTo(cx, cy + 14);
  ctx.stroke();
  ctx.strokeStyle = colors.horizontal;
  ctx.beginPath();
  ctx.moveTo(cx - 14, cy); ctx.lineTo(cx - 4, cy);
  ctx.moveTo(cx + 4, cy); ctx.lineTo(cx + 14, cy);
  ctx.stroke();
  ctx.globalAlpha = 1;
}
