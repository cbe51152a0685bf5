// The annotation's stored view: read from the info as a start view, sent as the PATCH body.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { storedView, viewBody } from "../../src/voxelhub/viewer/edit_view.js";

describe("storedView", () => {
  test("the info's editPosition, zoomLevel and editRotation", () => {
    assert.deepEqual(storedView({ editPosition: [1, 2, 3], zoomLevel: 0.5, editRotation: [0, 0, 90] }),
      { position: [1, 2, 3], zoom: 0.5, rotation: [0, 0, 90] });
  });

  test("no position (never saved, or not three numbers): no start view", () => {
    for (const info of [{}, { editPosition: null }, { editPosition: [1, 2] }, { editPosition: [1, "2", 3] }, null]) {
      assert.equal(storedView(info), null, JSON.stringify(info));
    }
  });

  test("a missing or unusable zoom is 1, a missing rotation none", () => {
    assert.deepEqual(storedView({ editPosition: [1, 2, 3], zoomLevel: null }), { position: [1, 2, 3], zoom: 1, rotation: null });
    assert.equal(storedView({ editPosition: [1, 2, 3], zoomLevel: -2 }).zoom, 1);
  });
});

test("viewBody: the viewer's position (two decimals), rotation and zoom", () => {
  const viewer = { position: [10.123, 20, 30.555], rotation: [0, 0, 0], zoom: 0.333333 };
  assert.deepEqual(viewBody(viewer), { editPosition: [10.12, 20, 30.56], editRotation: [0, 0, 0], zoomLevel: 0.3333 });
});

test("viewBody: any angle of a hash becomes one in [0, 360)", () => {
  const viewer = { position: [0, 0, 0], rotation: [720, -90, 359.999], zoom: 1 };
  assert.deepEqual(viewBody(viewer).editRotation, [0, 270, 0]);
});
