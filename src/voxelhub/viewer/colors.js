// Segment colours hashed from ids (stable across sessions and planes), for 32-bit ids and 64-bit ids given
// as two 32-bit halves.

const PALETTE_SIZE = 1024;

function hsvToRgb(h, s, v) {
  const i = Math.floor(h * 6);
  const f = h * 6 - i;
  const p = v * (1 - s);
  const q = v * (1 - f * s);
  const t = v * (1 - (1 - f) * s);
  const [r, g, b] = [[v, t, p], [q, v, p], [p, v, t], [p, q, v], [t, p, v], [v, p, q]][i % 6];
  return [Math.round(r * 255), Math.round(g * 255), Math.round(b * 255)];
}

/** PALETTE_SIZE well-spread, saturated colours packed as 0xAABBGGRR (ImageData's byte order on little-endian). */
export const PALETTE = (() => {
  const out = new Uint32Array(PALETTE_SIZE);
  for (let i = 0; i < PALETTE_SIZE; i++) {
    const hue = (i * 0.618033988749895) % 1;
    const sat = 0.65 + 0.35 * ((i * 7) % 5) / 4;
    const val = 0.8 + 0.2 * ((i * 3) % 4) / 3;
    const [r, g, b] = hsvToRgb(hue, sat, val);
    out[i] = (255 << 24 | b << 16 | g << 8 | r) >>> 0;
  }
  return out;
})();

/** A 32-bit mix of an id (low half, high half): neighbouring ids get unrelated colours. */
export function hashId(lo, hi = 0) {
  let h = Math.imul(lo ^ Math.imul(hi, 0x27d4eb2d), 0x9e3779b1);
  h ^= h >>> 15;
  h = Math.imul(h, 0x85ebca77);
  h ^= h >>> 13;
  return h >>> 0;
}

export function paletteIndex(lo, hi = 0) {
  return hashId(lo, hi) & (PALETTE_SIZE - 1);
}

/** CSS colour of a segment id. */
export function segmentCss(lo, hi = 0) {
  const c = PALETTE[paletteIndex(lo, hi)];
  return `rgb(${c & 255}, ${(c >>> 8) & 255}, ${(c >>> 16) & 255})`;
}

/** Decimal text of a 64-bit id given as two halves. */
export function idText(lo, hi = 0) {
  return hi ? ((BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0)).toString() : String(lo >>> 0);
}

/** A tree's colour: its own [r,g,b,a] in 0..1 when it has one, else one from its id. */
export function treeCss(tree) {
  const c = tree && Array.isArray(tree.color) ? tree.color : null;
  if (c && c.length >= 3 && c.slice(0, 3).every((v) => Number.isFinite(v))) {
    const [r, g, b] = c.slice(0, 3).map((v) => Math.round(Math.min(1, Math.max(0, v)) * 255));
    return `rgb(${r}, ${g}, ${b})`;
  }
  return segmentCss(Number(tree && tree.id) || 0);
}

// ---- how an image layer is drawn: brightness, contrast and a tint ------------------------------------------

export const DEFAULT_LOOK = Object.freeze({ brightness: 0, contrast: 1, tint: "#ffffff" });

/** "#rrggbb" as [r, g, b] in 0..255 (white when malformed). */
export function parseTint(text) {
  const m = /^#([0-9a-f]{6})$/i.exec(String(text || ""));
  if (!m) return [255, 255, 255];
  const n = parseInt(m[1], 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * The three channels' curves (Uint8Array(256) each) of a layer's look: value x in 0..1 becomes
 * ((x − ½)·contrast + ½ + brightness), clamped, times the tint's channel. Kept on the layer until the look changes.
 */
export function lookCurves(layer) {
  const brightness = Number.isFinite(layer.brightness) ? layer.brightness : DEFAULT_LOOK.brightness;
  const contrast = Number.isFinite(layer.contrast) ? layer.contrast : DEFAULT_LOOK.contrast;
  const tint = layer.tint || DEFAULT_LOOK.tint;
  const key = `${brightness}|${contrast}|${tint}`;
  if (layer.curves && layer.curves.key === key) return layer.curves;
  const rgb = parseTint(tint);
  const channels = rgb.map(() => new Uint8Array(256));
  const grey = new Uint32Array(256);
  for (let v = 0; v < 256; v++) {
    const y = Math.min(1, Math.max(0, (v / 255 - 0.5) * contrast + 0.5 + brightness));
    const [r, g, b] = rgb.map((c, i) => (channels[i][v] = Math.round(y * c)));
    grey[v] = (0xff000000 | (b << 16) | (g << 8) | r) >>> 0;
  }
  const curves = { key, r: channels[0], g: channels[1], b: channels[2], grey, identity: key === "0|1|#ffffff" };
  layer.curves = curves;
  return curves;
}
