// Where the owner works, kept on the annotation (webKnossos' editPosition, editRotation, zoomLevel): the page
// sends the view a moment after it last changed, alongside the edits' saves, so that a link without `#…` (and
// the NML download) opens where the owner last worked. `PATCH /api/annotations/{id}` stores it without a new
// version: moving around is no edit.

export const SEND_DELAY_MS = 800;

/** The start view the annotation's info names ({position, zoom, rotation}), or null when none was saved. */
export function storedView(info) {
  const position = info && info.editPosition;
  if (!Array.isArray(position) || position.length !== 3 || !position.every(Number.isFinite)) return null;
  const zoom = Number.isFinite(info.zoomLevel) && info.zoomLevel > 0 ? info.zoomLevel : 1;
  const rotation = Array.isArray(info.editRotation) && info.editRotation.length === 3 ? info.editRotation : null;
  return { position, zoom, rotation };
}

/** An angle in [0, 360): a hash may name any, the server takes ±360. */
function angle(degrees) {
  const a = ((degrees % 360) + 360) % 360;
  return Math.round(a * 100) / 100 % 360;
}

/** The body that stores the viewer's view (positions with two decimals, as the viewer keeps them). */
export function viewBody(viewer) {
  return {
    editPosition: viewer.position.map((v) => Math.round(v * 100) / 100),
    editRotation: viewer.rotation.map(angle),
    zoomLevel: Math.round(viewer.zoom * 10000) / 10000,
  };
}

/** Sends the view after each change (once it has rested for SEND_DELAY_MS); a failure is tried again with the
 * next change. `onSaved(body)` is told what the server has. */
export function keepEditView(viewer, api, annotationId, { onSaved = () => {} } = {}) {
  const path = `/api/annotations/${encodeURIComponent(annotationId)}`;
  let sent = JSON.stringify(viewBody(viewer));
  let timer = null;
  const send = async () => {
    timer = null;
    const body = viewBody(viewer);
    const text = JSON.stringify(body);
    if (text === sent) return;
    sent = text;
    try {
      await api.call("PATCH", path, body);
      viewer.root.dataset.viewSaved = text;
      onSaved(body);
    } catch {
      sent = ""; // not stored: the next change sends it again
    }
  };
  viewer.addEventListener("change", () => {
    clearTimeout(timer);
    timer = setTimeout(send, SEND_DELAY_MS);
  });
}
