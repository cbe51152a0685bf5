// A dataset's layers as the viewer needs them, read defensively from `dataSource` (it comes from files on disk),
// and the decoding of 32³ buckets (x fastest, little-endian) into typed arrays.

export const BUCKET = 32;
export const BUCKET_VOXELS = BUCKET * BUCKET * BUCKET;

// bytes per voxel, and how a voxel is drawn: "gray8" (uint8), "rgb" (uint24), "scalar" (normalised),
// "seg32" / "seg64" (ids; 64-bit ids as two 32-bit halves, low half first).
const CLASSES = {
  uint8: { bytes: 1, array: Uint8Array, kind: "gray8" },
  int8: { bytes: 1, array: Int8Array, kind: "scalar" },
  uint16: { bytes: 2, array: Uint16Array, kind: "scalar" },
  int16: { bytes: 2, array: Int16Array, kind: "scalar" },
  uint24: { bytes: 3, array: Uint8Array, kind: "rgb" },
  uint32: { bytes: 4, array: Uint32Array, kind: "scalar" },
  int32: { bytes: 4, array: Int32Array, kind: "scalar" },
  uint64: { bytes: 8, array: Uint32Array, kind: "scalar64" },
  int64: { bytes: 8, array: Uint32Array, kind: "scalar64" },
  float: { bytes: 4, array: Float32Array, kind: "scalar" },
  float32: { bytes: 4, array: Float32Array, kind: "scalar" },
  double: { bytes: 8, array: Float64Array, kind: "scalar" },
  float64: { bytes: 8, array: Float64Array, kind: "scalar" },
};

function vec3(value) {
  if (Array.isArray(value) && value.length === 3 && value.every((v) => Number.isFinite(v) && v > 0)) {
    return value.map(Number);
  }
  if (Number.isFinite(value) && value > 0) return [value, value, value];
  if (typeof value === "string") {
    const parts = value.split(/[-,x ]/).map(Number);
    if (parts.length === 1 && parts[0] > 0) return [parts[0], parts[0], parts[0]];
    if (parts.length === 3 && parts.every((v) => Number.isFinite(v) && v > 0)) return parts;
  }
  return null;
}

function magsOf(layer) {
  const list = Array.isArray(layer.mags) ? layer.mags : Array.isArray(layer.wkwResolutions) ? layer.wkwResolutions : [];
  const mags = [];
  for (const entry of list) {
    const mag = vec3(entry && typeof entry === "object" && !Array.isArray(entry) ? (entry.mag ?? entry.resolution) : entry);
    if (mag && !mags.some((m) => m.every((v, i) => v === mag[i]))) mags.push(mag);
  }
  mags.sort((a, b) => Math.max(...a) - Math.max(...b) || a[0] * a[1] * a[2] - b[0] * b[1] * b[2]);
  return mags;
}

function boxOf(layer) {
  const box = layer.boundingBox;
  if (!box || typeof box !== "object") return null;
  const tl = box.topLeft;
  const size = [box.width, box.height, box.depth];
  if (!Array.isArray(tl) || tl.length !== 3 || !tl.every(Number.isFinite)) return null;
  if (!size.every((v) => Number.isFinite(v) && v > 0)) return null;
  return { min: tl.slice(), max: tl.map((v, i) => v + size[i]) };
}

/**
 * The layers that can be drawn: {id, name, category, elementClass, bytes, array, kind, box, mags, visible, opacity}.
 * `id` keys caches and images; a dataset layer's id is its name (an annotation's volume layer may share the name).
 */
export function readLayers(dataSource) {
  const raw = dataSource && Array.isArray(dataSource.dataLayers) ? dataSource.dataLayers : [];
  const layers = [];
  for (const layer of raw) {
    if (!layer || typeof layer !== "object" || typeof layer.name !== "string") continue;
    layers.push(readLayer(layer, layer.name, layer.category === "segmentation"));
  }
  // Colour layers first, segmentation on top.
  layers.sort((a, b) => (a.category === "segmentation") - (b.category === "segmentation"));
  return layers;
}

/**
 * An annotation's volume layer (from its info's `volumeLayers`) as a segmentation layer whose buckets come from
 * `bucketPath`; null when the description is unusable.
 */
export function readVolumeLayer(volume, bucketPath) {
  if (!volume || typeof volume !== "object" || typeof volume.name !== "string") return null;
  const layer = readLayer(volume, `volume:${volume.name}`, true);
  // Brighter than a dataset's segmentation: its painted voxels are the point (the fallback's are drawn dim).
  return Object.assign(layer, {
    opacity: 0.6,
    volume: true, bucketPath, fallbackLayer: typeof volume.fallbackLayer === "string" ? volume.fallbackLayer : null,
  });
}

function readLayer(layer, id, segmentation) {
  const info = CLASSES[String(layer.elementClass)];
  const box = boxOf(layer);
  const mags = magsOf(layer);
  const usable = Boolean(info && box && mags.length);
  let kind = info ? info.kind : "none";
  if (segmentation && info) kind = info.bytes === 8 ? "seg64" : "seg32";
  return {
    id, name: layer.name, category: segmentation ? "segmentation" : "color",
    elementClass: String(layer.elementClass), bytes: info ? info.bytes : 0, array: info ? info.array : null,
    kind, box, mags, usable, visible: usable, range: null, opacity: segmentation ? 0.35 : 1,
    problem: usable ? null : !info ? `cannot show element class ${layer.elementClass}` : "no bounding box or mags",
  };
}

/** Voxel size [x,y,z] and unit, or null when the dataset does not say. */
export function readScale(dataSource) {
  const scale = dataSource ? dataSource.scale : null;
  if (scale && typeof scale === "object" && !Array.isArray(scale)) {
    const factor = vec3(scale.factor);
    return factor ? { factor, unit: String(scale.unit || "nanometer") } : null;
  }
  const factor = vec3(scale);
  return factor ? { factor, unit: "nanometer" } : null;
}

/** The union of the layers' bounding boxes. */
export function datasetBox(layers) {
  const boxes = layers.map((l) => l.box).filter(Boolean);
  if (!boxes.length) return { min: [0, 0, 0], max: [1, 1, 1] };
  return {
    min: [0, 1, 2].map((i) => Math.min(...boxes.map((b) => b.min[i]))),
    max: [0, 1, 2].map((i) => Math.max(...boxes.map((b) => b.max[i]))),
  };
}

/** The coarsest mag of the layer whose every factor is at most `zoom` (voxels per screen pixel). */
export function pickMag(layer, zoom) {
  let chosen = layer.mags[0];
  for (const mag of layer.mags) {
    if (mag.every((v) => v <= zoom * 1.0001)) chosen = mag;
  }
  return chosen;
}

/** Decodes one bucket's bytes (a copy, so typed arrays are aligned) and tracks the value range of scalars. */
export function decodeBucket(layer, buffer, offset) {
  const length = BUCKET_VOXELS * layer.bytes;
  const copy = buffer.slice(offset, offset + length);
  const data = new layer.array(copy);
  if (layer.kind === "scalar") trackRange(layer, data);
  if (layer.kind === "scalar64") trackRange64(layer, data);
  return data;
}

function trackRange(layer, data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i += 7) {
    const v = data[i];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  mergeRange(layer, lo, hi);
}

function trackRange64(layer, data) {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < data.length; i += 14) {
    const v = data[i] + data[i + 1] * 4294967296;
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  mergeRange(layer, lo, hi);
}

function mergeRange(layer, lo, hi) {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return;
  if (!layer.range) layer.range = [lo, hi];
  else layer.range = [Math.min(layer.range[0], lo), Math.max(layer.range[1], hi)];
}

export function magLabel(mag) {
  return mag ? mag.join("-") : "–";
}
