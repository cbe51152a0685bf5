// The annotation page's volume layers: each drawn like a segmentation layer on top of the dataset's (whose place
// it takes when that is its fallback), a segments list in the sidebar, and for the owner the brush tool and
// "Add volume layer". As in webKnossos, one layer is the active one: the brush paints into it, with a segment id
// of its own. Painting and saving are volume.js's business.

import { segmentCss } from "./colors.js";
import { readVolumeLayer } from "./layers.js";
import { VolumeEditor, VolumeSaver, volumeBase } from "./volume.js";
import { atVersion } from "./version_preview.js";
import { el } from "/static/common.js";

const TWO_32 = 4294967296;
const MAX_RADIUS = 20;
const LARGEST_ID = { uint8: 255, uint16: 65535, uint32: TWO_32 - 1, uint64: Number.MAX_SAFE_INTEGER };

function idCss(id) {
  return segmentCss(id % TWO_32, Math.floor(id / TWO_32));
}

/** The annotation's volume layers in the page, and which of them the brush paints into. */
export class VolumeLayers {
  constructor({ viewer, api, annotationId, segmentList, editable, turns, onState, onFailure, version = null }) {
    this.viewer = viewer;
    this.version = version; // a previewed earlier version (read only), or null for the current one
    this.api = api;
    this.annotationId = annotationId;
    this.segmentList = segmentList;
    this.editable = editable;
    this.turns = turns;
    this.onState = onState;
    this.onFailure = onFailure;
    this.entries = []; // {json, layer, editor, saver, segmentSaves, activeId}
    this.chosen = null; // the entry picked in the brush's "Layer" select or the segments list
    this.onChange = () => {};
  }

  /** The layer the brush paints into: the chosen one, or until a choice the first one that can be drawn. */
  get active() {
    if (this.chosen && this.chosen.layer.usable) return this.chosen;
    return this.entries.find((e) => e.layer.usable) ?? null;
  }

  /** The segment id the brush paints with, the active layer's own (ids mean different things in each layer). */
  get activeId() {
    return this.active?.activeId ?? 1;
  }

  add(json) {
    const path = atVersion(`/data${volumeBase(this.annotationId, json.name)}/buckets`, this.version);
    const layer = readVolumeLayer(json, path);
    if (!layer) return null;
    const entry = { json, layer, segmentSaves: Promise.resolve(), activeId: 1 };
    if (this.editable) {
      entry.saver = new VolumeSaver(this.api, this.annotationId, layer, this.viewer, this.turns,
        { onState: this.onState, onFailure: this.onFailure });
      entry.editor = new VolumeEditor(this.viewer, this.api, layer, {
        onPainted: (key, pos, data) => entry.saver.mark(key, pos, data),
        onError: (error) => this.onState(`Could not paint: ${error.message}`, "error"),
      });
    }
    this.entries.push(entry);
    this.viewer.addLayer(layer);
    this.renderSegments();
    return entry;
  }

  /** After a reload: the server's segments and buckets replace the page's, unsaved paint is dropped. */
  reload(jsonLayers) {
    for (const entry of this.entries) {
      const fresh = (jsonLayers || []).find((j) => j.name === entry.json.name);
      if (fresh) entry.json = fresh;
      if (entry.saver) entry.saver.discard();
      this.viewer.loader.forgetLayer(entry.layer);
    }
    this.renderSegments();
    this.viewer.requestRender();
  }

  largestId(entry) {
    const ids = entry.json.segments.map((s) => s.id);
    return Math.max(Number(entry.json.largestSegmentId) || 0, ...ids);
  }

  maxId(entry) {
    return LARGEST_ID[entry.layer.elementClass] ?? LARGEST_ID.uint32;
  }

  /** One brush stroke with the active segment (or 0 when erasing); a new id joins the segments list. */
  paint(from, to, plane, radius, erase, anchor = null) {
    const entry = this.active;
    if (!entry || !entry.editor || !entry.editor.paintable) return false;
    if (!entry.layer.visible) {
      this.onState(`Show the layer ${entry.layer.name} to paint into it`, "warn");
      return false;
    }
    const id = erase ? 0 : entry.activeId;
    entry.editor.paint(from, to, plane, radius, id);
    if (id > (Number(entry.json.largestSegmentId) || 0)) entry.json.largestSegmentId = id;
    if (id && anchor && !entry.json.segments.some((s) => s.id === id)) {
      this.saveSegments(entry, [...entry.json.segments, { id, name: null, anchorPosition: anchor.map(Math.floor) }]);
    }
    return true;
  }

  /** A brush stroke starts: the active layer keeps its buckets' earlier data until `endStroke`. */
  beginStroke() {
    const entry = this.active;
    if (!entry || !entry.editor) return;
    this.strokeEntry = entry;
    entry.editor.beginStroke();
  }

  /** The stroke ended: answers an undo entry (bucket data before and after), or null when nothing changed. */
  async endStroke() {
    const entry = this.strokeEntry;
    this.strokeEntry = null;
    const stroke = entry ? await entry.editor.endStroke() : null;
    if (!stroke) return null;
    let bytes = 0;
    for (const b of stroke.values()) bytes += b.before.byteLength + b.after.byteLength;
    return {
      label: `brush stroke in ${entry.json.name}`,
      bytes,
      undo: () => entry.editor.restore(stroke, "before"),
      redo: () => entry.editor.restore(stroke, "after"),
    };
  }

  rename(entry, id, name) {
    const segments = entry.json.segments.map((s) => (s.id === id ? { ...s, name: name || null } : s));
    this.saveSegments(entry, segments);
  }

  /** PUTs the whole list (the route's way); one request at a time, so a slow one cannot undo a later one. */
  saveSegments(entry, segments) {
    entry.json.segments = segments;
    this.renderSegments();
    const path = `/api${volumeBase(this.annotationId, entry.json.name)}/segments`;
    entry.segmentSaves = entry.segmentSaves.then(async () => {
      try {
        const answer = await this.api.putJson(path, entry.json.segments);
        if (Array.isArray(answer)) entry.json.segments = answer;
      } catch (error) {
        this.onState(`Segments not saved: ${error.message}`, "error");
      }
      this.renderSegments();
    });
  }

  renderSegments() {
    const container = this.segmentList;
    if (!container) return;
    const sections = this.entries.map((entry) => this.segmentSection(entry));
    container.replaceChildren(...(sections.length ? sections
      : [el("p", { className: "muted", id: "no-volume" }, "No volume layer.")]));
    this.onChange();
  }

  segmentSection(entry) {
    const rows = entry.json.segments.map((segment) => this.segmentRow(entry, segment));
    if (!rows.length) rows.push(el("li", { className: "muted" }, this.editable ? "No segments yet: paint with the brush." : "No segments."));
    const list = el("ul", { className: "vx-segments", dataset: { volume: entry.json.name } }, ...rows);
    if (this.entries.length < 2) return list;
    const painting = this.editable && entry === this.active;
    return el("div", { className: painting ? "active" : "" },
      el("h3", { className: "vx-subhead" }, entry.json.name, painting ? el("span", { className: "vx-painting" }, "brush") : null),
      list);
  }

  segmentRow(entry, segment) {
    const id = segment.id;
    const fallbackName = `Segment ${id}`;
    const swatch = el("span", { className: "vx-swatch", style: `background: ${idCss(id)}` });
    const row = el("li", { dataset: { segmentId: String(id) },
      className: this.editable && entry === this.active && id === entry.activeId ? "active" : "" }, swatch);
    if (!this.editable) {
      row.append(el("span", { className: "vx-segment-id" }, String(id)), el("span", {}, segment.name || fallbackName));
      return row;
    }
    const pick = el("button", { type: "button", className: "vx-segment-id vx-link", title: "Paint with this segment" }, String(id));
    pick.addEventListener("click", () => this.pick(entry, id));
    const name = el("input", { type: "text", className: "vx-segment-name", value: segment.name || "",
      placeholder: fallbackName, maxLength: 1000, "aria-label": `Name of segment ${id}` });
    name.addEventListener("change", () => this.rename(entry, id, name.value.trim()));
    name.addEventListener("keydown", (e) => { if (e.key === "Enter") name.blur(); });
    row.append(pick, name);
    return row;
  }

  /** Paint `id` into the layer of `entry` from now on. */
  pick(entry, id) {
    entry.activeId = id;
    this.chosen = entry;
    this.renderSegments();
    // The brush's segment is the viewer's active one too ("only the active segment", "Load mesh").
    this.viewer.setActiveSegment?.([id % 2 ** 32, Math.floor(id / 2 ** 32)]);
  }

  /** The brush's "Layer" select: paint into the layer named `name`, with the segment id it had last. */
  choose(name) {
    const entry = this.entries.find((e) => e.json.name === name);
    if (entry) this.pick(entry, entry.activeId);
  }
}

/** The "Layer" select of the brush; shown only when there is more than one volume layer to choose from. */
function layerSelect(volumes) {
  const select = el("select", { className: "vx-select", id: "brush-layer", title: "Volume layer the brush paints into",
    "aria-label": "Volume layer to paint into" });
  select.addEventListener("change", () => volumes.choose(select.value));
  const field = el("label", { className: "vx-field" }, el("span", {}, "Layer"), select);
  const refresh = () => {
    const entries = volumes.entries;
    field.hidden = entries.length < 2;
    // Options are rebuilt only when layers come, so a segment save cannot close the open list under the mouse.
    if (select.options.length !== entries.length) {
      select.replaceChildren(...entries.map((e) => el("option", { value: e.json.name, disabled: !e.layer.usable }, e.json.name)));
    }
    select.value = volumes.active?.json.name ?? "";
  };
  refresh();
  return { field, refresh };
}

/** The brush's options: layer, segment id, "New segment", radius and erase; shown while the brush is the tool. */
export function brushControls(volumes) {
  const brush = { radius: 3, erase: false };
  const layer = layerSelect(volumes);
  const idInput = el("input", { type: "number", className: "vx-number", id: "segment-id", min: "0", step: "1",
    value: String(volumes.activeId), title: "Segment id to paint", "aria-label": "Segment id" });
  const newSegment = el("button", { type: "button", className: "vx-button", id: "new-segment",
    title: "Paint a segment id not used yet" }, "New segment");
  const radius = el("input", { type: "range", className: "vx-radius", id: "brush-radius", min: "1",
    max: String(MAX_RADIUS), step: "1", value: String(brush.radius), "aria-label": "Brush radius in voxels" });
  const radiusText = el("span", { className: "vx-radius-text" }, String(brush.radius));
  const erase = el("input", { type: "checkbox", id: "brush-erase" });
  idInput.addEventListener("change", () => {
    const entry = volumes.active;
    if (!entry) return;
    const value = Math.floor(Number(idInput.value));
    volumes.pick(entry, Number.isFinite(value) ? Math.min(volumes.maxId(entry), Math.max(1, value)) : entry.activeId);
  });
  newSegment.addEventListener("click", () => {
    const entry = volumes.active;
    if (entry) volumes.pick(entry, Math.min(volumes.maxId(entry), volumes.largestId(entry) + 1));
  });
  radius.addEventListener("input", () => {
    brush.radius = Number(radius.value);
    radiusText.textContent = radius.value;
  });
  erase.addEventListener("change", () => { brush.erase = erase.checked; });
  volumes.onChange = () => {
    layer.refresh();
    if (document.activeElement !== idInput) idInput.value = String(volumes.activeId);
  };
  brush.newSegment = () => newSegment.click(); // C with the brush (shortcuts.js)
  brush.element = el("span", { className: "vx-brush", id: "brush-options", hidden: true }, layer.field,
    el("label", { className: "vx-field" }, el("span", {}, "Segment"), idInput), newSegment,
    el("label", { className: "vx-field" }, el("span", {}, "Radius"), radius, radiusText),
    el("label", { className: "vx-field" }, erase, el("span", {}, "Erase")));
  return brush;
}

/** The brush outline under the mouse, in the plane the mouse is over. */
export function brushOutline(brush) {
  return (ctx, view, hovered) => {
    if (!hovered) return;
    const centre = hovered.map((v) => Math.floor(v) + 0.5);
    const [x, y] = view.toScreen(centre);
    ctx.strokeStyle = brush.erase ? "rgba(252, 165, 165, .9)" : "rgba(255, 255, 255, .85)";
    ctx.lineWidth = 1;
    ctx.setLineDash(brush.erase ? [3, 3] : []);
    ctx.beginPath();
    ctx.ellipse(x, y, Math.max(2, (brush.radius + 0.5) * view.pu), Math.max(2, (brush.radius + 0.5) * view.pv), 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.setLineDash([]);
  };
}
