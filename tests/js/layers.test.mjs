// Reading a dataset's layers from its datasource-properties (webKnossos layout: `scale {factor, unit}` or legacy
// `[x,y,z]`, `dataLayers[]` with name, category, elementClass, boundingBox {topLeft, width, height, depth},
// `mags[] {mag}` or legacy `wkwResolutions[] {resolution}`), choosing a mag for a zoom, and decoding buckets
// (32³ voxels, x fastest, little-endian).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  BUCKET, BUCKET_VOXELS, datasetBox, decodeBucket, magLabel, pickMag, readLayers, readScale, readVolumeLayer,
} from "../../src/voxelhub/viewer/layers.js";

const box = { topLeft: [0, 0, 0], width: 100, height: 80, depth: 60 };

function dataSource(...layers) {
  return { id: { name: "demo" }, scale: { factor: [11.24, 11.24, 28], unit: "nanometer" }, dataLayers: layers };
}

describe("readLayers", () => {
  test("a colour and a segmentation layer", () => {
    const layers = readLayers(dataSource(
      { name: "color", category: "color", elementClass: "uint8", boundingBox: box,
        mags: [{ mag: [1, 1, 1], path: "./color/1" }, { mag: [2, 2, 1], path: "./color/2-2-1" }] },
      { name: "segmentation", category: "segmentation", elementClass: "uint32", boundingBox: box,
        mags: [{ mag: [1, 1, 1] }], largestSegmentId: 10 },
    ));
    assert.equal(layers.length, 2);
    const [color, seg] = layers;
    assert.equal(color.id, "color");
    assert.equal(color.category, "color");
    assert.equal(color.kind, "gray8");
    assert.equal(color.bytes, 1);
    assert.equal(color.array, Uint8Array);
    assert.deepEqual(color.box, { min: [0, 0, 0], max: [100, 80, 60] });
    assert.deepEqual(color.mags, [[1, 1, 1], [2, 2, 1]]);
    assert.equal(color.usable, true);
    assert.equal(color.visible, true);
    assert.equal(seg.category, "segmentation");
    assert.equal(seg.kind, "seg32");
    assert.equal(seg.array, Uint32Array);
    assert.ok(seg.opacity < 1, "segmentation is drawn see-through over the colour layers");
  });

  test("segmentation is drawn on top: colour layers come first whatever the file's order", () => {
    const layers = readLayers(dataSource(
      { name: "seg", category: "segmentation", elementClass: "uint16", boundingBox: box, mags: [{ mag: [1, 1, 1] }] },
      { name: "em", category: "color", elementClass: "uint8", boundingBox: box, mags: [{ mag: [1, 1, 1] }] },
    ));
    assert.deepEqual(layers.map((l) => l.name), ["em", "seg"]);
  });

  test("how each element class is drawn", () => {
    const kinds = {};
    for (const cls of ["uint8", "int8", "uint16", "int16", "uint24", "uint32", "int32", "uint64", "int64", "float",
      "double"]) {
      const [layer] = readLayers(dataSource({ name: cls, category: "color", elementClass: cls, boundingBox: box,
        mags: [{ mag: [1, 1, 1] }] }));
      kinds[cls] = [layer.kind, layer.bytes];
    }
    assert.deepEqual(kinds, {
      uint8: ["gray8", 1], int8: ["scalar", 1], uint16: ["scalar", 2], int16: ["scalar", 2], uint24: ["rgb", 3],
      uint32: ["scalar", 4], int32: ["scalar", 4], uint64: ["scalar64", 8], int64: ["scalar64", 8],
      float: ["scalar", 4], double: ["scalar", 8],
    });
    const [seg64] = readLayers(dataSource({ name: "s", category: "segmentation", elementClass: "uint64",
      boundingBox: box, mags: [{ mag: [1, 1, 1] }] }));
    assert.equal(seg64.kind, "seg64");
    assert.equal(seg64.array, Uint32Array); // two 32-bit halves per id
  });

  test("legacy wkwResolutions and mags written as numbers or text; duplicates dropped; finest first", () => {
    const [layer] = readLayers(dataSource({ name: "c", category: "color", elementClass: "uint8", boundingBox: box,
      wkwResolutions: [{ resolution: [4, 4, 2] }, { resolution: 1 }, { resolution: "2-2-1" }, { resolution: [1, 1, 1] }] }));
    assert.deepEqual(layer.mags, [[1, 1, 1], [2, 2, 1], [4, 4, 2]]);
    const [plain] = readLayers(dataSource({ name: "c", category: "color", elementClass: "uint8", boundingBox: box,
      mags: ["8", [2, 2, 2], 1] }));
    assert.deepEqual(plain.mags, [[1, 1, 1], [2, 2, 2], [8, 8, 8]]);
  });

  test("a layer that cannot be drawn is listed, unusable, with the reason", () => {
    const layers = readLayers(dataSource(
      { name: "odd", category: "color", elementClass: "uint128", boundingBox: box, mags: [{ mag: [1, 1, 1] }] },
      { name: "nobox", category: "color", elementClass: "uint8", mags: [{ mag: [1, 1, 1] }] },
      { name: "nomags", category: "color", elementClass: "uint8", boundingBox: box, mags: [] },
      { name: "flat", category: "color", elementClass: "uint8", boundingBox: { ...box, depth: 0 },
        mags: [{ mag: [1, 1, 1] }] },
    ));
    assert.deepEqual(layers.map((l) => [l.name, l.usable, l.visible]),
      [["odd", false, false], ["nobox", false, false], ["nomags", false, false], ["flat", false, false]]);
    assert.match(layers[0].problem, /uint128/);
    for (const l of layers.slice(1)) assert.ok(l.problem);
  });

  test("malformed input gives no layers, not an error", () => {
    for (const ds of [null, undefined, {}, { dataLayers: "x" }, { dataLayers: [null, 3, { category: "color" }] }]) {
      assert.deepEqual(readLayers(ds), []);
    }
  });
});

describe("readVolumeLayer", () => {
  test("an annotation's volume layer is a segmentation layer with its own id and bucket path", () => {
    const layer = readVolumeLayer({ name: "Volume", elementClass: "uint64", boundingBox: box,
      mags: [{ mag: [1, 1, 1] }], fallbackLayer: "segmentation" }, "/api/annotations/a1/layers/Volume");
    assert.equal(layer.id, "volume:Volume");
    assert.equal(layer.name, "Volume");
    assert.equal(layer.category, "segmentation");
    assert.equal(layer.kind, "seg64");
    assert.equal(layer.volume, true);
    assert.equal(layer.bucketPath, "/api/annotations/a1/layers/Volume");
    assert.equal(layer.fallbackLayer, "segmentation");
    assert.equal(readVolumeLayer({ name: "V", elementClass: "uint32", boundingBox: box, mags: [1] }, "/p")
      .fallbackLayer, null);
  });

  test("unusable descriptions", () => {
    assert.equal(readVolumeLayer(null, "/p"), null);
    assert.equal(readVolumeLayer({ elementClass: "uint32" }, "/p"), null);
  });
});

describe("readScale", () => {
  test("factor and unit", () => {
    assert.deepEqual(readScale({ scale: { factor: [11.24, 11.24, 28], unit: "nanometer" } }),
      { factor: [11.24, 11.24, 28], unit: "nanometer" });
    assert.deepEqual(readScale({ scale: { factor: [1, 1, 1], unit: "micrometer" } }).unit, "micrometer");
  });

  test("the legacy [x, y, z] form is in nanometres", () => {
    assert.deepEqual(readScale({ scale: [4, 4, 40] }), { factor: [4, 4, 40], unit: "nanometer" });
  });

  test("no voxel size: null (the viewer says so instead of guessing)", () => {
    for (const ds of [null, {}, { scale: null }, { scale: { factor: [0, 1, 1] } }, { scale: [4, 4] },
      { scale: { unit: "nanometer" } }, { scale: [-1, 1, 1] }]) {
      assert.equal(readScale(ds), null, JSON.stringify(ds));
    }
  });
});

describe("datasetBox", () => {
  test("the union of the layers' boxes", () => {
    assert.deepEqual(datasetBox([
      { box: { min: [0, 0, 0], max: [10, 10, 10] } },
      { box: { min: [-5, 2, 3], max: [8, 20, 9] } },
      { box: null },
    ]), { min: [-5, 0, 0], max: [10, 20, 10] });
  });

  test("no boxes: one voxel at the origin", () => {
    assert.deepEqual(datasetBox([]), { min: [0, 0, 0], max: [1, 1, 1] });
  });
});

describe("pickMag", () => {
  const layer = { mags: [[1, 1, 1], [2, 2, 1], [4, 4, 2], [8, 8, 4]] };

  test("the coarsest mag whose every factor is at most the zoom", () => {
    assert.deepEqual(pickMag(layer, 1), [1, 1, 1]);
    assert.deepEqual(pickMag(layer, 1.9), [1, 1, 1]);
    assert.deepEqual(pickMag(layer, 2), [2, 2, 1]);
    assert.deepEqual(pickMag(layer, 3.99), [2, 2, 1]);
    assert.deepEqual(pickMag(layer, 5), [4, 4, 2]);
    assert.deepEqual(pickMag(layer, 1000), [8, 8, 4]);
  });

  test("zoomed in past mag 1: the finest mag", () => {
    assert.deepEqual(pickMag(layer, 0.05), [1, 1, 1]);
    assert.deepEqual(pickMag({ mags: [[2, 2, 2], [4, 4, 4]] }, 1), [2, 2, 2]);
  });

  test("a zoom a hair below a mag's factor (rounding) still picks it", () => {
    assert.deepEqual(pickMag(layer, 2 * (1 - 1e-9)), [2, 2, 1]);
  });
});

describe("decodeBucket", () => {
  const layerOf = (bytes, array, kind) => ({ bytes, array, kind, range: null });

  test("a bucket is 32³ voxels", () => {
    assert.equal(BUCKET, 32);
    assert.equal(BUCKET_VOXELS, 32768);
  });

  test("little-endian values, from the given offset (the second bucket of an answer)", () => {
    const layer = layerOf(2, Uint16Array, "gray16");
    const buffer = new ArrayBuffer(2 * BUCKET_VOXELS * 2 + 1);
    const bytes = new Uint8Array(buffer);
    const second = 2 * BUCKET_VOXELS;
    bytes[second] = 0x01;
    bytes[second + 1] = 0x02;
    bytes[second + 2 * (BUCKET_VOXELS - 1)] = 0xff;
    const data = decodeBucket(layer, buffer, second);
    assert.ok(data instanceof Uint16Array);
    assert.equal(data.length, BUCKET_VOXELS);
    assert.equal(data[0], 0x0201);
    assert.equal(data[1], 0);
    assert.equal(data[BUCKET_VOXELS - 1], 0xff);
  });

  test("a copy: an odd offset works, and changing the answer does not change the bucket", () => {
    const layer = layerOf(4, Uint32Array, "seg32");
    const buffer = new ArrayBuffer(4 * BUCKET_VOXELS + 3);
    new Uint8Array(buffer)[3] = 9;
    const data = decodeBucket(layer, buffer, 3);
    assert.equal(data[0], 9);
    new Uint8Array(buffer)[3] = 1;
    assert.equal(data[0], 9);
  });

  test("scalar layers learn their value range from the buckets they load", () => {
    const layer = layerOf(2, Uint16Array, "scalar");
    decodeBucket(layer, new Uint16Array(BUCKET_VOXELS).fill(500).buffer, 0);
    assert.deepEqual(layer.range, [500, 500]);
    decodeBucket(layer, new Uint16Array(BUCKET_VOXELS).fill(100).buffer, 0);
    assert.deepEqual(layer.range, [100, 500]);
    const wide = layerOf(8, Uint32Array, "scalar64");
    const halves = new Uint32Array(2 * BUCKET_VOXELS);
    for (let i = 0; i < BUCKET_VOXELS; i++) halves[2 * i + 1] = 1; // every value 2^32
    decodeBucket(wide, halves.buffer, 0);
    assert.deepEqual(wide.range, [2 ** 32, 2 ** 32]);
  });

  test("other kinds keep no range", () => {
    const layer = layerOf(1, Uint8Array, "gray8");
    decodeBucket(layer, new ArrayBuffer(BUCKET_VOXELS), 0);
    assert.equal(layer.range, null);
  });
});

describe("magLabel", () => {
  test("webKnossos' text form of a mag", () => {
    assert.equal(magLabel([2, 2, 1]), "2-2-1");
    assert.equal(magLabel(null), "–");
  });
});
