// The viewer's words: zoom and mags, the status line, and the values under the pointer.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { segmentCss } from "../../src/voxelhub/viewer/colors.js";
import {
  formatNumber, hoverValues, positionText, valueSwatch, valueText, viewerStatus, zoomText,
} from "../../src/voxelhub/viewer/readout.js";

const layer = (name, category, kind, extra = {}) => ({
  name, category, kind, bytes: 1, visible: true, usable: true, mags: [[1, 1, 1], [2, 2, 2]], ...extra,
});
const COLOR = layer("color", "color", "gray8");
const SEG = layer("segmentation", "segmentation", "seg32", { bytes: 4 });

describe("numbers and positions", () => {
  test("whole numbers as they are, others with one decimal", () => {
    assert.equal(formatNumber(3), "3");
    assert.equal(formatNumber(2.345), "2.3");
  });

  test("the position box shows whole voxels", () => {
    assert.equal(positionText([1.9, -0.5, 3]), "1, -1, 3");
  });
});

describe("zoomText", () => {
  test("the zoom (one decimal unless whole), and each visible layer's mag once", () => {
    assert.equal(zoomText(1, [COLOR, SEG]), "1 · mag 1-1-1");
    assert.equal(zoomText(2.3012, [COLOR, layer("one", "color", "gray8", { mags: [[1, 1, 1]] })]), "2.3 · mag 2-2-2, 1-1-1");
  });

  test("no visible layer: a dash", () => {
    assert.equal(zoomText(1, [{ ...COLOR, visible: false }]), "1 · mag –");
  });
});

describe("viewerStatus", () => {
  const base = { layers: [COLOR], tooLarge: false, pending: 0, error: null };

  test("nothing to say when all is loaded", () => {
    assert.deepEqual(viewerStatus(base), { text: "", kind: "ok" });
  });

  test("loading counts buckets", () => {
    assert.deepEqual(viewerStatus({ ...base, pending: 1 }), { text: "Loading 1 bucket…", kind: "busy" });
    assert.deepEqual(viewerStatus({ ...base, pending: 7 }), { text: "Loading 7 buckets…", kind: "busy" });
  });

  test("no usable layer beats zoomed out too far, which beats loading, which beats an old error", () => {
    const all = { layers: [{ ...COLOR, usable: false }], tooLarge: true, pending: 3, error: "Could not load color: 503" };
    assert.equal(viewerStatus(all).kind, "error");
    assert.match(viewerStatus(all).text, /no layer that can be shown/);
    assert.equal(viewerStatus({ ...all, layers: [COLOR] }).kind, "warn");
    assert.equal(viewerStatus({ ...all, layers: [COLOR], tooLarge: false }).kind, "busy");
    assert.deepEqual(viewerStatus({ ...base, error: "Could not load color: 503" }),
      { text: "Could not load color: 503", kind: "error" });
  });
});

describe("values", () => {
  test("segments by id with their colour; segment 0 is none", () => {
    assert.equal(valueText(SEG, 74), "segment 74");
    assert.equal(valueSwatch(SEG, 74), segmentCss(74, 0));
    assert.equal(valueText(SEG, 0), "none");
    assert.equal(valueSwatch(SEG, 0), null);
    assert.equal(valueText(SEG, [1, 1]), "segment 4294967297");
  });

  test("colour layers: numbers, 64-bit pairs, RGB; no swatch", () => {
    assert.equal(valueText(COLOR, 157), "157");
    assert.equal(valueText(COLOR, 0.25), "0.3");
    assert.equal(valueText(COLOR, [5, 0]), "5");
    assert.equal(valueText(COLOR, [1, 2, 3]), "rgb(1, 2, 3)");
    assert.equal(valueSwatch(COLOR, 157), null);
  });

  test("hoverValues: each visible, usable layer whose bucket is loaded, at the mag of the zoom", () => {
    const colorData = new Uint8Array(32 ** 3).fill(9);
    const segData = new Uint32Array(32 ** 3).fill(74);
    const asked = [];
    const peek = (l, mag, bucket) => {
      asked.push([l.name, mag.join("-"), bucket.join(",")]);
      return l === COLOR ? colorData : l === SEG ? segData : null;
    };
    const hidden = { ...COLOR, name: "hidden", visible: false };
    const unusable = { ...COLOR, name: "broken", usable: false };
    const missing = layer("missing", "color", "gray8");
    const values = hoverValues([COLOR, hidden, unusable, missing, SEG], 2, [70, 3, 0], peek);
    assert.deepEqual(values, [
      { name: "color", text: "9", swatch: null, segmentation: false },
      { name: "segmentation", text: "segment 74", swatch: segmentCss(74, 0), segmentation: true },
    ]);
    assert.deepEqual(asked.map((a) => a[0]), ["color", "missing", "segmentation"]);
    assert.deepEqual(asked[0], ["color", "2-2-2", "1,0,0"]);
  });
});
