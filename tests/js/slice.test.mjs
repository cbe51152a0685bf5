// Slices: which 32³ buckets (x fastest, then y, then z) a plane needs at a mag, and the RGBA image (one pixel per
// mag voxel, row by row along v) assembled from them. Expectations are written from the bucket layout and the
// plane axes, by computing each voxel's value independently of the module.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PALETTE, paletteIndex, segmentCss } from "../../src/voxelhub/viewer/colors.js";
import { PLANES, planeView } from "../../src/voxelhub/viewer/planes.js";
import { fillSlice, sampleValue, sliceBuckets, sliceExtent } from "../../src/voxelhub/viewer/slice.js";

const [XY, YZ, XZ] = PLANES;
const B = 32;
const ISO = [1, 1, 1];

function layerOf(kind, { min = [0, 0, 0], max = [256, 256, 256], bytes = 1, range = null } = {}) {
  return { id: kind, name: kind, kind, bytes, box: { min, max }, mags: [[1, 1, 1], [2, 2, 2]], range };
}

/** A bucket at bucket position `pos` whose voxel (global mag coordinates g) holds `value(g)` (`parts` numbers). */
function bucket(ArrayType, pos, value, parts = 1) {
  const data = new ArrayType(B * B * B * parts);
  for (let z = 0; z < B; z++) {
    for (let y = 0; y < B; y++) {
      for (let x = 0; x < B; x++) {
        const v = value([pos[0] * B + x, pos[1] * B + y, pos[2] * B + z]);
        const i = (x + B * y + B * B * z) * parts;
        if (parts === 1) data[i] = v;
        else for (let k = 0; k < parts; k++) data[i + k] = v[k];
      }
    }
  }
  return data;
}

/** getBucket for a layer whose every bucket is computed from `value`; records the positions asked for. */
function world(ArrayType, value, parts = 1, missing = () => false) {
  const asked = [];
  const cache = new Map();
  const get = (pos) => {
    asked.push(pos.slice());
    if (missing(pos)) return undefined;
    const key = pos.join(",");
    if (!cache.has(key)) cache.set(key, bucket(ArrayType, pos, value, parts));
    return cache.get(key);
  };
  return { get, asked };
}

/** The RGBA bytes of pixel (i, j) of a (u1-u0)-wide image. */
function pixelAt(pixels, extent, i, j) {
  const bytes = new Uint8Array(pixels.buffer);
  const at = 4 * (j * (extent.u1 - extent.u0) + i);
  return [...bytes.slice(at, at + 4)];
}

/** The mag voxel shown at pixel (i, j) of the extent in `plane`. */
function voxelAt(plane, extent, i, j) {
  const g = [0, 0, 0];
  g[plane.u] = extent.u0 + i;
  g[plane.v] = extent.v0 + j;
  g[plane.w] = extent.wIndex;
  return g;
}

const gray = (g) => (g[0] * 3 + g[1] * 5 + g[2] * 7) & 255;

describe("sliceExtent", () => {
  const layer = layerOf("gray8", { max: [100, 80, 60] });
  const view = planeView(XY, [50, 40, 30], 1, ISO, 40, 20); // x 30..70, y 30..50

  test("the visible part at mag 1, and the slice index", () => {
    assert.deepEqual(sliceExtent(view, layer, [1, 1, 1]), { u0: 30, u1: 70, v0: 30, v1: 50, wIndex: 30 });
  });

  test("at a coarser mag, in that mag's voxels", () => {
    assert.deepEqual(sliceExtent(view, layer, [2, 2, 1]), { u0: 15, u1: 35, v0: 15, v1: 25, wIndex: 30 });
    assert.deepEqual(sliceExtent(view, layer, [4, 4, 4]).wIndex, 7); // z 30 is in mag-4 voxel 7 (28..31)
  });

  test("a partly visible voxel at the edge is included", () => {
    const v = planeView(XY, [50.5, 40, 30], 1, ISO, 41, 20); // x 30..71
    const e = sliceExtent(v, layer, [2, 2, 1]);
    assert.deepEqual([e.u0, e.u1], [15, 36]); // mag-2 voxels 15 (30..31) to 35 (70..71)
  });

  test("clipped to the layer's box, including a partly filled last voxel of a coarse mag", () => {
    const wide = planeView(XY, [50, 40, 30], 1, ISO, 1000, 1000);
    assert.deepEqual(sliceExtent(wide, layer, [1, 1, 1]), { u0: 0, u1: 100, v0: 0, v1: 80, wIndex: 30 });
    assert.deepEqual(sliceExtent(wide, layer, [8, 8, 8]), { u0: 0, u1: 13, v0: 0, v1: 10, wIndex: 3 });
    const shifted = layerOf("gray8", { min: [-64, 10, 0], max: [36, 90, 60] });
    assert.deepEqual(sliceExtent(wide, shifted, [1, 1, 1]), { u0: -64, u1: 36, v0: 10, v1: 90, wIndex: 30 });
  });

  test("a slice outside the box along the normal: nothing", () => {
    assert.equal(sliceExtent(planeView(XY, [50, 40, 60], 1, ISO, 40, 20), layer, ISO), null); // max is exclusive
    assert.equal(sliceExtent(planeView(XY, [50, 40, -1], 1, ISO, 40, 20), layer, ISO), null);
    assert.notEqual(sliceExtent(planeView(XY, [50, 40, 0], 1, ISO, 40, 20), layer, ISO), null);
    assert.notEqual(sliceExtent(planeView(XY, [50, 40, 59.5], 1, ISO, 40, 20), layer, ISO), null);
  });

  test("a view beside the box: nothing", () => {
    assert.equal(sliceExtent(planeView(XY, [500, 40, 30], 1, ISO, 40, 20), layer, ISO), null);
    assert.equal(sliceExtent(planeView(XY, [50, -100, 30], 1, ISO, 40, 20), layer, ISO), null);
  });

  test("the other planes use their own axes", () => {
    const yz = planeView(YZ, [50, 40, 30], 1, ISO, 20, 10); // z 20..40 across, y 35..45 down, x = 50
    assert.deepEqual(sliceExtent(yz, layer, ISO), { u0: 20, u1: 40, v0: 35, v1: 45, wIndex: 50 });
    const xz = planeView(XZ, [50, 40, 30], 1, ISO, 20, 10); // x 40..60 across, z 25..35 down, y = 40
    assert.deepEqual(sliceExtent(xz, layer, ISO), { u0: 40, u1: 60, v0: 25, v1: 35, wIndex: 40 });
  });

  test("too many pixels to assemble: says so instead of an extent", () => {
    const huge = layerOf("gray8", { max: [100000, 100000, 10] });
    const view = planeView(XY, [50000, 50000, 5], 1, ISO, 5000, 5000);
    assert.deepEqual(sliceExtent(view, huge, ISO), { tooLarge: true });
    assert.ok(!sliceExtent(view, huge, [2, 2, 1]).tooLarge); // 2500 x 2500 at mag 2 is fine
  });
});

describe("sliceBuckets", () => {
  const view = planeView(XY, [0, 0, 0], 1, ISO, 10, 10);
  const keys = (list) => list.map((b) => b.pos.join(",")).sort();

  test("every bucket the extent touches, once, on the slice's bucket layer", () => {
    const list = sliceBuckets(view, { u0: 30, u1: 70, v0: 30, v1: 50, wIndex: 30 });
    assert.deepEqual(keys(list), ["0,0,0", "0,1,0", "1,0,0", "1,1,0", "2,0,0", "2,1,0"]);
  });

  test("the end of the extent is exclusive: an aligned extent needs no extra bucket", () => {
    assert.deepEqual(keys(sliceBuckets(view, { u0: 0, u1: 32, v0: 32, v1: 64, wIndex: 95 })), ["0,1,2"]);
    assert.deepEqual(keys(sliceBuckets(view, { u0: 0, u1: 33, v0: 32, v1: 64, wIndex: 96 })), ["0,1,3", "1,1,3"]);
  });

  test("negative coordinates", () => {
    assert.deepEqual(keys(sliceBuckets(view, { u0: -10, u1: 10, v0: -1, v1: 0, wIndex: -33 })),
      ["-1,-1,-2", "0,-1,-2"]);
  });

  test("placed along the plane's axes", () => {
    const yz = planeView(YZ, [0, 0, 0], 1, ISO, 10, 10);
    // YZ: u is z, v is y, the slice is along x.
    assert.deepEqual(keys(sliceBuckets(yz, { u0: 0, u1: 40, v0: 64, v1: 70, wIndex: 70 })), ["2,2,0", "2,2,1"]);
    const xz = planeView(XZ, [0, 0, 0], 1, ISO, 10, 10);
    // XZ: u is x, v is z, the slice is along y.
    assert.deepEqual(keys(sliceBuckets(xz, { u0: 0, u1: 40, v0: 64, v1: 70, wIndex: 5 })), ["0,0,2", "1,0,2"]);
  });

  test("nearest to the centre first", () => {
    const list = sliceBuckets(view, { u0: 0, u1: 5 * B, v0: 0, v1: 5 * B, wIndex: 0 });
    assert.equal(list.length, 25);
    assert.deepEqual(list[0].pos, [2, 2, 0]);
    const dist = (b) => (b.pos[0] - 2) ** 2 + (b.pos[1] - 2) ** 2;
    for (let i = 1; i < list.length; i++) assert.ok(dist(list[i - 1]) <= dist(list[i]));
    assert.deepEqual(new Set(list.slice(1, 5).map((b) => b.pos.join(","))),
      new Set(["1,2,0", "3,2,0", "2,1,0", "2,3,0"]));
  });
});

describe("fillSlice", () => {
  function fill(plane, position, layer, mag, w, h, source) {
    const view = planeView(plane, position, 1, ISO, w, h);
    const extent = sliceExtent(view, layer, mag);
    const pixels = new Uint32Array((extent.u1 - extent.u0) * (extent.v1 - extent.v0));
    const missing = fillSlice(view, layer, mag, extent, pixels, source.get);
    return { view, extent, pixels, missing };
  }

  test("gray8, every plane, across bucket borders: each pixel is its voxel's grey", () => {
    const layer = layerOf("gray8");
    for (const plane of PLANES) {
      const src = world(Uint8Array, gray);
      const { extent, pixels, missing } = fill(plane, [70, 45, 100], layer, ISO, 70, 50, src);
      assert.equal(missing, 0);
      for (let j = 0; j < extent.v1 - extent.v0; j++) {
        for (let i = 0; i < extent.u1 - extent.u0; i++) {
          const g = gray(voxelAt(plane, extent, i, j));
          assert.deepEqual(pixelAt(pixels, extent, i, j), [g, g, g, 255], `${plane.id} pixel ${i},${j}`);
        }
      }
    }
  });

  test("asks for the buckets of the slice's mag, in that mag's bucket grid", () => {
    const layer = layerOf("gray8");
    const src = world(Uint8Array, gray);
    const { extent } = fill(XY, [200, 100, 130], layer, [2, 2, 2], 40, 40, src);
    assert.equal(extent.wIndex, 65); // z 130 at mag 2
    assert.ok(src.asked.every((pos) => pos[2] === 2), JSON.stringify(src.asked)); // 65 is in bucket 2
    assert.deepEqual(new Set(src.asked.map((p) => p.join(","))), new Set(["2,1,2", "3,1,2"]));
  });

  test("a slice in a bucket at negative coordinates", () => {
    const layer = layerOf("gray8", { min: [-64, -64, -64], max: [64, 64, 64] });
    const value = (g) => (g[0] + 2 * g[1] + 4 * g[2] + 1024) & 255;
    const src = world(Uint8Array, value);
    const { extent, pixels } = fill(XY, [0, 0, -5], layer, ISO, 16, 16, src);
    assert.equal(extent.wIndex, -5);
    for (let j = 0; j < 16; j++) {
      for (let i = 0; i < 16; i++) {
        const v = value(voxelAt(XY, extent, i, j));
        assert.deepEqual(pixelAt(pixels, extent, i, j), [v, v, v, 255]);
      }
    }
  });

  test("missing buckets are counted and their pixels left as they were", () => {
    const layer = layerOf("gray8");
    const src = world(Uint8Array, () => 200, 1, (pos) => pos[0] === 1);
    const { extent, pixels, missing } = fill(XY, [32, 16, 0], layer, ISO, 32, 16, src); // x 16..48: buckets 0, 1
    assert.equal(missing, 1);
    assert.deepEqual(pixelAt(pixels, extent, 0, 0), [200, 200, 200, 255]); // x 16
    assert.deepEqual(pixelAt(pixels, extent, 15, 0), [200, 200, 200, 255]); // x 31
    assert.deepEqual(pixelAt(pixels, extent, 16, 0), [0, 0, 0, 0]); // x 32: bucket 1 is missing
    assert.deepEqual(pixelAt(pixels, extent, 31, 15), [0, 0, 0, 0]);
  });

  test("rgb (uint24): the voxel's red, green and blue", () => {
    const layer = layerOf("rgb", { bytes: 3 });
    const colour = (g) => [g[0] & 255, g[1] & 255, (g[2] * 9) & 255];
    const src = world(Uint8Array, colour, 3);
    const { extent, pixels } = fill(XZ, [40, 10, 33], layer, ISO, 20, 8, src);
    for (const [i, j] of [[0, 0], [19, 7], [5, 3]]) {
      assert.deepEqual(pixelAt(pixels, extent, i, j), [...colour(voxelAt(XZ, extent, i, j)), 255]);
    }
  });

  test("scalar: scaled from the layer's value range to 0..255, clamped", () => {
    const layer = layerOf("scalar", { bytes: 2, range: [100, 300] });
    const values = [100, 300, 200, 50, 1000, 101];
    const src = world(Uint16Array, (g) => values[g[0] % values.length]);
    const { extent, pixels } = fill(XY, [3, 0, 0], layer, ISO, 6, 1, src);
    assert.equal(extent.u0, 0);
    const greys = values.map((_, i) => pixelAt(pixels, extent, i, 0)[0]);
    assert.deepEqual(greys, [0, 255, 127, 0, 255, 1]);
    for (let i = 0; i < values.length; i++) assert.equal(pixelAt(pixels, extent, i, 0)[3], 255);
  });

  test("scalar with a range of one value: black, not NaN", () => {
    const layer = layerOf("scalar", { bytes: 4, range: [7, 7] });
    const src = world(Float32Array, () => 7);
    const { extent, pixels } = fill(XY, [3, 0, 0], layer, ISO, 6, 1, src);
    assert.deepEqual(pixelAt(pixels, extent, 2, 0), [0, 0, 0, 255]);
  });

  test("scalar64: the two halves make one value", () => {
    const layer = layerOf("scalar64", { bytes: 8, range: [0, 2 ** 33] });
    const halves = [[0, 0], [0, 1], [0, 2], [4294967295, 0]];
    const src = world(Uint32Array, (g) => halves[g[0] % 4], 2);
    const { extent, pixels } = fill(XY, [2, 0, 0], layer, ISO, 4, 1, src);
    assert.deepEqual([0, 1, 2, 3].map((i) => pixelAt(pixels, extent, i, 0)[0]), [0, 127, 255, 127]);
  });

  test("seg32: id 0 transparent, other ids their palette colour (the colour the legend shows)", () => {
    const layer = layerOf("seg32", { bytes: 4 });
    const ids = [0, 7, 7, 4294967295, 0, 123456];
    const src = world(Uint32Array, (g) => ids[g[0] % ids.length]);
    const { extent, pixels } = fill(XY, [3, 5, 5], layer, ISO, 6, 2, src);
    for (let i = 0; i < ids.length; i++) {
      const px = pixelAt(pixels, extent, i, 1);
      if (ids[i] === 0) assert.deepEqual(px, [0, 0, 0, 0]);
      else {
        assert.equal(`rgb(${px[0]}, ${px[1]}, ${px[2]})`, segmentCss(ids[i]));
        assert.equal(px[3], 255);
      }
    }
  });

  test("seg64: ids as (lo, hi); a small id has the same colour as in a 32-bit layer", () => {
    const layer = layerOf("seg64", { bytes: 8 });
    const ids = [[0, 0], [7, 0], [0, 1], [5, 4294967295]];
    const src = world(Uint32Array, (g) => ids[g[0] % ids.length], 2);
    const { extent, pixels } = fill(XY, [2, 0, 0], layer, ISO, 4, 1, src);
    const packed = [0, 1, 2, 3].map((i) => pixels[i]);
    assert.equal(packed[0], 0);
    assert.equal(packed[1], PALETTE[paletteIndex(7)]);
    assert.equal(packed[2], PALETTE[paletteIndex(0, 1)]);
    assert.equal(packed[3], PALETTE[paletteIndex(5, 4294967295)]);
    const [r, g, b, a] = pixelAt(pixels, extent, 1, 0);
    assert.equal(`rgb(${r}, ${g}, ${b})`, segmentCss(7, 0));
    assert.equal(a, 255);
  });

  test("an unknown kind paints nothing", () => {
    const layer = layerOf("none");
    const src = world(Uint8Array, () => 9);
    const { pixels, missing } = fill(XY, [16, 16, 0], layer, ISO, 8, 8, src);
    assert.equal(missing, 0);
    assert.ok(pixels.every((p) => p === 0));
  });
});

describe("sampleValue", () => {
  const peekFrom = (src) => (pos) => src.get(pos);

  test("the voxel's value at mag 1 and at a coarser mag", () => {
    const layer = layerOf("gray8");
    const src = world(Uint8Array, gray);
    assert.equal(sampleValue(layer, ISO, [40, 70, 100], peekFrom(src)), gray([40, 70, 100]));
    assert.equal(sampleValue(layer, [2, 2, 2], [41, 71, 101], peekFrom(src)), gray([20, 35, 50]));
    assert.equal(sampleValue(layer, [4, 4, 1], [7, 7, 7], peekFrom(src)), gray([1, 1, 7]));
  });

  test("rgb: [r, g, b]; 64-bit: [lo, hi]; float: the number", () => {
    const rgb = layerOf("rgb", { bytes: 3 });
    const colour = (g) => [g[0], g[1], g[2]];
    assert.deepEqual(sampleValue(rgb, ISO, [33, 2, 3], peekFrom(world(Uint8Array, colour, 3))), [33, 2, 3]);
    const seg64 = layerOf("seg64", { bytes: 8 });
    const halves = (g) => [g[0], g[1] + 1];
    assert.deepEqual(sampleValue(seg64, ISO, [5, 6, 7], peekFrom(world(Uint32Array, halves, 2))), [5, 7]);
    const dbl = layerOf("scalar", { bytes: 8 });
    assert.equal(sampleValue(dbl, ISO, [5, 6, 7], peekFrom(world(Float64Array, (g) => g[0] / 4))), 1.25);
  });

  test("asks for the bucket that holds the voxel; null when it is not there", () => {
    const layer = layerOf("gray8");
    const src = world(Uint8Array, gray, 1, () => true);
    assert.equal(sampleValue(layer, [2, 2, 2], [130, 0, 64], peekFrom(src)), null);
    assert.deepEqual(src.asked, [[2, 0, 1]]);
  });
});
