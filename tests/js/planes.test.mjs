// Plane geometry: the three orthogonal planes as in webKnossos (XY; YZ with z across and y down; XZ with x across
// and z down), and the mapping between screen pixels and mag-1 voxels. `zoom` is voxels per screen pixel along the
// axis with the smallest voxel size; `relScale` is the voxel size relative to that axis, so an axis with larger
// voxels gets proportionally more pixels per voxel.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { AXES, PLANES, pixelsPerVoxel, planeView } from "../../src/voxelhub/viewer/planes.js";

const byId = Object.fromEntries(PLANES.map((p) => [p.id, p]));

describe("PLANES", () => {
  test("three planes, each spanned by two axes and cut along the third", () => {
    assert.deepEqual(PLANES.map((p) => p.id), ["xy", "yz", "xz"]);
    for (const p of PLANES) assert.deepEqual([p.u, p.v, p.w].sort(), [0, 1, 2], p.id);
  });

  test("the axes of each plane, as webKnossos lays them out", () => {
    const axes = (p) => [AXES[p.u], AXES[p.v], AXES[p.w]].join("");
    assert.equal(axes(byId.xy), "xyz"); // x across, y down, slices along z
    assert.equal(axes(byId.yz), "zyx"); // z across, y down, slices along x
    assert.equal(axes(byId.xz), "xzy"); // x across, z down, slices along y
  });

  test("the label names the plane", () => {
    for (const p of PLANES) assert.equal(p.label, p.id.toUpperCase());
  });
});

describe("pixelsPerVoxel", () => {
  test("isotropic: the inverse of the zoom", () => {
    assert.deepEqual(pixelsPerVoxel(2, [1, 1, 1]), [0.5, 0.5, 0.5]);
    assert.deepEqual(pixelsPerVoxel(0.25, [1, 1, 1]), [4, 4, 4]);
  });

  test("anisotropic: an axis with 10x larger voxels gets 10x the pixels", () => {
    assert.deepEqual(pixelsPerVoxel(1, [1, 1, 10]), [1, 1, 10]);
    assert.deepEqual(pixelsPerVoxel(4, [1, 1, 10]), [0.25, 0.25, 2.5]);
  });
});

describe("planeView", () => {
  const position = [100, 200, 300];

  test("the centre of the plane is the current position", () => {
    for (const p of PLANES) {
      const view = planeView(p, position, 1.5, [1, 1, 2], 640, 480);
      assert.deepEqual(view.toScreen(position), [320, 240], p.id);
      assert.deepEqual(view.toVoxel(320, 240), position, p.id);
    }
  });

  test("one voxel along u moves pu pixels right, one voxel along v moves pv pixels down", () => {
    const view = planeView(byId.xz, position, 2, [1, 1, 4], 200, 100);
    assert.equal(view.pu, 0.5); // x: 2 voxels per pixel
    assert.equal(view.pv, 2); // z: voxels 4x larger, 2 pixels per voxel
    assert.deepEqual(view.toScreen([110, 200, 300]), [105, 50]);
    assert.deepEqual(view.toScreen([100, 200, 310]), [100, 70]);
    // The normal axis (y here) does not move the point on screen.
    assert.deepEqual(view.toScreen([100, 999, 300]), [100, 50]);
  });

  test("the visible range along u and v in mag-1 voxels", () => {
    const view = planeView(byId.xz, position, 2, [1, 1, 4], 200, 100);
    assert.deepEqual([view.uMin, view.uMax], [-100, 300]); // 200 px * 2 voxels/px = 400 voxels around x=100
    assert.deepEqual([view.vMin, view.vMax], [275, 325]); // 100 px / 2 px/voxel around z=300
    const yz = planeView(byId.yz, position, 1, [1, 1, 1], 64, 32);
    assert.deepEqual([yz.uMin, yz.uMax, yz.vMin, yz.vMax], [268, 332, 184, 216]);
  });

  test("screen → voxel → screen is the identity, and the voxel stays on the current slice", () => {
    for (const p of PLANES) {
      const view = planeView(p, position, 0.75, [1, 2, 5], 300, 200);
      for (const [sx, sy] of [[0, 0], [300, 200], [12.5, 187.25], [150, 3]]) {
        const voxel = view.toVoxel(sx, sy);
        assert.equal(voxel[p.w], position[p.w], p.id);
        const [bx, by] = view.toScreen(voxel);
        assert.ok(Math.abs(bx - sx) < 1e-9 && Math.abs(by - sy) < 1e-9, `${p.id} ${sx},${sy} → ${bx},${by}`);
      }
    }
  });

  test("the corners of the screen are the ends of the visible range", () => {
    const view = planeView(byId.xy, position, 3, [1, 1, 1], 90, 60);
    const [x0, y0] = view.toVoxel(0, 0);
    const [x1, y1] = view.toVoxel(90, 60);
    assert.deepEqual([x0, x1, y0, y1], [view.uMin, view.uMax, view.vMin, view.vMax]);
  });

  test("does not change the position it was given", () => {
    const pos = [1, 2, 3];
    const view = planeView(byId.xy, pos, 1, [1, 1, 1], 10, 10);
    view.toVoxel(0, 0);
    assert.deepEqual(pos, [1, 2, 3]);
  });
});
