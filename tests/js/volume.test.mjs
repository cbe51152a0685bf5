// The voxels a brush stroke paints: discs of the brush radius along the line, in the plane of the stroke, clipped
// to the layer's box, grouped by mag-1 bucket (index x + 32·(y + 32·z) within the bucket).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { bucketKey } from "../../src/voxelhub/viewer/buckets.js";
import { PLANES } from "../../src/voxelhub/viewer/planes.js";
import { MAG1, strokeVoxels, volumeBase } from "../../src/voxelhub/viewer/volume.js";

const [XY, YZ] = PLANES;
const layer = { id: "volume:V", name: "V", box: { min: [0, 0, 0], max: [256, 256, 256] } };

/** The painted voxels as "x,y,z" strings, from the bucket map. */
function voxels(buckets) {
  const out = new Set();
  for (const { pos, indices } of buckets.values()) {
    for (const i of indices) {
      const local = [i % 32, Math.floor(i / 32) % 32, Math.floor(i / 1024)];
      out.add(local.map((c, k) => c + 32 * pos[k]).join(","));
    }
  }
  return out;
}

describe("volumeBase", () => {
  test("the layer's path, names escaped", () => {
    assert.equal(volumeBase("66a0f1", "Volume"), "/annotations/66a0f1/layers/Volume");
    assert.equal(volumeBase("a/b", "my layer?"), "/annotations/a%2Fb/layers/my%20layer%3F");
  });
});

describe("strokeVoxels", () => {
  test("radius 0: the one voxel under the pointer (fractional positions floor to the voxel)", () => {
    const buckets = strokeVoxels(layer, [40.7, 3.2, 5.9], [40.7, 3.2, 5.9], XY, 0);
    assert.deepEqual([...voxels(buckets)], ["40,3,5"]);
    const [[key, entry]] = [...buckets];
    assert.equal(key, bucketKey(layer, MAG1, [1, 0, 0]));
    assert.deepEqual(entry.pos, [1, 0, 0]);
    assert.deepEqual([...entry.indices], [8 + 32 * (3 + 32 * 5)]);
  });

  test("a disc: every voxel within the radius (and half a voxel), in the stroke's plane only", () => {
    const painted = voxels(strokeVoxels(layer, [100, 100, 50], [100, 100, 50], XY, 2));
    // du² + dv² ≤ 6.25: 1 + 4 (d=1) + 4 (d=√2) + 4 (d=2) + 8 (d=√5) = 21 voxels.
    assert.equal(painted.size, 21);
    assert.ok(painted.has("102,100,50") && painted.has("102,101,50") && !painted.has("102,102,50"));
    for (const v of painted) assert.equal(v.split(",")[2], "50");
  });

  test("in the YZ plane the disc spans z and y at a fixed x", () => {
    // Radius 1: du² + dv² ≤ 2.25, the 3 x 3 square.
    const painted = voxels(strokeVoxels(layer, [10, 20, 30], [10, 20, 30], YZ, 1));
    const expected = [];
    for (const y of [19, 20, 21]) for (const z of [29, 30, 31]) expected.push(`10,${y},${z}`);
    assert.deepEqual([...painted].sort(), expected.sort());
  });

  test("a fast drag leaves no gaps", () => {
    const painted = voxels(strokeVoxels(layer, [0, 5, 0], [60, 5, 0], XY, 1));
    for (let x = 0; x <= 60; x++) assert.ok(painted.has(`${x},5,0`), `x ${x}`);
    const diagonal = voxels(strokeVoxels(layer, [10, 10, 0], [50, 90, 0], XY, 3));
    for (let t = 0; t <= 1; t += 0.01) {
      const x = Math.round(10 + 40 * t);
      const y = Math.round(10 + 80 * t);
      assert.ok(diagonal.has(`${x},${y},0`), `${x},${y}`);
    }
  });

  test("voxels across bucket borders go to their own buckets", () => {
    const buckets = strokeVoxels(layer, [31, 31, 0], [32, 32, 0], XY, 0);
    const keys = [...buckets.values()].map((b) => b.pos.join(",")).sort();
    assert.deepEqual(keys, ["0,0,0", "1,1,0"]);
    assert.deepEqual([...voxels(buckets)].sort(), ["31,31,0", "32,32,0"]);
  });

  test("clipped to the layer's box", () => {
    const painted = voxels(strokeVoxels(layer, [0, 0, 0], [0, 0, 0], XY, 2));
    for (const v of painted) assert.ok(v.split(",").every((c) => Number(c) >= 0), v);
    // The quarter disc with x, y ≥ 0: (0..2, 0), (0..2, 1), (0..1, 2); (2, 2) is beyond √6.25.
    assert.deepEqual([...painted].sort(), ["0,0,0", "0,1,0", "0,2,0", "1,0,0", "1,1,0", "1,2,0", "2,0,0", "2,1,0"]);
    assert.equal(strokeVoxels(layer, [300, 0, 0], [300, 0, 0], XY, 2).size, 0);
    assert.equal(strokeVoxels(layer, [10, 10, 256], [10, 10, 256], XY, 2).size, 0);
  });
});
