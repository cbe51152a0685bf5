// The viewer's elements: the toolbar (a slot for the page's tools, position, zoom), the 2×2 grid of panes (each
// with a message for a view outside the data), the footer with the values under the pointer and the status (the
// sidebar's layer list is layer_controls.js). No view logic: callers pass actions. The viewer fills the window
// below its top edge (`fitToWindow`), and the toolbar has one fixed height: tools that do not fit scroll sideways
// instead of wrapping onto a second line, so choosing a tool never moves the planes.

import { PLANES } from "./planes.js";
import { el } from "/static/common.js";

const HELP = "Wheel, F/D, Space: next/previous slice · Ctrl/Alt+wheel, I/O, +/−: zoom · Drag, arrows: move · Click: set position";
/** The viewer never gets smaller than this (a tiny window scrolls instead), nor closer to the window's bottom. */
const MIN_HEIGHT = 360;
const BOTTOM_MARGIN = 12;

function button(title, text, onClick) {
  const node = el("button", { type: "button", className: "vx-button", title, textContent: text });
  node.addEventListener("click", onClick);
  return node;
}

function toolbar(parts, { zoomOut, zoomIn, home }) {
  return el("div", { className: "vx-toolbar" },
    parts.toolSlot,
    el("label", { className: "vx-field" }, el("span", { className: "vx-field-name" }, "Position"), parts.positionInput),
    el("span", { className: "vx-field" }, el("span", { className: "vx-field-name" }, "Zoom"),
      button("Zoom out (Ctrl/Alt+wheel, O, -)", "−", zoomOut), parts.zoomText,
      button("Zoom in (Ctrl/Alt+wheel, I, +)", "+", zoomIn), button("Back to the default view", "⌂", home)),
  );
}

function planePane(plane, toData) {
  const canvas = el("canvas", { className: "vx-canvas", dataset: { plane: plane.id } });
  const text = el("p", {});
  const back = el("button", { type: "button", className: "vx-button", title: "To the centre of the dataset" }, "Go to the data");
  back.addEventListener("click", toData);
  const outside = el("div", { className: "vx-outside", role: "status", hidden: true, dataset: { outside: plane.id } }, text, back);
  const pane = el("div", { className: "vx-pane", dataset: { plane: plane.id } },
    canvas, el("span", { className: "vx-label", style: `--plane: ${plane.color}` }, plane.label), outside);
  pane.style.setProperty("--plane", plane.color);
  return { plane, pane, canvas, ctx: canvas.getContext("2d"), width: 0, height: 0, images: new Map(),
    outside: { box: outside, text } };
}

/** Shows (text) or hides (null) a pane's message that its view lies outside the data. */
export function showOutside(p, text) {
  p.outside.box.hidden = text === null;
  if (text !== null && p.outside.text.textContent !== text) p.outside.text.textContent = text;
}

function pane3d() {
  const canvas = el("canvas", { className: "vx-canvas", dataset: { plane: "3d" } });
  const label = el("span", { className: "vx-label" }, "3D");
  const pane = el("div", { className: "vx-pane vx-pane-3d", dataset: { plane: "3d" } }, canvas, label);
  return { pane, canvas, label, ctx: canvas.getContext("2d"), width: 0, height: 0 };
}

/** Fills `root` with the viewer; answers its parts. `actions` are the zoom buttons' zoomOut, zoomIn and home,
 * and toData (the panes' way back from outside the dataset). */
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
    panes: PLANES.map((plane) => planePane(plane, actions.toData)),
    pane3d: pane3d(),
  };
  // Tools beyond the toolbar's width scroll sideways: with the wheel too, and the edge that hides some fades.
  parts.toolSlot.addEventListener("wheel", (e) => {
    if (!e.deltaY || parts.toolSlot.scrollWidth <= parts.toolSlot.clientWidth) return;
    e.preventDefault();
    parts.toolSlot.scrollLeft += e.deltaY;
  }, { passive: false });
  const markOverflow = () => {
    const slot = parts.toolSlot;
    slot.classList.toggle("vx-more-right", slot.scrollLeft + slot.clientWidth < slot.scrollWidth - 1);
  };
  parts.toolSlot.addEventListener("scroll", markOverflow);
  new ResizeObserver(markOverflow).observe(parts.toolSlot);
  new MutationObserver(markOverflow).observe(parts.toolSlot, { childList: true, subtree: true, attributes: true });
  root.append(toolbar(parts, actions));
  root.append(el("div", { className: "vx-grid" }, ...parts.panes.map((p) => p.pane), parts.pane3d.pane));
  root.append(el("div", { className: "vx-footer" }, parts.hoverText, parts.statusText,
    el("span", { className: "vx-help" }, HELP)));
  return parts;
}

/** Sizes the viewer to the window: from its top edge down to the window's bottom (and the sidebar beside it the
 * same), again whenever the window or what stands above it (a title that wraps, a panel that opens) changes. */
export function fitToWindow(root) {
  const sidebar = document.querySelector(".vx-sidebar");
  const available = (node) => {
    const top = node.getBoundingClientRect().top + window.scrollY;
    return `${Math.max(MIN_HEIGHT, Math.floor(window.innerHeight - top - BOTTOM_MARGIN))}px`;
  };
  const fit = () => {
    const height = available(root);
    if (root.style.height !== height) root.style.height = height;
    if (sidebar && window.matchMedia("(min-width: 901px)").matches) { // beside the viewer, not below it
      const max = available(sidebar);
      if (sidebar.style.maxHeight !== max) sidebar.style.maxHeight = max;
    }
  };
  fit();
  window.addEventListener("resize", fit);
  // The body's size changes with whatever moves the viewer down; setting the same height again changes nothing.
  new ResizeObserver(fit).observe(document.body);
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
