// The view in the address bar's hash, in the webKnossos form (docs/formats.md, "Viewer URLs"):
//   #x,y,z,mode,zoom[,rotX,rotY,rotZ][,activeNodeId]
// or a URL-encoded JSON object {"position":[x,y,z],"mode":…,"zoomStep":…,"rotation":[…],"activeNode":…}.
// Pure functions: parseHash answers null for anything malformed, so the caller falls back to the default view.

const MODES = new Set([0, 1, 2]);

function finite(v) {
  return typeof v === "number" && Number.isFinite(v);
}

function checked(position, mode, zoom, rotation, activeNode) {
  if (!Array.isArray(position) || position.length !== 3 || !position.every(finite)) return null;
  if (position.some((v) => Math.abs(v) > 2 ** 31)) return null;
  if (!Number.isInteger(mode) || !MODES.has(mode)) return null;
  if (!finite(zoom) || zoom <= 0 || zoom > 1e6) return null;
  if (rotation !== null && (!Array.isArray(rotation) || rotation.length !== 3 || !rotation.every(finite))) return null;
  if (activeNode !== null && !(Number.isInteger(activeNode) && activeNode >= 0)) return null;
  return { position: position.slice(), mode, zoom, rotation: rotation ? rotation.slice() : [0, 0, 0], activeNode };
}

function parseNumber(text) {
  const t = text.trim();
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t)) return NaN;
  return Number(t);
}

function parseCsv(text) {
  const parts = text.split(",");
  if (![5, 6, 8, 9].includes(parts.length)) return null;
  const nums = parts.map(parseNumber);
  if (!nums.every(Number.isFinite)) return null;
  const rotation = parts.length >= 8 ? nums.slice(5, 8) : null;
  const activeNode = parts.length === 6 ? nums[5] : parts.length === 9 ? nums[8] : null;
  return checked(nums.slice(0, 3), nums[3], nums[4], rotation, activeNode);
}

function parseJson(text) {
  let data;
  try {
    data = JSON.parse(text);
  } catch {
    return null;
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) return null;
  const mode = data.mode === undefined ? 0 : typeof data.mode === "string" ? modeFromName(data.mode) : data.mode;
  const zoom = data.zoomStep === undefined ? 1 : data.zoomStep;
  const rotation = data.rotation === undefined ? null : data.rotation;
  const activeNode = data.activeNode === undefined || data.activeNode === null ? null : data.activeNode;
  return checked(data.position, mode, zoom, rotation, activeNode);
}

function modeFromName(name) {
  return { orthogonal: 0, flight: 1, oblique: 2 }[name] ?? -1;
}

/** The view in a hash ("#…" or without "#"), or null when it is empty or malformed. */
export function parseHash(hash) {
  if (typeof hash !== "string") return null;
  let text = hash.startsWith("#") ? hash.slice(1) : hash;
  if (text.startsWith("!")) text = text.slice(1);
  if (!text) return null;
  if (text.length > 4000) return null;
  try {
    text = decodeURIComponent(text);
  } catch {
    return null;
  }
  text = text.trim();
  return text.startsWith("{") ? parseJson(text) : parseCsv(text);
}

function short(value, digits) {
  return String(Number(value.toFixed(digits)));
}

// A zoom below 0.0005 would round to "0", which no reader accepts: it keeps three significant digits instead.
function shortZoom(zoom) {
  const text = short(zoom, 3);
  return Number(text) > 0 ? text : String(Number(zoom.toPrecision(3)));
}

/** The hash for a view: integers for the position, a short zoom, rotation only when an active node needs it. */
export function formatHash({ position, mode = 0, zoom, rotation = [0, 0, 0], activeNode = null }) {
  const parts = position.map((v) => String(Math.floor(v)));
  parts.push(String(mode), shortZoom(zoom));
  const rotated = rotation.some((r) => r !== 0);
  if (rotated || activeNode !== null) parts.push(...rotation.map((r) => short(r, 2)));
  if (activeNode !== null) parts.push(String(activeNode));
  return "#" + parts.join(",");
}

/** The `token` query parameter of the page's address ("" when there is none). */
export function pageToken(search = window.location.search) {
  return new URLSearchParams(search).get("token") || "";
}
