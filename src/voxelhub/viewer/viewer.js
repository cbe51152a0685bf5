// The viewer: three orthogonal planes (XY, YZ, XZ) fed bucket by bucket, plus a 3D box with the skeleton.
//
//   const viewer = new Viewer(root, { api, datasetId, dataSource, layerList, startView });
//                                            // startView {position, zoom, rotation}: where a link without a
//                                            // view (no `#…`) opens, e.g. where an annotation's owner last worked
//   viewer.setSkeleton(skeleton);            // optional (annotation page)
//   viewer.onVoxelClick = (voxel, plane, event) => true;   // a tool may take clicks (answer true)
//   viewer.onVoxelDrag = (phase, voxel, plane, event) => true;   // …or drags: "start" answers whether it takes
//                                                              // the drag, then "move"s and an "end" follow
//   viewer.planeOverlay = (ctx, view, hovered) => {};   // drawn last on each plane (a brush outline)
//   viewer.addLayer(layer);                  // an annotation's volume layer on top of the dataset's
//   viewer.addEventListener("change", …);   // position, zoom or active node changed
//
// The page modules (dataset_page.js, annotation_page.js) create it; this module knows nothing of pages. It holds
// the view (position, zoom, the address bar's hash) and composes the rest: buckets.js loads the data,
// viewer_layout.js builds the elements, viewer_input.js binds the input, plane_render.js and view3d.js paint,
// readout.js words the status and the values under the pointer; layer_controls.js is the sidebar's layer list,
// segment_hover.js the hovered and active segment, meshes.js the segment meshes of the 3D view.

import { BucketLoader } from "./buckets.js";
import { buildLayerControls, updateSegmentControls } from "./layer_controls.js";
import { restoreLooks } from "./layer_looks.js";
import { datasetBox, readLayers, readScale } from "./layers.js";
import { MeshStore } from "./meshes.js";
import {
  boxCentre, clampZoom, maxZoom, outsideText, planeOutside, relativeScale, roundPosition, sliceTarget, zoomed,
} from "./navigation.js";
import { renderPane } from "./plane_render.js";
import { planeTextures } from "./plane_textures.js";
import { PLANES, planeView } from "./planes.js";
import { hoverValues, positionText, viewerStatus, zoomText } from "./readout.js";
import { bindSegmentPick, showSegmentTip } from "./segment_hover.js";
import { formatHash, parseHash } from "./url_state.js";
import { defaultRotation, draw3d } from "./view3d.js";
import { bindInput } from "./viewer_input.js";
import { buildLayout, fitToWindow, resizePanes, showHover, showOutside } from "./viewer_layout.js";

const HASH_DELAY_MS = 250;

export class Viewer extends EventTarget {
  constructor(root, { api, datasetId, dataSource, layerList = null, startView = null }) {
    super();
    this.startView = startView;
    this.root = root;
    this.api = api;
    this.datasetId = datasetId;
    this.layers = readLayers(dataSource);
    restoreLooks(this.layers, datasetId);
    this.activeSegment = null; // [lo, hi] of the segment last clicked (or set by the page)
    this.meshes = new MeshStore(api, datasetId, () => {
      if (this.layerList) updateSegmentControls(this.layerList, this);
      this.requestRender();
    });
    this.textures = new Map(); // the 3D view's plane images, per plane
    this.scale = readScale(dataSource);
    this.relScale = relativeScale(this.scale);
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
    this.maxZoom = maxZoom(this.layers);
    this.rotation3d = defaultRotation();
    this.lastHash = "";
    this.hashTimer = null;
    this.frame = null;
    this.build(layerList);
    this.resetView();
    this.readHash();
    bindInput(this);
    bindSegmentPick(this);
  }

  // ---- view state --------------------------------------------------------------------------------------

  /** The view of a link without one: `view` (by default the start view), else the dataset's centre. */
  resetView(view = this.startView) {
    this.position = view ? roundPosition(view.position) : boxCentre(this.box);
    this.zoom = view && view.zoom ? clampZoom(view.zoom, this.maxZoom) : 1;
    this.rotation = view && view.rotation ? view.rotation.slice() : [0, 0, 0];
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
    this.zoom = clampZoom(state.zoom, this.maxZoom);
    this.rotation = state.rotation.slice();
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
    return formatHash({ position: this.position, mode: 0, zoom: this.zoom, rotation: this.rotation,
      activeNode: activeNode ?? null });
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
    this.position = roundPosition(position);
    this.changed();
  }

  move(delta) {
    this.setPosition(this.position.map((v, i) => v + (delta[i] || 0)));
  }

  /** One slice (in the plane's w axis, at the current zoom) forward or back. */
  moveSlice(plane, direction, fast = false) {
    this.setPosition(sliceTarget(this.position, plane, this.zoom, this.relScale, direction, fast));
  }

  setZoom(zoom) {
    this.zoom = clampZoom(zoom, this.maxZoom);
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
    this.updateThreeLabel();
    this.requestRender();
  }

  /**
   * Adds a layer drawn on top of the others. A volume layer painted over a dataset segmentation layer
   * (its fallback) hides that layer, or every segment would be drawn twice with the same colour.
   */
  addLayer(layer) {
    this.layers.push(layer);
    restoreLooks([layer], this.datasetId);
    const covered = this.layers.find((l) => !l.volume && l.name === layer.fallbackLayer);
    if (covered && layer.usable) covered.visible = false;
    if (this.layerList) this.buildLayerList();
    this.changed(false);
  }

  // ---- elements ----------------------------------------------------------------------------------------

  build(layerList) {
    const parts = buildLayout(this.root, {
      zoomOut: () => this.setZoom(zoomed(this.zoom, "out")),
      zoomIn: () => this.setZoom(zoomed(this.zoom, "in")),
      home: () => this.resetView(null),
      toData: () => this.setPosition(boxCentre(this.box)),
    });
    fitToWindow(this.root);
    this.toolSlot = parts.toolSlot;
    this.positionInput = parts.positionInput;
    this.zoomText = parts.zoomText;
    this.statusText = parts.statusText;
    this.hoverText = parts.hoverText;
    this.panes = parts.panes;
    this.pane3d = parts.pane3d;
    this.threeLabel = parts.pane3d.label;
    this.layerList = layerList;
    if (layerList) this.buildLayerList();
    const observer = new ResizeObserver(() => this.resize());
    for (const p of [...this.panes, this.pane3d]) observer.observe(p.pane);
    this.resize();
  }

  buildLayerList() {
    buildLayerControls(this.layerList, this);
  }

  /** Makes segment [lo, hi] (or null) the active one: "only the active segment" and "Load mesh" use it. */
  setActiveSegment(segment) {
    this.activeSegment = segment ? [segment[0] >>> 0, (segment[1] || 0) >>> 0] : null;
    if (this.layerList) updateSegmentControls(this.layerList, this);
    this.requestRender();
    this.dispatchEvent(new Event("segment"));
  }

  resize() {
    resizePanes([...this.panes, this.pane3d]);
    this.requestRender();
  }

  viewOf(p) {
    return planeView(p.plane, this.position, this.zoom, this.relScale, p.width, p.height);
  }

  setHover(voxel, plane = null) {
    this.hover = voxel;
    this.hoverPlane = voxel ? plane : null;
    this.updateHover();
    if (this.planeOverlay) this.requestRender();
  }

  updateHover() {
    const pos = this.hover ? this.hover.map(Math.floor) : null;
    const values = pos ? hoverValues(this.layers, this.zoom, pos, (...at) => this.loader.peek(...at)) : [];
    showHover(this.hoverText, pos, values);
    showSegmentTip(this);
  }

  updateThreeLabel() {
    const n = this.skeleton ? this.skeleton.nodeCount : 0;
    this.threeLabel.textContent = this.skeleton ? `3D · ${n} ${n === 1 ? "node" : "nodes"}` : "3D";
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
    this.loader.focus = this.position;
    const scene = {
      layers: this.layers, zoom: this.zoom, loader: this.loader, box: this.box, skeleton: this.skeleton,
      relScale: this.relScale, overlay: this.planeOverlay, hover: this.hover, hoverPlane: this.hoverPlane,
      activeSegment: this.activeSegment,
    };
    let tooLarge = false;
    for (const p of this.panes) {
      const view = this.viewOf(p);
      tooLarge = renderPane(p, view, scene) || tooLarge;
      showOutside(p, planeOutside(view, this.box) ? outsideText(this.position, this.box) : null);
    }
    // The 3D view's images load only once the planes have what they need: they never delay the first screen.
    const read = this.loader.pending ? "peek" : "get";
    draw3d(this.pane3d, { box: this.box, position: this.position, skeleton: this.skeleton,
      rotation: this.rotation3d, relScale: this.relScale, meshes: this.meshes.ready, meshVersion: this.meshes.version,
      textures: planeTextures(this.textures, PLANES, { ...scene, position: this.position, read }) });
    this.updateThreeLabel();
    this.loader.flush();
    this.updateReadout(tooLarge);
  }

  updateReadout(tooLarge) {
    if (document.activeElement !== this.positionInput) this.positionInput.value = positionText(this.position);
    this.zoomText.textContent = zoomText(this.zoom, this.layers);
    const pending = this.loader.pending;
    const status = viewerStatus({ layers: this.layers, tooLarge, pending, error: this.error });
    this.statusText.textContent = status.text;
    this.statusText.dataset.kind = status.kind;
    this.root.dataset.pending = String(pending);
    this.root.dataset.loaded = String(pending === 0 && this.loader.received > 0);
    if (pending === 0 && this.loader.received > 0 && !this.root.dataset.firstScreenMs) {
      // Every bucket of the first view is drawn: bench/bench_first_screen.py reads this (ms since navigation).
      this.root.dataset.firstScreenMs = String(Math.round(performance.now()));
      performance.mark("voxelhub-first-screen");
    }
    this.updateHover();
  }
}
