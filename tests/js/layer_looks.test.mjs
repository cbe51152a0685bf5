// How layers are drawn: an image layer's brightness, contrast and tint; a segmentation layer showing only the
// active segment, and an annotation's painted voxels opaque over the dim ones it shares with its fallback; the
// 3D view's plane images (their mag and corners).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PALETTE, lookCurves, paletteIndex, parseTint } from "../../src/voxelhub/viewer/colors.js";
import { textureCorners, textureExtent, textureMag, TEXTURE_SIZE } from "../../src/voxelhub/viewer/plane_textures.js";
import { PLANES } from "../../src/voxelhub/viewer/planes.js";
import { UNPAINTED_ALPHA, fillSlice } from "../../src/voxelhub/viewer/slice.js";

const [XY, YZ] = PLANES;
const B = 32;
const rgba = (px) => [px & 255, (px >>> 8) & 255, (px >>> 16) & 255, px >>> 24];

/** One 32³ bucket at the origin filled by value(x, y, z), and the XY slice z = 0 of its first 4 × 1 voxels. */
function slice(layer, ArrayType, value, options = {}) {
  const data = new ArrayType(B * B * B);
  for (let i = 0; i < data.length; i++) data[i] = value(i % B, Math.floor(i / B) % B, Math.floor(i / B / B));
  const pixels = new Uint32Array(4);
  const extent = { u0: 0, u1: 4, v0: 0, v1: 1, wIndex: 0 };
  fillSlice({ plane: XY }, layer, [1, 1, 1], extent, pixels, () => data, options);
  return [...pixels].map(rgba);
}

describe("image looks", () => {
  test("the default look is the data's own grey", () => {
    const curves = lookCurves({});
    assert.ok(curves.identity);
    assert.deepEqual([0, 17, 128, 255].map((v) => rgba(curves.grey[v])), [0, 17, 128, 255].map((v) => [v, v, v, 255]));
  });

  test("brightness adds, contrast stretches about the middle, both clamp", () => {
    const bright = lookCurves({ brightness: 0.2 });
    assert.equal(bright.r[100], Math.round((100 / 255 + 0.2) * 255));
    assert.equal(bright.r[250], 255);
    const steep = lookCurves({ contrast: 2 });
    assert.equal(steep.r[128], Math.round(((128 / 255 - 0.5) * 2 + 0.5) * 255));
    assert.equal(steep.r[20], 0);
    assert.equal(steep.r[240], 255);
  });

  test("a tint scales each channel; the curves are kept until the look changes", () => {
    const layer = { tint: "#ff8000" };
    const curves = lookCurves(layer);
    assert.deepEqual(rgba(curves.grey[255]), [255, 128, 0, 255]);
    assert.equal(lookCurves(layer), curves);
    layer.brightness = 0.1;
    assert.notEqual(lookCurves(layer), curves);
    assert.deepEqual(parseTint("nonsense"), [255, 255, 255]);
  });

  test("a grey layer's slice goes through its look", () => {
    const layer = { kind: "gray8", brightness: 0.5, tint: "#00ff00" };
    assert.deepEqual(slice(layer, Uint8Array, (x) => x * 10)[1], [0, Math.round((10 / 255 + 0.5) * 255), 0, 255]);
  });
});

describe("segmentation slices", () => {
  const layer = { kind: "seg32" };
  const colour = (id) => rgba(PALETTE[paletteIndex(id, 0)]);
  const ids = (x) => [0, 5, 6, 5][x];

  test("every segment in its colour, 0 transparent", () => {
    assert.deepEqual(slice(layer, Uint32Array, ids), [[0, 0, 0, 0], colour(5), colour(6), colour(5)]);
  });

  test("only the active segment", () => {
    assert.deepEqual(slice(layer, Uint32Array, ids, { only: [5, 0] }), [[0, 0, 0, 0], colour(5), [0, 0, 0, 0], colour(5)]);
  });

  test("voxels equal to the fallback's are dim, painted ones opaque; all dim while the fallback loads", () => {
    const fallback = new Uint32Array(B * B * B).fill(5);
    const dim = (id) => [...colour(id).slice(0, 3), UNPAINTED_ALPHA];
    const got = slice(layer, Uint32Array, ids, { getFallback: () => fallback });
    assert.deepEqual(got, [[0, 0, 0, 0], dim(5), colour(6), dim(5)]);
    const loading = slice(layer, Uint32Array, ids, { getFallback: () => undefined });
    assert.deepEqual(loading, [[0, 0, 0, 0], dim(5), dim(6), dim(5)]);
  });
});

describe("the 3D view's plane images", () => {
  const box = { min: [0, 0, 0], max: [1024, 512, 256] };
  const layer = { box, mags: [[1, 1, 1], [2, 2, 2], [4, 4, 4], [8, 8, 8]] };

  test("the finest mag whose cut fits the texture", () => {
    assert.ok(1024 / 8 <= TEXTURE_SIZE && 1024 / 4 > TEXTURE_SIZE);
    assert.deepEqual(textureMag(layer, XY, box), [8, 8, 8]);
    assert.deepEqual(textureMag(layer, YZ, box), [4, 4, 4]); // z 256 and y 512: mag 4 gives 64 × 128
    assert.deepEqual(textureMag({ box, mags: [[1, 1, 1]] }, XY, box), [1, 1, 1]); // nothing fits: the coarsest
  });

  test("the whole cut at the position's slice, nothing when the position is outside", () => {
    assert.deepEqual(textureExtent(layer, XY, [5, 5, 100], [4, 4, 4]), { u0: 0, u1: 256, v0: 0, v1: 128, wIndex: 25 });
    assert.equal(textureExtent(layer, XY, [5, 5, 300], [4, 4, 4]), null);
  });

  test("its corners lie on the box at the (clamped) position", () => {
    assert.deepEqual(textureCorners(YZ, box, [2000, 3, 4]), [[1024, 0, 0], [1024, 0, 256], [1024, 512, 0]]);
  });
});
