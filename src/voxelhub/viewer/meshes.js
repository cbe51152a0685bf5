// Meshes of single segments, asked of the server on demand ("Load mesh") and drawn in the 3D box:
//   GET /data/datasets/{id}/layers/{layer}/segments/{segmentId}/mesh (an annotation's volume layer: the same
//   below /data/annotations/{id}/layers/{layer}) → float32 vertices (mag-1 voxels), then uint32 triangles,
//   little-endian; the counts in X-Mesh-Vertices and X-Mesh-Triangles.
// `parseMesh` is pure; `MeshStore` keeps the loaded ones; `drawMeshes` paints them with a projector of view3d.js.

import { PALETTE, idText, paletteIndex } from "./colors.js";

/** {vertices: Float32Array(3V), triangles: Uint32Array(3T)} from an answer's bytes, or null when inconsistent. */
export function parseMesh(buffer, vertexCount, triangleCount) {
  const v = Number(vertexCount);
  const t = Number(triangleCount);
  if (!Number.isInteger(v) || !Number.isInteger(t) || v < 0 || t < 0) return null;
  if (buffer.byteLength !== 12 * v + 12 * t) return null;
  const vertices = new Float32Array(buffer.slice(0, 12 * v));
  const triangles = new Uint32Array(buffer.slice(12 * v));
  for (let i = 0; i < triangles.length; i++) if (triangles[i] >= v) return null;
  return { vertices, triangles };
}

/** A segment id typed or picked: "123" → [lo, hi] (64-bit ids as two 32-bit halves), or null. */
export function parseSegmentId(text) {
  const t = String(text ?? "").trim();
  if (!/^\d{1,20}$/.test(t)) return null;
  const n = BigInt(t);
  if (n <= 0n || n >= 1n << 64n) return null;
  return [Number(n & 0xffffffffn), Number(n >> 32n)];
}

/** The segment's colour as [r, g, b] (the planes' colour for it). */
export function segmentRgb([lo, hi]) {
  const c = PALETTE[paletteIndex(lo, hi)];
  return [c & 255, (c >>> 8) & 255, (c >>> 16) & 255];
}

export class MeshStore {
  constructor(api, datasetId, onChange) {
    this.api = api;
    this.datasetId = datasetId;
    this.onChange = onChange;
    this.list = [];
    this.version = 0; // bumped on every change: the 3D view redraws its cached meshes then
  }

  changed() {
    this.version += 1;
    this.onChange();
  }

  /** The mesh route of a segment of `layer` (a dataset's segmentation layer or an annotation's volume layer). */
  path(layer, id) {
    // (a preview's ?version=… is dropped: meshes are of the current version)
    if (layer.bucketPath) return layer.bucketPath.split("?")[0].replace(/\/buckets$/, `/segments/${id}/mesh`);
    return `/data/datasets/${encodeURIComponent(this.datasetId)}/layers/${encodeURIComponent(layer.name)}`
      + `/segments/${id}/mesh`;
  }

  /** Loads the mesh of `segment` ([lo, hi]) of a segmentation `layer`; the entry's state tells how it went. */
  async load(layer, segment) {
    const id = idText(...segment);
    const key = `${layer.id}|${id}`;
    if (this.list.some((m) => m.key === key && m.state !== "error")) return;
    this.list = this.list.filter((m) => m.key !== key);
    const entry = { key, layer: layer.id, id, segment, rgb: segmentRgb(segment), state: "loading", error: "" };
    this.list.push(entry);
    this.changed();
    try {
      const response = await this.api.request("GET", this.path(layer, id), { accept: "application/octet-stream" });
      const mesh = parseMesh(await response.arrayBuffer(), response.headers.get("X-Mesh-Vertices"),
        response.headers.get("X-Mesh-Triangles"));
      if (!mesh) throw new Error("the mesh could not be read");
      Object.assign(entry, mesh, { state: "ready", mag: response.headers.get("X-Mesh-Mag") || "" });
    } catch (error) {
      entry.state = "error";
      entry.error = error && error.status === 404 ? `segment ${id} has no voxels in ${layer.name}` : error.message;
    }
    this.changed();
  }

  remove(key) {
    this.list = this.list.filter((m) => m.key !== key);
    this.changed();
  }

  get ready() {
    return this.list.filter((m) => m.state === "ready");
  }
}

/**
 * Paints the ready meshes with `project` (mag-1 position → [x, y, depth], depth growing away from the viewer, in
 * units of 1/`depthScale` screen pixels): back faces dropped, the rest far to near, each shaded by how squarely it
 * faces the viewer.
 */
export function drawMeshes(ctx, meshes, project, depthScale = 1) {
  const faces = [];
  for (const mesh of meshes) {
    const { vertices, triangles, rgb } = mesh;
    const p = new Float32Array(vertices.length);
    for (let i = 0; i < vertices.length; i += 3) p.set(project([vertices[i], vertices[i + 1], vertices[i + 2]]), i);
    for (let t = 0; t < triangles.length; t += 3) {
      const a = 3 * triangles[t];
      const b = 3 * triangles[t + 1];
      const c = 3 * triangles[t + 2];
      const face = shadeOf(p, a, b, c, depthScale);
      if (face !== null) faces.push({ mesh: rgb, a, b, c, p, shade: face.shade, depth: face.depth });
    }
  }
  faces.sort((f, g) => g.depth - f.depth);
  for (const f of faces) {
    const k = 0.35 + 0.65 * f.shade;
    ctx.fillStyle = `rgb(${Math.round(f.mesh[0] * k)}, ${Math.round(f.mesh[1] * k)}, ${Math.round(f.mesh[2] * k)})`;
    ctx.beginPath();
    ctx.moveTo(f.p[f.a], f.p[f.a + 1]);
    ctx.lineTo(f.p[f.b], f.p[f.b + 1]);
    ctx.lineTo(f.p[f.c], f.p[f.c + 1]);
    ctx.closePath();
    ctx.fill();
    ctx.strokeStyle = ctx.fillStyle; // hides the hairline seams between neighbouring triangles
    ctx.lineWidth = 0.5;
    ctx.stroke();
  }
}

// A triangle's facing: null for a back face, else its shade (0 edge-on … 1 facing) and mean depth. Screen x, y
// and depth make a right-handed frame (y down, depth away from the viewer), so a face whose outward normal
// ((b − a) × (c − a), the server's winding) points at the viewer has a negative depth component.
function shadeOf(p, a, b, c, depthScale) {
  const ux = p[b] - p[a];
  const uy = p[b + 1] - p[a + 1];
  const vx = p[c] - p[a];
  const vy = p[c + 1] - p[a + 1];
  const area = uy * vx - ux * vy; // minus the normal's depth component
  if (area <= 0) return null;
  const uz = (p[b + 2] - p[a + 2]) * depthScale;
  const vz = (p[c + 2] - p[a + 2]) * depthScale;
  const nx = uy * vz - uz * vy; // the normal u × v (its depth component is −area)
  const ny = uz * vx - ux * vz;
  const len = Math.hypot(nx, ny, area);
  return { shade: len ? area / len : 0, depth: p[a + 2] + p[b + 2] + p[c + 2] };
}
