// Layer looks remembered per dataset: what is saved comes back on the same dataset's layers only, and a stored
// value outside the sliders' ranges (or of the wrong kind) is clamped or ignored.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { restoreLooks, saveLooks } from "../../src/voxelhub/viewer/layer_looks.js";

function memory() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)), items };
}

describe("layer looks", () => {
  test("saved for one dataset, restored on its layers, not another's", () => {
    const storage = memory();
    saveLooks([{ id: "color", opacity: 0.5, brightness: 0.2, contrast: 2, tint: "#ff0000" }, { id: "seg", opacity: 0.3 }],
      "ds1", storage);
    const layers = [{ id: "color", opacity: 1 }, { id: "seg", opacity: 0.35 }];
    restoreLooks(layers, "ds1", storage);
    assert.deepEqual(layers, [{ id: "color", opacity: 0.5, brightness: 0.2, contrast: 2, tint: "#ff0000" },
      { id: "seg", opacity: 0.3 }]);
    const other = [{ id: "color", opacity: 1 }];
    restoreLooks(other, "ds2", storage);
    assert.deepEqual(other, [{ id: "color", opacity: 1 }]);
  });

  test("clamped into the sliders' ranges; junk ignored", () => {
    const storage = memory();
    storage.setItem("voxelhub.layerLooks.ds1", JSON.stringify({
      color: { opacity: 7, brightness: -9, contrast: "3", tint: "red" }, __proto__: { opacity: 0 },
    }));
    const layers = [{ id: "color", opacity: 0.5, contrast: 1 }];
    restoreLooks(layers, "ds1", storage);
    assert.deepEqual(layers, [{ id: "color", opacity: 1, brightness: -1, contrast: 1 }]);
    storage.setItem("voxelhub.layerLooks.ds1", "{not json");
    restoreLooks(layers, "ds1", storage);
    assert.equal(layers[0].opacity, 1);
  });

  test("no storage at all is fine", () => {
    const layers = [{ id: "color", opacity: 1 }];
    restoreLooks(layers, "ds1", null);
    saveLooks(layers, "ds1", null);
    assert.equal(layers[0].opacity, 1);
  });
});
