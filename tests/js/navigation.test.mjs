// How the view moves: zoom limits, slice steps, what each key does, panning and clicks, typed positions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  CLICK_SLOP, MIN_ZOOM, ZOOM_STEP, beyondSlop, boxCentre, clampZoom, clickVoxel, keyCommand, maxZoom, outsideBox,
  outsideText, panDelta, parsePosition, planeOutside, relativeScale, roundPosition, sliceTarget, wheelCommand, zoomed,
} from "../../src/voxelhub/viewer/navigation.js";
import { PLANES, planeView } from "../../src/voxelhub/viewer/planes.js";

const [XY, YZ, XZ] = PLANES;

describe("zoom", () => {
  test("relative scale: voxel sizes over the smallest; none given is isotropic", () => {
    assert.deepEqual(relativeScale({ factor: [4, 4, 40] }), [1, 1, 10]);
    assert.deepEqual(relativeScale(null), [1, 1, 1]);
  });

  test("the largest zoom is 8 pixels per voxel of the coarsest mag of any layer, at least 8", () => {
    assert.equal(maxZoom([{ mags: [[1, 1, 1], [2, 2, 1], [16, 16, 4]] }, { mags: [[1, 1, 1]] }]), 128);
    assert.equal(maxZoom([]), 8);
  });

  test("clampZoom keeps the zoom between the smallest and the given largest", () => {
    assert.equal(clampZoom(0.001, 8), MIN_ZOOM);
    assert.equal(clampZoom(100, 8), 8);
    assert.equal(clampZoom(2, 8), 2);
  });

  test("one step in divides by the step, one out multiplies (as the keys and buttons did)", () => {
    assert.equal(zoomed(3, "in"), 3 / ZOOM_STEP);
    assert.equal(zoomed(3, "out"), 3 * ZOOM_STEP);
  });
});

describe("position", () => {
  test("the default position is the box's centre, in whole voxels", () => {
    assert.deepEqual(boxCentre({ min: [0, 0, 0], max: [101, 50, 7] }), [50, 25, 3]);
    assert.deepEqual(boxCentre({ min: [-10, 0, 0], max: [-3, 1, 1] }), [-7, 0, 0]);
  });

  test("positions keep two decimals", () => {
    assert.deepEqual(roundPosition([1.23456, -0.005, 7]), [1.23, -0, 7]);
  });

  test("a slice step goes along the plane's normal and lands on a whole slice", () => {
    assert.deepEqual(sliceTarget([10.5, 20.5, 30.5], XY, 1, [1, 1, 1], 1), [10.5, 20.5, 31]);
    assert.deepEqual(sliceTarget([10.5, 20.5, 30.5], YZ, 1, [1, 1, 1], -1), [9, 20.5, 30.5]);
    assert.deepEqual(sliceTarget([10, 20, 30], XZ, 1, [1, 1, 1], 1, true), [10, 30, 30]);
  });

  test("zoomed out, a slice step skips the slices one pixel covers; thick slices (anisotropy) count once", () => {
    assert.deepEqual(sliceTarget([0, 0, 0], XY, 4, [1, 1, 1], 1), [0, 0, 4]);
    assert.deepEqual(sliceTarget([0, 0, 0], XY, 4, [1, 1, 10], 1), [0, 0, 1]);
    assert.deepEqual(sliceTarget([0, 0, 0], XY, 0.2, [1, 1, 1], -1), [0, 0, -1]);
  });

  test("a typed position is three numbers with commas, semicolons or spaces between", () => {
    assert.deepEqual(parsePosition("1, 2, 3"), [1, 2, 3]);
    assert.deepEqual(parsePosition(" 1;2  -3.5 "), [1, 2, -3.5]);
    assert.equal(parsePosition("1, 2"), null);
    assert.equal(parsePosition("1, 2, x"), null);
    assert.equal(parsePosition("1, 2, 3, 4"), null);
  });
});

describe("keyCommand", () => {
  const key = (k, extra = {}) => ({ key: k, ...extra });

  test("arrows move within the plane, by the zoom (at least 1), ten times with Shift", () => {
    assert.deepEqual(keyCommand(key("ArrowLeft"), XY, 1), { move: [-1, 0, 0] });
    assert.deepEqual(keyCommand(key("ArrowDown"), XY, 3.4), { move: [0, 3, 0] });
    assert.deepEqual(keyCommand(key("ArrowRight"), YZ, 0.3), { move: [0, 0, 1] });
    assert.deepEqual(keyCommand(key("ArrowUp", { shiftKey: true }), XZ, 2), { move: [0, 0, -20] });
  });

  test("F / . and D / , step slices; Shift makes the step fast", () => {
    for (const k of ["f", "F", "."]) assert.deepEqual(keyCommand(key(k), XY, 1), { slice: 1, fast: false });
    for (const k of ["d", "D", ","]) assert.deepEqual(keyCommand(key(k), XY, 1), { slice: -1, fast: false });
    assert.deepEqual(keyCommand(key("F", { shiftKey: true }), XY, 1), { slice: 1, fast: true });
  });

  test("+ = i zoom in, - o zoom out", () => {
    for (const k of ["+", "=", "i"]) assert.deepEqual(keyCommand(key(k), XY, 1), { zoom: "in" });
    for (const k of ["-", "o"]) assert.deepEqual(keyCommand(key(k), XY, 1), { zoom: "out" });
  });

  test("other keys, and any key with Ctrl, Meta or Alt, are left to the browser", () => {
    assert.equal(keyCommand(key("a"), XY, 1), null);
    assert.equal(keyCommand(key("Enter"), XY, 1), null);
    for (const mod of ["ctrlKey", "metaKey", "altKey"]) {
      assert.equal(keyCommand(key("ArrowLeft", { [mod]: true }), XY, 1), null, mod);
      assert.equal(keyCommand(key("+", { [mod]: true }), XY, 1), null, mod);
    }
  });
});

describe("drags and clicks", () => {
  test("a drag moves the view against the pointer, in voxels of the plane's axes", () => {
    const view = planeView(YZ, [0, 0, 0], 2, [1, 1, 1], 100, 100);
    assert.deepEqual(panDelta(view, 10, -4), [0, 8, -20]); // zoom 2: half a pixel per voxel
  });

  test("a press moving less than the slop is still a click", () => {
    assert.equal(beyondSlop([0, 0], [CLICK_SLOP - 1, 0]), false);
    assert.equal(beyondSlop([0, 0], [3, 3]), true);
    assert.equal(beyondSlop([5, 5], [5, 5 + CLICK_SLOP]), true);
  });

  test("a click means whole voxels in the plane and the exact slice", () => {
    assert.deepEqual(clickVoxel([1.7, -0.2, 5.5], XY), [1, -1, 5.5]);
    assert.deepEqual(clickVoxel([1.7, -0.2, 5.5], YZ), [1.7, -1, 5]);
  });
});

describe("wheelCommand (webKnossos: wheel = slice, Ctrl/Alt+wheel = zoom)", () => {
  test("the plain wheel moves one slice per turn, Shift ten", () => {
    assert.deepEqual(wheelCommand({ deltaY: 100 }), { slice: 1, fast: false });
    assert.deepEqual(wheelCommand({ deltaY: -3 }), { slice: -1, fast: false });
    assert.deepEqual(wheelCommand({ deltaX: 100, shiftKey: true }), { slice: 1, fast: true });
  });

  test("Ctrl, Meta (a pinch) and Alt zoom: out for a turn down, in for a turn up", () => {
    for (const mod of ["ctrlKey", "metaKey", "altKey"]) {
      assert.deepEqual(wheelCommand({ deltaY: 100, [mod]: true }), { zoom: ZOOM_STEP });
      assert.deepEqual(wheelCommand({ deltaY: -100, [mod]: true }), { zoom: 1 / ZOOM_STEP });
    }
  });

  test("a turn of nothing does nothing", () => {
    assert.equal(wheelCommand({ deltaY: 0, deltaX: 0 }), null);
  });

  test("Space moves a slice on, Shift+Space back", () => {
    assert.deepEqual(keyCommand({ key: " " }, XY, 1), { slice: 1 });
    assert.deepEqual(keyCommand({ key: " ", shiftKey: true }, XY, 1), { slice: -1 });
  });
});

describe("outside the data", () => {
  const box = { min: [0, 0, 0], max: [128, 128, 64] };
  test("a position is outside when any coordinate is below min or at max and beyond", () => {
    assert.equal(outsideBox([0, 0, 0], box), false);
    assert.equal(outsideBox([127, 127, 63.5], box), false);
    assert.equal(outsideBox([128, 5, 5], box), true);
    assert.equal(outsideBox([5, -0.5, 5], box), true);
  });

  test("a plane shows nothing when its slice is outside or it is panned off the box", () => {
    const view = (position, plane = XY, zoom = 1) => planeView(plane, position, zoom, [1, 1, 1], 200, 200);
    assert.equal(planeOutside(view([64, 64, 32]), box), false);
    assert.equal(planeOutside(view([64, 64, 100]), box), true); // XY's slice beyond z
    assert.equal(planeOutside(view([64, 64, 100], YZ), box), false); // YZ still shows z up to 64
    assert.equal(planeOutside(view([500, 64, 32], XZ), box), true); // x far off on either side
    assert.equal(planeOutside(view([-101, 64, 32], XY), box), true);
    assert.equal(planeOutside(view([-99, 64, 32], XY), box), false); // its right edge reaches x = 1
  });

  test("the message names the position and the bounds", () => {
    assert.equal(outsideText([500.7, 50, 20], box), "Position 500, 50, 20 is outside the dataset's bounds (0, 0, 0 to 127, 127, 63).");
  });
});
