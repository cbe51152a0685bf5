// The sidebar's layer list: per layer a visibility box and a small panel. Image layers: opacity, brightness,
// contrast and a colour (tint). Segmentation layers (an annotation's volume layers too): opacity, "only the active
// segment", the active segment (a click on a plane picks the one under the pointer) and "Load mesh" with the
// loaded meshes listed.
// The looks are remembered per dataset in the browser (layer_looks.js).

import { DEFAULT_LOOK, idText, segmentCss } from "./colors.js";
import { saveLooks } from "./layer_looks.js";
import { parseSegmentId } from "./meshes.js";
import { el } from "/static/common.js";

/** Fills `container` with one row per layer of `viewer`; any change redraws and is remembered. */
export function buildLayerControls(container, viewer) {
  const changed = () => {
    saveLooks(viewer.layers, viewer.datasetId);
    viewer.requestRender();
  };
  container.replaceChildren(...viewer.layers.map((layer) => layerRow(layer, viewer, changed)));
  updateSegmentControls(container, viewer);
}

function layerRow(layer, viewer, changed) {
  const box = el("input", { type: "checkbox", checked: layer.visible, disabled: !layer.usable,
    dataset: { layerToggle: layer.id } });
  box.addEventListener("change", () => {
    layer.visible = box.checked;
    changed();
  });
  const badge = layer.volume ? "annotation" : layer.category;
  const row = el("li", { className: "vx-layer", dataset: { layer: layer.id } },
    el("label", { className: "check" }, box, el("span", { className: "vx-layer-name" }, layer.name),
      el("span", { className: `badge ${layer.category}` }, badge),
      el("span", { className: "vx-layer-class" }, layer.elementClass)));
  if (layer.problem) row.append(el("p", { className: "hint" }, layer.problem));
  if (!layer.usable) return row;
  const panel = el("div", { className: "vx-layer-panel" },
    slider(layer, "opacity", "Opacity", { min: 0, max: 1, step: 0.05 }, changed, "layerOpacity"));
  if (layer.category === "segmentation") panel.append(...segmentationControls(layer, viewer, changed));
  else panel.append(...imageControls(layer, changed));
  row.append(panel);
  return row;
}

function slider(layer, key, label, { min, max, step }, changed, data) {
  const fallback = key === "opacity" ? 1 : DEFAULT_LOOK[key];
  const input = el("input", { type: "range", min: String(min), max: String(max), step: String(step),
    value: String(layer[key] ?? fallback), className: "vx-opacity", title: label,
    "aria-label": `${label} of ${layer.name}`, dataset: { [data]: layer.id } });
  input.addEventListener("input", () => {
    layer[key] = Number(input.value);
    changed();
  });
  return el("label", { className: "vx-opacity-row" }, el("span", {}, label), input);
}

function imageControls(layer, changed) {
  const tint = el("input", { type: "color", value: layer.tint || DEFAULT_LOOK.tint, className: "vx-tint",
    "aria-label": `Colour of ${layer.name}`, dataset: { layerTint: layer.id } });
  tint.addEventListener("input", () => {
    layer.tint = tint.value;
    changed();
  });
  const rows = [
    slider(layer, "brightness", "Brightness", { min: -1, max: 1, step: 0.02 }, changed, "layerBrightness"),
    slider(layer, "contrast", "Contrast", { min: 0, max: 4, step: 0.05 }, changed, "layerContrast"),
  ];
  const reset = el("button", { type: "button", className: "button small", textContent: "Reset",
    title: "Back to the data's own brightness, contrast and grey", dataset: { layerReset: layer.id } });
  const panel = el("label", { className: "vx-opacity-row" }, el("span", {}, "Colour"), tint, reset);
  reset.addEventListener("click", () => {
    Object.assign(layer, DEFAULT_LOOK, { opacity: 1 });
    const row = reset.closest(".vx-layer");
    for (const input of row.querySelectorAll("input[type=range]")) {
      const key = Object.keys(input.dataset)[0].replace(/^layer/, "").toLowerCase();
      input.value = String(layer[key]);
    }
    tint.value = layer.tint;
    changed();
  });
  return [...rows, panel];
}

function segmentationControls(layer, viewer, changed) {
  const only = el("input", { type: "checkbox", checked: Boolean(layer.onlyActive),
    dataset: { layerOnlyActive: layer.id } });
  only.addEventListener("change", () => {
    layer.onlyActive = only.checked;
    changed();
  });
  const active = el("span", { className: "vx-active-segment", dataset: { activeSegment: layer.id } });
  const parts = [
    el("label", { className: "check vx-opacity-row" }, only, el("span", {}, "Only the active segment")),
    el("p", { className: "vx-opacity-row" }, el("span", {}, "Active"), active),
  ];
  parts.push(meshControls(layer, viewer));
  return parts;
}

function meshControls(layer, viewer) {
  const input = el("input", { type: "text", inputMode: "numeric", className: "vx-mesh-id", placeholder: "segment id",
    "aria-label": `Segment of ${layer.name} to mesh`, dataset: { meshSegment: layer.id } });
  const button = el("button", { type: "button", className: "button small", textContent: "Load mesh",
    title: "Mesh this segment (computed on the server at a coarse mag) and show it in the 3D view",
    dataset: { loadMesh: layer.id } });
  const list = el("ul", { className: "vx-meshes", dataset: { meshes: layer.id } });
  const status = el("p", { className: "hint vx-mesh-status", dataset: { meshStatus: layer.id } });
  button.addEventListener("click", () => {
    const segment = parseSegmentId(input.value);
    if (!segment) {
      status.textContent = "Pick a segment (click it in a plane) or type its id.";
      return;
    }
    status.textContent = "";
    viewer.meshes.load(layer, segment);
  });
  return el("div", { className: "vx-mesh-controls" }, el("div", { className: "vx-opacity-row" }, input, button),
    status, list);
}

/** The active segment's id in each segmentation panel (and as the mesh box's suggestion), and the mesh lists. */
export function updateSegmentControls(container, viewer) {
  const active = viewer.activeSegment;
  const text = active ? idText(...active) : "none (click a segment)";
  for (const span of container.querySelectorAll("[data-active-segment]")) {
    span.replaceChildren(active ? el("span", { className: "vx-swatch", style: `background: ${segmentCss(...active)}` }) : "",
      text);
  }
  for (const input of container.querySelectorAll("[data-mesh-segment]")) {
    if (active && document.activeElement !== input && input.dataset.picked !== text) {
      input.value = text;
      input.dataset.picked = text;
    }
  }
  for (const list of container.querySelectorAll("[data-meshes]")) {
    const meshes = viewer.meshes.list.filter((m) => m.layer === list.dataset.meshes);
    list.replaceChildren(...meshes.map((m) => meshRow(m, viewer)));
  }
}

function meshRow(mesh, viewer) {
  const remove = el("button", { type: "button", className: "button small vx-mesh-remove", textContent: "Remove",
    title: "Remove this mesh from the 3D view" });
  remove.addEventListener("click", () => viewer.meshes.remove(mesh.key));
  const state = mesh.state === "ready" ? `${mesh.triangles.length / 3} triangles, mag ${mesh.mag}`
    : mesh.state === "loading" ? "loading…" : mesh.error;
  return el("li", { dataset: { mesh: mesh.id, state: mesh.state } },
    el("span", { className: "vx-swatch", style: `background: rgb(${mesh.rgb.join(", ")})` }),
    `segment ${mesh.id} · ${state} `, remove);
}
