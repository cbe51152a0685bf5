// Segment meshes: reading the server's binary answer, segment ids typed in, and drawing only the faces that
// face the viewer, far to near.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PALETTE, paletteIndex } from "../../src/voxelhub/viewer/colors.js";
import { drawMeshes, parseMesh, parseSegmentId, segmentRgb } from "../../src/voxelhub/viewer/meshes.js";
import { projector } from "../../src/voxelhub/viewer/view3d.js";

// A 10-voxel cube: vertex x + 2y + 4z at (x, y, z) * 10, triangles wound as the server winds them (outward normal
// (b − a) × (c − a)).
const CUBE_VERTICES = new Float32Array([0, 1, 2, 3, 4, 5, 6, 7].flatMap((i) => [i & 1, (i >> 1) & 1, (i >> 2) & 1].map((v) => v * 10)));
const CUBE_TRIANGLES = new Uint32Array([
  0, 2, 1, 1, 2, 3, // z = 0, normal −z
  4, 5, 6, 5, 7, 6, // z = 10, normal +z
  0, 1, 4, 1, 5, 4, // y = 0, normal −y
  2, 6, 3, 3, 6, 7, // y = 10, normal +y
  0, 4, 2, 2, 4, 6, // x = 0, normal −x
  1, 3, 5, 3, 7, 5, // x = 10, normal +x
]);

function answer(vertices, triangles) {
  const out = new Uint8Array(vertices.byteLength + triangles.byteLength);
  out.set(new Uint8Array(vertices.buffer), 0);
  out.set(new Uint8Array(triangles.buffer), vertices.byteLength);
  return out.buffer;
}

/** A 2D context that records each filled triangle: its first point and its fill colour. */
function recorder() {
  const fills = [];
  let path = [];
  return {
    fills,
    beginPath() { path = []; },
    moveTo(x, y) { path.push([x, y]); },
    lineTo(x, y) { path.push([x, y]); },
    closePath() {},
    fill() { fills.push({ path: path.slice(), style: this.fillStyle }); },
    stroke() {},
  };
}

describe("parseMesh", () => {
  test("reads vertices then triangles as the counts say", () => {
    const mesh = parseMesh(answer(CUBE_VERTICES, CUBE_TRIANGLES), "8", "12");
    assert.deepEqual([...mesh.vertices], [...CUBE_VERTICES]);
    assert.deepEqual([...mesh.triangles], [...CUBE_TRIANGLES]);
  });

  test("refuses counts that do not match the bytes, and corners beyond the vertices", () => {
    assert.equal(parseMesh(answer(CUBE_VERTICES, CUBE_TRIANGLES), "8", "11"), null);
    assert.equal(parseMesh(answer(CUBE_VERTICES, CUBE_TRIANGLES), "x", "12"), null);
    const bad = CUBE_TRIANGLES.slice();
    bad[5] = 8;
    assert.equal(parseMesh(answer(CUBE_VERTICES, bad), "8", "12"), null);
  });
});

describe("parseSegmentId", () => {
  test("decimal ids, 64-bit ones as two halves", () => {
    assert.deepEqual(parseSegmentId(" 42 "), [42, 0]);
    assert.deepEqual(parseSegmentId("4294967296"), [0, 1]);
    assert.deepEqual(parseSegmentId("18446744073709551615"), [0xffffffff, 0xffffffff]);
  });

  test("nothing else", () => {
    for (const text of ["", "0", "-3", "1.5", "abc", "18446744073709551616", null]) {
      assert.equal(parseSegmentId(text), null, String(text));
    }
  });

  test("the mesh's colour is the segment's colour in the planes", () => {
    const c = PALETTE[paletteIndex(42, 0)];
    assert.deepEqual(segmentRgb([42, 0]), [c & 255, (c >>> 8) & 255, (c >>> 16) & 255]);
  });
});

describe("drawMeshes", () => {
  const box = { min: [0, 0, 0], max: [10, 10, 10] };
  const mesh = { vertices: CUBE_VERTICES, triangles: CUBE_TRIANGLES, rgb: [200, 100, 50] };

  test("seen straight on, only the near face (z = 0) is drawn, fully lit", () => {
    const ctx = recorder();
    const project = projector({ yaw: 0, pitch: 0, scale: 1 }, box, [1, 1, 1], 100, 100);
    drawMeshes(ctx, [mesh], project, 1);
    assert.equal(ctx.fills.length, 2);
    assert.ok(ctx.fills.every((f) => f.style === "rgb(200, 100, 50)"), JSON.stringify(ctx.fills));
  });

  test("turned, three faces face the viewer: six triangles, far ones first, shaded", () => {
    const ctx = recorder();
    const rotation = { yaw: 0.6, pitch: 0.5, scale: 1 };
    const project = projector(rotation, box, [1, 1, 1], 100, 100);
    drawMeshes(ctx, [mesh], project, 1);
    assert.equal(ctx.fills.length, 6);
    assert.ok(new Set(ctx.fills.map((f) => f.style)).size >= 2, "faces at different angles, different shades");
  });
});

describe("MeshStore.path", () => {
  test("a dataset layer's route, or beside an annotation volume layer's buckets", async () => {
    const { MeshStore } = await import("../../src/voxelhub/viewer/meshes.js");
    const store = new MeshStore(null, "ds1", () => {});
    assert.equal(store.path({ name: "seg mentation" }, "7"), "/data/datasets/ds1/layers/seg%20mentation/segments/7/mesh");
    const volume = { name: "Volume", bucketPath: "/data/annotations/a1/layers/Volume/buckets?version=3" };
    assert.equal(store.path(volume, "7"), "/data/annotations/a1/layers/Volume/segments/7/mesh");
  });
});
