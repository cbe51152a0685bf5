// Where a plane's pieces land: slice images on the screen, the mags that show through while one loads, and the
// crosshair's colours.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { blitRect, coarserMags, crosshairColors } from "../../src/voxelhub/viewer/plane_render.js";
import { PLANES, planeView } from "../../src/voxelhub/viewer/planes.js";

const [XY, YZ, XZ] = PLANES;

describe("blitRect", () => {
  test("an extent at the position lands at the pane's centre, scaled by mag and zoom", () => {
    const view = planeView(XY, [64, 32, 5], 0.5, [1, 1, 1], 200, 100);
    assert.deepEqual(blitRect(view, [1, 1, 1], { u0: 64, u1: 96, v0: 32, v1: 64 }), [100, 50, 64, 64]);
    assert.deepEqual(blitRect(view, [2, 2, 1], { u0: 0, u1: 32, v0: 16, v1: 32 }), [100 - 128, 50, 128, 64]);
  });

  test("uses the plane's own axes (YZ: z across, y down)", () => {
    const view = planeView(YZ, [5, 10, 20], 1, [1, 1, 1], 100, 100);
    assert.deepEqual(blitRect(view, [1, 1, 1], { u0: 20, u1: 30, v0: 10, v1: 12 }), [50, 50, 10, 2]);
  });
});

describe("coarserMags", () => {
  test("coarser along every axis, coarsest first, never the mag itself", () => {
    const layer = { mags: [[1, 1, 1], [2, 2, 1], [2, 2, 2], [4, 4, 1], [8, 8, 8]] };
    assert.deepEqual(coarserMags(layer, layer.mags[1]), [[8, 8, 8], [4, 4, 1], [2, 2, 2]]);
    assert.deepEqual(coarserMags(layer, layer.mags[4]), []);
    assert.deepEqual(layer.mags.length, 5, "the layer's list is left as it was");
  });
});

describe("crosshairColors", () => {
  test("each line has the colour of the plane it stands for", () => {
    const color = Object.fromEntries(PLANES.map((p) => [p.id, p.color]));
    assert.deepEqual(crosshairColors(XY), { vertical: color.yz, horizontal: color.xz });
    assert.deepEqual(crosshairColors(YZ), { vertical: color.xy, horizontal: color.xz });
    assert.deepEqual(crosshairColors(XZ), { vertical: color.yz, horizontal: color.xy });
  });
});
