// The viewer: three orthogonal planes (XY, YZ, XZ) fed bucket by bucket, plus a 3D box with the skeleton.
//
//   const viewer = new Viewer(root, { api, datasetId, dataSource, layerList });
//   viewer.setSkeleton(skeleton);            // optional (annotation page)
//   viewer.onVoxelClick = (voxel, plane, event) => true;   // a tool may take clicks (answer true)
//   viewer.onVoxelDrag = (phase, voxel, plane, event) => true;   // …or drags: "start" answers whether it takes
//                                                              // the drag, then "move"s and an "end" follow
//   viewer.planeOverlay = (ctx, view, hovered) => {};   // drawn last on each plane (a brush outline)
//   viewer.addLayer(layer);                  // an annotation's volume layer on top of the dataset's
//   viewer.addEventListener("change", …);   // position, zoom or active node changed
//
// The page modules (dataset_page.js, annotation_page.js) create it; this module knows nothing of pages.

import { BucketLoader } from "./buckets.js";
import { idText, segmentCss } from "./colors.js";
import { datasetBox, magLabel, pickMag, readLayers, readScale } from "./layers.js";
import { AXES, PLANES, planeView } from "./planes.js";
import { drawSkeleton3d, drawSkeletonInPlane } from "./skeleton.js";
import { fillSlice, sampleValue, sliceExtent } from "./slice.js";
import { formatHash, parseHash } from "./url_state.js";
import { el } from "/static/common.js";

const ZOOM_STEP = 1.15;
const HASH_DELAY_MS = 250;
const CLICK_SLOP = 4;

function formatNumber(v) {
  return Number.isInteger(v) ? String(v) : v.toFixed(1);
}

export class Viewer extends EventTarget {
  constructor(root, { api, datasetId, dataSource, layerList = null }) {
    super();
    this.root = root;
    this.api = api;
    this.datasetId = datasetId;
    this.layers = readLayers(dataSource);
    this.scale = readScale(dataSource);
    const factor = this.scale ? this.scale.factor : [1, 1, 1];
    const smallest = Math.min(...factor);
    this.relScale = factor.map((f) => f / smallest);
    this.box = datasetBox(this.layers.filter((l) => l.usable));
    this.skeleton = null;
    this.onVoxelClick = null;
    this.onVoxelDrag = null;
    this.planeOverlay = null;
    this.hoverPlane = null;
    this.activePlane = PLANES[0];
    this.hover = null;
    this.error = null;
    this.loader = new BucketLoader(api, datasetId, {
      onLoaded: () => this.requestRender(),
      onError: (error, layer) => {
        this.error = `Could not load ${layer.name}: ${error.message}`;
      },
    });
    const coarsest = Math.max(1, ...this.layers.flatMap((l) => l.mags.map((m) => Math.max(...m))));
    this.minZoom = 0.05;
    this.maxZoom = coarsest * 8;
    this.rotation3d = { yaw: -0.65, pitch: 0.45, scale: 1 };
    this.lastHash = "";
    this.hashTimer = null;
    this.frame = null;
    this.build(layerList);
    this.resetView();
    this.readHash();
    this.bindEvents();
  }

  // ---- view state --------------------------------------------------------------------------------------

  defaultView() {
    const centre = this.box.min.map((v, i) => Math.floor((v + this.box.max[i]) / 2));
    return { position: centre, zoom: 1, activeNode: null };
  }

  resetView() {
    const view = this.defaultView();
    this.position = view.position;
    this.zoom = view.zoom;
    this.activeNodeFromHash = null;
    this.changed();
  }

  /** Reads the address bar's hash; a malformed one gives the default view. Answers whether it was usable. */
  readHash(hash = window.location.hash) {
    const state = parseHash(hash);
    if (!state) {
      this.resetView();
      this.writeHashNow();
      return false;
    }
    this.position = state.position.slice();
    this.zoom = Math.min(this.maxZoom, Math.max(this.minZoom, state.zoom));
    this.activeNodeFromHash = state.activeNode;
    if (this.skeleton && state.activeNode !== null && this.skeleton.nodes.has(state.activeNode)) {
      this.skeleton.activeNodeId = state.activeNode;
    }
    this.lastHash = hash;
    this.changed();
    this.writeHashNow(); // at once in its canonical form: the JSON form becomes x,y,z,mode,zoom
    return true;
  }

  hash() {
    const activeNode = this.skeleton ? this.skeleton.activeNodeId : this.activeNodeFromHash;
    return formatHash({ position: this.position, mode: 0, zoom: this.zoom, activeNode: activeNode ?? null });
  }

  writeHashNow() {
    clearTimeout(this.hashTimer);
    this.hashTimer = null;
    const hash = this.hash();
    if (hash === window.location.hash) return;
    this.lastHash = hash;
    const url = window.location.pathname + window.location.search + hash;
    window.history.replaceState(window.history.state, "", url);
  }

  setPosition(position) {
    this.position = position.map((v) => Math.round(v * 100) / 100);
    this.changed();
  }

  move(delta) {
    this.setPosition(this.position.map((v, i) => v + (delta[i] || 0)));
  }

  setZoom(zoom) {
    this.zoom = Math.min(this.maxZoom, Math.max(this.minZoom, zoom));
    this.changed();
  }

  /** Something in the view changed: redraw, update the hash soon, tell listeners. */
  changed(writeHash = true) {
    this.requestRender();
    if (writeHash && this.hashTimer === null) {
      this.hashTimer = setTimeout(() => this.writeHashNow(), HASH_DELAY_MS);
    }
    this.dispatchEvent(new Event("change"));
  }

  setSkeleton(skeleton) {
    this.skeleton = skeleton;
    if (skeleton && this.activeNodeFromHash !== null && skeleton.nodes.has(this.activeNodeFromHash)) {
      skeleton.activeNodeId = this.activeNodeFromHash;
    }
    this.threeLabel.textContent = skeleton ? `3D · ${skeleton.nodeCount} nodes` : "3D";
    this.requestRender();
  }

  /**
   * Adds a layer drawn on top of the others. A volume layer painted over a dataset segmentation layer
   * (its fallback) hides that layer, or every segment would be drawn twice with the same colour.
   */
  addLayer(layer) {
    this.layers.push(layer);
    const covered = this.layers.find((l) => !l.volume && l.name === layer.fallbackLayer);
    if (covered && layer.usable) covered.visible = false;
    if (this.layerList) this.buildLayerList(this.layerList);
    this.changed(false);
  }

  // ---- DOM ---------------------------------------------------------------------------------------------

  build(layerList) {
    this.root.classList.add("vx-viewer");
    this.root.replaceChildren();
    this.toolSlot = el("div", { className: "vx-tools" });
    this.positionInput = el("input", {
      type: "text", className: "vx-position", id: "vx-position", spellcheck: false,
      title: "Position x, y, z (type and press Enter to jump)", "aria-label": "Position x, y, z",
    });
    this.zoomText = el("span", { className: "vx-zoom", id: "vx-zoom" });
    this.statusText = el("span", { className: "vx-status", id: "vx-status", role: "status" });
    const zoomOut = el("button", { type: "button", className: "vx-button", title: "Zoom out (wheel, -)", textContent: "−" });
    const zoomIn = el("button", { type: "button", className: "vx-button", title: "Zoom in (wheel, +)", textContent: "+" });
    zoomOut.addEventListener("click", () => this.setZoom(this.zoom * ZOOM_STEP));
    zoomIn.addEventListener("click", () => this.setZoom(this.zoom / ZOOM_STEP));
    const home = el("button", { type: "button", className: "vx-button", title: "Back to the default view", textContent: "⌂" });
    home.addEventListener("click", () => this.resetView());
    this.root.append(el("div", { className: "vx-toolbar" },
      this.toolSlot,
      el("label", { className: "vx-field" }, el("span", {}, "Position"), this.positionInput),
      el("span", { className: "vx-field" }, el("span", {}, "Zoom"), zoomOut, this.zoomText, zoomIn, home),
      this.statusText,
    ));
    this.panes = [];
    const grid = el("div", { className: "vx-grid" });
    for (const plane of PLANES) {
      const canvas = el("canvas", { className: "vx-canvas", dataset: { plane: plane.id } });
      const pane = el("div", { className: "vx-pane", dataset: { plane: plane.id } },
        canvas, el("span", { className: "vx-label", style: `--plane: ${plane.color}` }, plane.label));
      pane.style.setProperty("--plane", plane.color);
      grid.append(pane);
      this.panes.push({ plane, pane, canvas, ctx: canvas.getContext("2d"), width: 0, height: 0, images: new Map() });
    }
    const canvas3d = el("canvas", { className: "vx-canvas", dataset: { plane: "3d" } });
    this.threeLabel = el("span", { className: "vx-label" }, "3D");
    const pane3d = el("div", { className: "vx-pane vx-pane-3d", dataset: { plane: "3d" } }, canvas3d, this.threeLabel);
    grid.append(pane3d);
    this.pane3d = { pane: pane3d, canvas: canvas3d, ctx: canvas3d.getContext("2d"), width: 0, height: 0 };
    this.root.append(grid);
    this.hoverText = el("span", { className: "vx-hover", id: "vx-hover" });
    this.root.append(el("div", { className: "vx-footer" }, this.hoverText,
      el("span", { className: "vx-help" },
        "Drag: move · Wheel: zoom · Shift+wheel, F/D or . / ,: next/previous slice · Arrows: move · Click: set position")));
    this.layerList = layerList;
    if (layerList) this.buildLayerList(layerList);
    const observer = new ResizeObserver(() => this.resize());
    for (const p of [...this.panes, this.pane3d]) observer.observe(p.pane);
    this.resize();
  }

  buildLayerList(container) {
    container.replaceChildren();
    for (const layer of this.layers) {
      const box = el("input", { type: "checkbox", checked: layer.visible, disabled: !layer.usable,
        dataset: { layerToggle: layer.id } });
      box.addEventListener("change", () => {
        layer.visible = box.checked;
        this.requestRender();
      });
      const badge = layer.volume ? "annotation" : layer.category;
      const row = el("li", { className: "vx-layer", dataset: { layer: layer.id } },
        el("label", { className: "check" }, box, el("span", { className: "vx-layer-name" }, layer.name),
          el("span", { className: `badge ${layer.category}` }, badge),
          el("span", { className: "vx-layer-class" }, layer.elementClass)));
      if (layer.category === "segmentation" && layer.usable) {
        const slider = el("input", { type: "range", min: "0", max: "1", step: "0.05", value: String(layer.opacity),
          className: "vx-opacity", title: "Opacity", "aria-label": `Opacity of ${layer.name}`,
          dataset: { layerOpacity: layer.id } });
        slider.addEventListener("input", () => {
          layer.opacity = Number(slider.value);
          this.requestRender();
        });
        row.append(el("label", { className: "vx-opacity-row" }, el("span", {}, "Opacity"), slider));
      }
      if (layer.problem) row.append(el("p", { className: "hint" }, layer.problem));
      container.append(row);
    }
  }

  resize() {
    const dpr = window.devicePixelRatio || 1;
    for (const p of [...this.panes, this.pane3d]) {
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
    }
    this.requestRender();
  }

  // ---- input -------------------------------------------------------------------------------------------

  bindEvents() {
    for (const p of this.panes) this.bindPane(p);
    this.bind3d();
    window.addEventListener("keydown", (e) => this.onKey(e));
    window.addEventListener("hashchange", () => {
      if (window.location.hash !== this.lastHash) this.readHash();
    });
    this.positionInput.addEventListener("keydown", (e) => {
      if (e.key !== "Enter") return;
      const nums = this.positionInput.value.split(/[\s,;]+/).filter(Boolean).map(Number);
      if (nums.length === 3 && nums.every(Number.isFinite)) {
        this.setPosition(nums);
        this.positionInput.blur();
      } else {
        this.positionInput.classList.add("invalid");
      }
    });
    this.positionInput.addEventListener("input", () => this.positionInput.classList.remove("invalid"));
  }

  viewOf(p) {
    return planeView(p.plane, this.position, this.zoom, this.relScale, p.width, p.height);
  }

  bindPane(p) {
    let drag = null;
    const local = (e) => {
      const rect = p.canvas.getBoundingClientRect();
      return [e.clientX - rect.left, e.clientY - rect.top];
    };
    p.canvas.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      this.activePlane = p.plane;
      p.canvas.setPointerCapture(e.pointerId);
      const voxel = this.viewOf(p).toVoxel(...local(e));
      if (this.onVoxelDrag && this.onVoxelDrag("start", voxel, p.plane, e)) {
        drag = { tool: true };
        return;
      }
      drag = { start: local(e), last: local(e), moved: false };
    });
    p.canvas.addEventListener("pointermove", (e) => {
      this.activePlane = p.plane;
      const [x, y] = local(e);
      const view = this.viewOf(p);
      this.setHover(view.toVoxel(x, y), p.plane);
      if (!drag) return;
      if (drag.tool) {
        this.onVoxelDrag("move", view.toVoxel(x, y), p.plane, e);
        return;
      }
      const dx = x - drag.last[0];
      const dy = y - drag.last[1];
      if (!drag.moved && Math.hypot(x - drag.start[0], y - drag.start[1]) < CLICK_SLOP) return;
      drag.moved = true;
      drag.last = [x, y];
      const delta = [0, 0, 0];
      delta[p.plane.u] = -dx / view.pu;
      delta[p.plane.v] = -dy / view.pv;
      this.move(delta);
      p.canvas.classList.add("dragging");
    });
    const end = (e) => {
      if (!drag) return;
      if (drag.tool) {
        drag = null;
        this.onVoxelDrag("end", null, p.plane, e);
        return;
      }
      const wasClick = !drag.moved;
      drag = null;
      p.canvas.classList.remove("dragging");
      if (!wasClick || e.type !== "pointerup") return;
      const [x, y] = local(e);
      const voxel = this.viewOf(p).toVoxel(x, y).map((v, i) => (i === p.plane.w ? v : Math.floor(v)));
      if (this.onVoxelClick && this.onVoxelClick(voxel, p.plane, e)) return;
      this.setPosition(voxel);
    };
    p.canvas.addEventListener("pointerup", end);
    p.canvas.addEventListener("pointercancel", end);
    p.canvas.addEventListener("pointerleave", () => this.setHover(null));
    p.canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.activePlane = p.plane;
      const direction = Math.sign(e.deltaY || e.deltaX);
      if (e.shiftKey) {
        this.moveSlice(p.plane, direction);
      } else {
        this.setZoom(this.zoom * ZOOM_STEP ** direction);
      }
    }, { passive: false });
  }

  bind3d() {
    const p = this.pane3d;
    let drag = null;
    p.canvas.addEventListener("pointerdown", (e) => {
      p.canvas.setPointerCapture(e.pointerId);
      drag = [e.clientX, e.clientY];
    });
    p.canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      this.rotation3d.yaw += (e.clientX - drag[0]) * 0.01;
      this.rotation3d.pitch = Math.max(-1.55, Math.min(1.55, this.rotation3d.pitch + (e.clientY - drag[1]) * 0.01));
      drag = [e.clientX, e.clientY];
      this.requestRender();
    });
    p.canvas.addEventListener("pointerup", () => { drag = null; });
    p.canvas.addEventListener("dblclick", () => {
      this.rotation3d = { yaw: -0.65, pitch: 0.45, scale: 1 };
      this.requestRender();
    });
    p.canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.rotation3d.scale = Math.max(0.2, Math.min(50, this.rotation3d.scale / ZOOM_STEP ** Math.sign(e.deltaY)));
      this.requestRender();
    }, { passive: false });
  }

  /** One slice (in the plane's w axis, at the current mag of the finest visible layer) forward or back. */
  moveSlice(plane, direction, fast = false) {
    const step = Math.max(1, Math.round(this.zoom / this.relScale[plane.w])) * (fast ? 10 : 1);
    const delta = [0, 0, 0];
    delta[plane.w] = direction * step;
    const target = this.position.map((v, i) => v + delta[i]);
    target[plane.w] = Math.floor(target[plane.w]);
    this.setPosition(target);
  }

  onKey(e) {
    const target = e.target;
    if (target instanceof HTMLElement && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    const plane = this.activePlane;
    const step = Math.max(1, Math.round(this.zoom)) * (e.shiftKey ? 10 : 1);
    const delta = [0, 0, 0];
    switch (e.key) {
      case "ArrowLeft": delta[plane.u] = -step; break;
      case "ArrowRight": delta[plane.u] = step; break;
      case "ArrowUp": delta[plane.v] = -step; break;
      case "ArrowDown": delta[plane.v] = step; break;
      case "f": case "F": case ".": this.moveSlice(plane, 1, e.shiftKey); e.preventDefault(); return;
      case "d": case "D": case ",": this.moveSlice(plane, -1, e.shiftKey); e.preventDefault(); return;
      case "+": case "=": case "i": this.setZoom(this.zoom / ZOOM_STEP); e.preventDefault(); return;
      case "-": case "o": this.setZoom(this.zoom * ZOOM_STEP); e.preventDefault(); return;
      default: return;
    }
    e.preventDefault();
    this.move(delta);
  }

  setHover(voxel, plane = null) {
    this.hover = voxel;
    this.hoverPlane = voxel ? plane : null;
    this.updateHover();
    if (this.planeOverlay) this.requestRender();
  }

  updateHover() {
    if (!this.hover) {
      this.hoverText.replaceChildren();
      return;
    }
    const pos = this.hover.map(Math.floor);
    const parts = [el("span", { className: "vx-hover-pos" }, pos.join(", "))];
    for (const layer of this.layers) {
      if (!layer.visible || !layer.usable) continue;
      const mag = pickMag(layer, this.zoom);
      const value = sampleValue(layer, mag, pos, (b) => this.loader.peek(layer, mag, b));
      if (value === null) continue;
      if (layer.category === "segmentation") {
        const [lo, hi] = Array.isArray(value) ? value : [value, 0];
        const text = idText(lo, hi);
        parts.push(el("span", {}, `${layer.name}: `,
          lo || hi ? el("span", { className: "vx-swatch", style: `background: ${segmentCss(lo, hi)}` }) : null,
          lo || hi ? `segment ${text}` : "none"));
      } else {
        const text = Array.isArray(value)
          ? (value.length === 2 ? idText(value[0], value[1]) : `rgb(${value.join(", ")})`)
          : formatNumber(value);
        parts.push(el("span", {}, `${layer.name}: ${text}`));
      }
    }
    this.hoverText.replaceChildren(...parts);
  }

  // ---- drawing -----------------------------------------------------------------------------------------

  requestRender() {
    if (this.frame !== null) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = null;
      this.render();
    });
  }

  render() {
    this.loader.clearQueue();
    let tooLarge = false;
    for (const p of this.panes) tooLarge = this.renderPane(p) || tooLarge;
    this.render3d();
    this.loader.flush();
    this.updateReadout(tooLarge);
  }

  updateReadout(tooLarge) {
    if (document.activeElement !== this.positionInput) {
      this.positionInput.value = this.position.map((v) => Math.floor(v)).join(", ");
    }
    const mags = [...new Set(this.layers.filter((l) => l.visible && l.usable).map((l) => magLabel(pickMag(l, this.zoom))))];
    this.zoomText.textContent = `${formatNumber(Math.round(this.zoom * 100) / 100)} · mag ${mags.join(", ") || "–"}`;
    const pending = this.loader.pending;
    let status = "";
    let kind = "ok";
    if (!this.layers.some((l) => l.usable)) {
      status = "This dataset has no layer that can be shown.";
      kind = "error";
    } else if (tooLarge) {
      status = "Zoomed out too far for the available magnifications";
      kind = "warn";
    } else if (pending) {
      status = `Loading ${pending} bucket${pending === 1 ? "" : "s"}…`;
      kind = "busy";
    } else if (this.error) {
      status = this.error;
      kind = "error";
    }
    this.statusText.textContent = status;
    this.statusText.dataset.kind = kind;
    this.root.dataset.pending = String(pending);
    this.root.dataset.loaded = String(pending === 0 && this.loader.received > 0);
    this.updateHover();
  }

  renderPane(p) {
    const dpr = p.canvas.width / Math.max(1, p.width);
    const ctx = p.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.imageSmoothingEnabled = false;
    ctx.globalCompositeOperation = "source-over";
    ctx.globalAlpha = 1;
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, p.width, p.height);
    const view = this.viewOf(p);
    let tooLarge = false;
    let colourDrawn = false;
    for (const layer of this.layers) {
      if (!layer.visible || !layer.usable) continue;
      const segmentation = layer.category === "segmentation";
      ctx.globalAlpha = segmentation ? layer.opacity : 1;
      ctx.globalCompositeOperation = !segmentation && colourDrawn ? "lighter" : "source-over";
      tooLarge = this.drawLayer(p, view, layer) || tooLarge;
      if (!segmentation) colourDrawn = true;
    }
    ctx.globalAlpha = 1;
    ctx.globalCompositeOperation = "source-over";
    this.drawBox(ctx, view);
    if (this.skeleton) drawSkeletonInPlane(ctx, view, this.skeleton, this.relScale);
    this.drawCrosshair(ctx, view);
    if (this.planeOverlay) this.planeOverlay(ctx, view, this.hoverPlane === p.plane ? this.hover : null);
    return tooLarge;
  }

  /** Draws a layer's slice; where the mag's buckets are still loading, cached coarser mags show through. */
  drawLayer(p, view, layer) {
    const mag = pickMag(layer, this.zoom);
    const extent = sliceExtent(view, layer, mag);
    if (!extent) return false;
    if (extent.tooLarge) return true;
    const image = this.sliceImage(p, layer, mag, extent, (pos) => this.loader.get(layer, mag, pos));
    if (image.missing) {
      const coarser = layer.mags.filter((m) => m !== mag && m.every((v, i) => v >= mag[i]));
      for (const m of coarser.reverse()) {
        const e = sliceExtent(view, layer, m);
        if (!e || e.tooLarge) continue;
        const fallback = this.sliceImage(p, layer, m, e, (pos) => this.loader.peek(layer, m, pos), "fallback");
        this.blit(p, view, fallback, m, e);
      }
    }
    this.blit(p, view, image, mag, extent);
    return false;
  }

  sliceImage(p, layer, mag, extent, getBucket, slot = "main") {
    const width = extent.u1 - extent.u0;
    const height = extent.v1 - extent.v0;
    const key = `${layer.id}|${slot}`;
    let entry = p.images.get(key);
    if (!entry || entry.canvas.width !== width || entry.canvas.height !== height) {
      const canvas = document.createElement("canvas");
      canvas.width = width;
      canvas.height = height;
      const image = new ImageData(width, height);
      entry = { canvas, ctx: canvas.getContext("2d"), image, pixels: new Uint32Array(image.data.buffer) };
      p.images.set(key, entry);
    }
    entry.pixels.fill(0);
    entry.missing = fillSlice(this.viewOf(p), layer, mag, extent, entry.pixels, getBucket);
    entry.ctx.putImageData(entry.image, 0, 0);
    return entry;
  }

  blit(p, view, entry, mag, extent) {
    const { u, v } = view.plane;
    const x = (extent.u0 * mag[u] - view.position[u]) * view.pu + view.width / 2;
    const y = (extent.v0 * mag[v] - view.position[v]) * view.pv + view.height / 2;
    const w = (extent.u1 - extent.u0) * mag[u] * view.pu;
    const h = (extent.v1 - extent.v0) * mag[v] * view.pv;
    p.ctx.drawImage(entry.canvas, x, y, w, h);
  }

  drawBox(ctx, view) {
    const [x0, y0] = view.toScreen(this.box.min);
    const [x1, y1] = view.toScreen(this.box.max);
    ctx.strokeStyle = "rgba(255,255,255,.25)";
    ctx.lineWidth = 1;
    ctx.setLineDash([4, 4]);
    ctx.strokeRect(Math.round(x0) + 0.5, Math.round(y0) + 0.5, Math.round(x1 - x0), Math.round(y1 - y0));
    ctx.setLineDash([]);
  }

  drawCrosshair(ctx, view) {
    const { plane } = view;
    const cx = Math.round(view.width / 2) + 0.5;
    const cy = Math.round(view.height / 2) + 0.5;
    const byNormal = (axis) => PLANES.find((q) => q.w === axis).color;
    ctx.lineWidth = 1;
    ctx.globalAlpha = 0.8;
    ctx.strokeStyle = byNormal(plane.u); // the plane whose normal is u appears as a vertical line
    ctx.beginPath();
    ctx.moveTo(cx, cy - 14); ctx.lineTo(cx, cy - 4);
    ctx.moveTo(cx, cy + 4); ctx.lineTo(cx, cy + 14);
    ctx.stroke();
    ctx.strokeStyle = byNormal(plane.v);
    ctx.beginPath();
    ctx.moveTo(cx - 14, cy); ctx.lineTo(cx - 4, cy);
    ctx.moveTo(cx + 4, cy); ctx.lineTo(cx + 14, cy);
    ctx.stroke();
    ctx.globalAlpha = 1;
  }

  /** Projection of mag-1 positions into the 3D box: [x, y, depth]. */
  projector(width, height) {
    const { yaw, pitch, scale } = this.rotation3d;
    const rel = this.relScale;
    const centre = this.box.min.map((v, i) => ((v + this.box.max[i]) / 2) * rel[i]);
    const size = this.box.max.map((v, i) => (v - this.box.min[i]) * rel[i]);
    const fit = (Math.min(width, height) * 0.8) / Math.max(1, Math.hypot(...size)) * scale;
    const cy = Math.cos(yaw);
    const sy = Math.sin(yaw);
    const cp = Math.cos(pitch);
    const sp = Math.sin(pitch);
    return (p) => {
      const x = p[0] * rel[0] - centre[0];
      const y = p[1] * rel[1] - centre[1];
      const z = p[2] * rel[2] - centre[2];
      const x1 = x * cy - z * sy;
      const z1 = x * sy + z * cy;
      const y2 = y * cp - z1 * sp;
      const z2 = y * sp + z1 * cp;
      return [width / 2 + fit * x1, height / 2 + fit * y2, z2];
    };
  }

  render3d() {
    const p = this.pane3d;
    const dpr = p.canvas.width / Math.max(1, p.width);
    const ctx = p.ctx;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.fillStyle = "#0b1020";
    ctx.fillRect(0, 0, p.width, p.height);
    const project = this.projector(p.width, p.height);
    const { min, max } = this.box;
    const corner = (i) => [i & 1 ? max[0] : min[0], i & 2 ? max[1] : min[1], i & 4 ? max[2] : min[2]];
    ctx.strokeStyle = "rgba(203, 213, 225, .45)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    for (let i = 0; i < 8; i++) {
      for (const bit of [1, 2, 4]) {
        if (i & bit) continue;
        const a = project(corner(i));
        const b = project(corner(i | bit));
        ctx.moveTo(a[0], a[1]);
        ctx.lineTo(b[0], b[1]);
      }
    }
    ctx.stroke();
    // The three planes through the current position.
    for (const plane of PLANES) {
      const w = Math.min(max[plane.w], Math.max(min[plane.w], this.position[plane.w]));
      const quad = [[min[plane.u], min[plane.v]], [max[plane.u], min[plane.v]], [max[plane.u], max[plane.v]],
        [min[plane.u], max[plane.v]]].map(([a, b]) => {
        const q = [0, 0, 0];
        q[plane.u] = a; q[plane.v] = b; q[plane.w] = w;
        return project(q);
      });
      ctx.beginPath();
      quad.forEach(([x, y], i) => (i ? ctx.lineTo(x, y) : ctx.moveTo(x, y)));
      ctx.closePath();
      ctx.globalAlpha = 0.12;
      ctx.fillStyle = plane.color;
      ctx.fill();
      ctx.globalAlpha = 0.9;
      ctx.strokeStyle = plane.color;
      ctx.stroke();
      ctx.globalAlpha = 1;
    }
    if (this.skeleton) drawSkeleton3d(ctx, this.skeleton, project);
    this.threeLabel.textContent = this.skeleton ? `3D · ${this.skeleton.nodeCount} nodes` : "3D";
    // axis hints
    ctx.font = "11px system-ui, sans-serif";
    ctx.fillStyle = "rgba(203, 213, 225, .8)";
    const origin = project(min);
    AXES.forEach((name, i) => {
      const tip = min.slice();
      tip[i] = min[i] + (max[i] - min[i]) * 0.18;
      const t = project(tip);
      ctx.fillText(name, t[0] + (t[0] - origin[0]) * 0.15 + 2, t[1] + (t[1] - origin[1]) * 0.15 + 4);
    });
    if (!this.skeleton) {
      ctx.fillStyle = "rgba(203, 213, 225, .6)";
      ctx.fillText("No skeleton", 10, p.height - 10);
    }
  }
}
