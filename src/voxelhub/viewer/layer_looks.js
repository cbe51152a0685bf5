// A layer's look (opacity, brightness, contrast, tint) remembered per dataset in the browser (localStorage), as
// webKnossos keeps a user's layer settings per dataset; the position stays in the address bar's hash.

// The sliders' ranges (layer_controls.js): a stored value outside them is clamped into them.
export const LOOK_RANGES = Object.freeze({ opacity: [0, 1], brightness: [-1, 1], contrast: [0, 4] });
const STORAGE_PREFIX = "voxelhub.layerLooks.";

function browserStorage() {
  try {
    return globalThis.localStorage ?? null; // reading it throws where storage is blocked
  } catch {
    return null;
  }
}

/** The looks saved for this dataset put back on the layers (unknown layers and bad values are ignored). */
export function restoreLooks(layers, datasetId, storage = browserStorage()) {
  let saved = {};
  try {
    saved = JSON.parse((storage && storage.getItem(STORAGE_PREFIX + datasetId)) || "{}") || {};
  } catch {
    saved = {};
  }
  for (const layer of layers) {
    const look = Object.hasOwn(saved, layer.id) ? saved[layer.id] : null;
    if (!look || typeof look !== "object") continue;
    for (const [key, [lo, hi]] of Object.entries(LOOK_RANGES)) {
      if (Number.isFinite(look[key])) layer[key] = Math.min(hi, Math.max(lo, look[key]));
    }
    if (/^#[0-9a-f]{6}$/i.test(String(look.tint))) layer.tint = look.tint;
  }
}

/** Remembers the layers' looks for this dataset (nothing happens where the browser keeps no storage). */
export function saveLooks(layers, datasetId, storage = browserStorage()) {
  const keys = [...Object.keys(LOOK_RANGES), "tint"];
  const out = {};
  for (const layer of layers) out[layer.id] = Object.fromEntries(keys.filter((k) => k in layer).map((k) => [k, layer[k]]));
  try {
    if (storage) storage.setItem(STORAGE_PREFIX + datasetId, JSON.stringify(out));
  } catch {
    /* full: the looks are simply not remembered */
  }
}
