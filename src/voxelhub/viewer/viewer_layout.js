// The viewer's elements: the toolbar (a slot for the page's tools, position, zoom, status), the 2×2 grid of panes,
// the footer with the values under the pointer (the sidebar's layer list is layer_controls.js). No view logic:
// callers pass actions.

import { PLANES } from "./planes.js";
import { el } from "/static/common.js";

const HELP = "Drag: move · Wheel: zoom · Shift+wheel, F/D or . / ,: next/previous slice · Arrows: move · Click: set position";

function button(title, text, onClick) {
  const node = el("button", { type: "button", className: "vx-button", title, textContent: text });
  node.addEventListener("click", onClick);
  return node;
}

function toolbar(parts, { zoomOut, zoomIn, home }) {
  return el("div", { className: "vx-toolbar" },
    parts.toolSlot,
    el("label", { className: "vx-field" }, el("span", {}, "Position"), parts.positionInput),
    el("span", { className: "vx-field" }, el("span", {}, "Zoom"),
      button("Zoom out (wheel, -)", "−", zoomOut), parts.zoomText, button("Zoom in (wheel, +)", "+", zoomIn),
      button("Back to the default view", "⌂", home)),
    parts.statusText,
  );
}

function planePane(plane) {
  const canvas = el("canvas", { className: "vx-canvas", dataset: { plane: plane.id } });
  const pane = el("div", { className: "vx-pane", dataset: { plane: plane.id } },
    canvas, el("span", { className: "vx-label", style: `--plane: ${plane.color}` }, plane.label));
  pane.style.setProperty("--plane", plane.color);
  return { plane, pane, canvas, ctx: canvas.getContext("2d"), width: 0, height: 0, images: new Map() };
}

function pane3d() {
  const canvas = el("canvas", { className: "vx-canvas", dataset: { plane: "3d" } });
  const label = el("span", { className: "vx-label" }, "3D");
  const pane = el("div", { className: "vx-pane vx-pane-3d", dataset: { plane: "3d" } }, canvas, label);
  return { pane, canvas, label, ctx: canvas.getContext("2d"), width: 0, height: 0 };
}

/** Fills `root` with the viewer; answers its parts. `actions` are the zoom buttons' zoomOut, zoomIn and home. */
export function buildLayout(root, actions) {
  root.classList.add("vx-viewer");
  root.replaceChildren();
  const parts = {
    toolSlot: el("div", { className: "vx-tools" }),
    positionInput: el("input", {
      type: "text", className: "vx-position", id: "vx-position", spellcheck: false,
      title: "Position x, y, z (type and press Enter to jump)", "aria-label": "Position x, y, z",
    }),
    zoomText: el("span", { className: "vx-zoom", id: "vx-zoom" }),
    statusText: el("span", { className: "vx-status", id: "vx-status", role: "status" }),
    hoverText: el("span", { className: "vx-hover", id: "vx-hover" }),
    panes: PLANES.map(planePane),
    pane3d: pane3d(),
  };
  root.append(toolbar(parts, actions));
  root.append(el("div", { className: "vx-grid" }, ...parts.panes.map((p) => p.pane), parts.pane3d.pane));
  root.append(el("div", { className: "vx-footer" }, parts.hoverText, el("span", { className: "vx-help" }, HELP)));
  return parts;
}

/** Sizes each pane's canvas to its box (in device pixels); answers whether any changed. */
export function resizePanes(panes) {
  const dpr = window.devicePixelRatio || 1;
  let changed = false;
  for (const p of panes) {
    const rect = p.pane.getBoundingClientRect();
    const width = Math.max(1, Math.round(rect.width));
    const height = Math.max(1, Math.round(rect.height));
    if (width === p.width && height === p.height) continue;
    p.width = width;
    p.height = height;
    p.canvas.width = Math.round(width * dpr);
    p.canvas.height = Math.round(height * dpr);
    p.canvas.style.width = `${width}px`;
    p.canvas.style.height = `${height}px`;
    changed = true;
  }
  return changed;
}

/** The footer's readout: the voxel, then each layer's value there (readout.js `hoverValues`). */
export function showHover(node, position, values) {
  if (!position) {
    node.replaceChildren();
    return;
  }
  node.replaceChildren(el("span", { className: "vx-hover-pos" }, position.join(", ")), ...values.map(hoverValue));
}

function hoverValue({ name, text, swatch, segmentation }) {
  if (!segmentation) return el("span", {}, `${name}: ${text}`);
  return el("span", {}, `${name}: `, swatch ? el("span", { className: "vx-swatch", style: `background: ${swatch}` }) : null, text);
}
