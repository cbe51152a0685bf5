// The viewer's input: pointer and wheel on the planes and the 3D box, keys, the typed position and the address
// bar's hash. The rules (what a key or drag does) are in navigation.js and view3d.js; this wires them to events.
//
// On a plane, a press goes first to the page's tool (`viewer.onVoxelDrag("start", …)` answering true takes the
// drag), else it pans; a press that hardly moved is a click, offered to `viewer.onVoxelClick`, else it sets the
// position.

import { beyondSlop, clickVoxel, keyCommand, panDelta, parsePosition, wheelCommand, zoomed } from "./navigation.js";
import { defaultRotation, rotated, scaled } from "./view3d.js";

/** Binds every input of `viewer` (a Viewer, once its elements are built). */
export function bindInput(viewer) {
  for (const p of viewer.panes) bindPane(viewer, p);
  bind3d(viewer);
  window.addEventListener("keydown", (e) => onKey(viewer, e));
  window.addEventListener("hashchange", () => {
    if (window.location.hash !== viewer.lastHash) viewer.readHash();
  });
  bindPositionInput(viewer, viewer.positionInput);
}

function bindPositionInput(viewer, input) {
  input.addEventListener("keydown", (e) => {
    if (e.key !== "Enter") return;
    const position = parsePosition(input.value);
    if (position) {
      viewer.setPosition(position);
      input.blur();
    } else {
      input.classList.add("invalid");
    }
  });
  input.addEventListener("input", () => input.classList.remove("invalid"));
}

function typingIn(target) {
  return target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName));
}

/** Space on a focused button or link presses it; only elsewhere is it the viewer's "next slice". */
function pressing(e) {
  return e.key === " " && e.target instanceof HTMLElement && /^(BUTTON|A|SUMMARY)$/.test(e.target.tagName);
}

function onKey(viewer, e) {
  if (typingIn(e.target) || pressing(e) || document.querySelector("dialog[open]")) return;
  const command = keyCommand(e, viewer.activePlane, viewer.zoom);
  if (!command) return;
  e.preventDefault();
  if (command.move) viewer.move(command.move);
  else if (command.slice) viewer.moveSlice(viewer.activePlane, command.slice, command.fast);
  else viewer.setZoom(zoomed(viewer.zoom, command.zoom));
}

function bindPane(viewer, p) {
  const gesture = { drag: null };
  const local = (e) => {
    const rect = p.canvas.getBoundingClientRect();
    return [e.clientX - rect.left, e.clientY - rect.top];
  };
  p.canvas.addEventListener("pointerdown", (e) => pointerDown(viewer, p, gesture, e, local(e)));
  p.canvas.addEventListener("pointermove", (e) => pointerMove(viewer, p, gesture, e, local(e)));
  const end = (e) => pointerEnd(viewer, p, gesture, e, local(e));
  p.canvas.addEventListener("pointerup", end);
  p.canvas.addEventListener("pointercancel", end);
  p.canvas.addEventListener("pointerleave", () => viewer.setHover(null));
  // Not passive: Ctrl+wheel would zoom the whole page, the plain wheel scroll it.
  p.canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    viewer.activePlane = p.plane;
    const command = wheelCommand(e);
    if (!command) return;
    if (command.zoom) viewer.setZoom(viewer.zoom * command.zoom);
    else viewer.moveSlice(p.plane, command.slice, command.fast);
  }, { passive: false });
}

function pointerDown(viewer, p, gesture, e, point) {
  if (e.button !== 0) return;
  viewer.activePlane = p.plane;
  p.canvas.setPointerCapture(e.pointerId);
  const voxel = viewer.viewOf(p).toVoxel(...point);
  if (viewer.onVoxelDrag && viewer.onVoxelDrag("start", voxel, p.plane, e)) {
    gesture.drag = { tool: true };
    return;
  }
  gesture.drag = { start: point, last: point, moved: false };
}

function pointerMove(viewer, p, gesture, e, [x, y]) {
  viewer.activePlane = p.plane;
  const view = viewer.viewOf(p);
  viewer.setHover(view.toVoxel(x, y), p.plane);
  const drag = gesture.drag;
  if (!drag) return;
  if (drag.tool) {
    viewer.onVoxelDrag("move", view.toVoxel(x, y), p.plane, e);
    return;
  }
  if (!drag.moved && !beyondSlop(drag.start, [x, y])) return;
  const [dx, dy] = [x - drag.last[0], y - drag.last[1]];
  drag.moved = true;
  drag.last = [x, y];
  viewer.move(panDelta(view, dx, dy));
  p.canvas.classList.add("dragging");
}

function pointerEnd(viewer, p, gesture, e, point) {
  const drag = gesture.drag;
  if (!drag) return;
  gesture.drag = null;
  if (drag.tool) {
    viewer.onVoxelDrag("end", null, p.plane, e);
    return;
  }
  p.canvas.classList.remove("dragging");
  if (drag.moved || e.type !== "pointerup") return;
  const voxel = clickVoxel(viewer.viewOf(p).toVoxel(...point), p.plane);
  if (viewer.onVoxelClick && viewer.onVoxelClick(voxel, p.plane, e)) return;
  viewer.setPosition(voxel);
}

/** The 3D box turns with a drag, zooms with the wheel, and a double click puts it back. */
function bind3d(viewer) {
  const canvas = viewer.pane3d.canvas;
  let drag = null;
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    drag = [e.clientX, e.clientY];
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!drag) return;
    viewer.rotation3d = rotated(viewer.rotation3d, e.clientX - drag[0], e.clientY - drag[1]);
    drag = [e.clientX, e.clientY];
    viewer.requestRender();
  });
  canvas.addEventListener("pointerup", () => { drag = null; });
  canvas.addEventListener("dblclick", () => {
    viewer.rotation3d = defaultRotation();
    viewer.requestRender();
  });
  canvas.addEventListener("wheel", (e) => {
    e.preventDefault();
    viewer.rotation3d = scaled(viewer.rotation3d, e.deltaY);
    viewer.requestRender();
  }, { passive: false });
}
