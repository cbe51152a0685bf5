// The 3D box: its projection, the planes' cuts through it, its edges, and how drags and the wheel turn it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { PLANES } from "../../src/voxelhub/viewer/planes.js";
import {
  DEFAULT_ROTATION, boxEdges, defaultRotation, planeQuad, projector, rotated, scaled,
} from "../../src/voxelhub/viewer/view3d.js";

const BOX = { min: [0, 0, 0], max: [100, 100, 100] };
const near = (a, b, msg) => a.forEach((v, i) => assert.ok(Math.abs(v - b[i]) < 1e-9, `${msg}: ${a} vs ${b}`));

describe("projector", () => {
  test("the box's centre lands in the middle of the pane", () => {
    const project = projector(DEFAULT_ROTATION, BOX, [1, 1, 1], 300, 200);
    near(project([50, 50, 50]).slice(0, 2), [150, 100], "centre");
  });

  test("unrotated, x goes right and y down; the diagonal fills 80% of the shorter side", () => {
    const project = projector({ yaw: 0, pitch: 0, scale: 1 }, BOX, [1, 1, 1], 200, 400);
    const fit = (200 * 0.8) / Math.hypot(100, 100, 100);
    near(project([100, 50, 50]), [100 + 50 * fit, 200, 0], "+x");
    near(project([50, 100, 50]), [100, 200 + 50 * fit, 0], "+y");
    near(project([50, 50, 100]), [100, 200, 50], "+z goes into the depth");
  });

  test("the scale zooms about the centre; anisotropic voxels stretch their axis", () => {
    const plain = projector({ yaw: 0, pitch: 0, scale: 1 }, BOX, [1, 1, 1], 200, 200);
    const doubled = projector({ yaw: 0, pitch: 0, scale: 2 }, BOX, [1, 1, 1], 200, 200);
    assert.ok(Math.abs((doubled([100, 50, 50])[0] - 100) - 2 * (plain([100, 50, 50])[0] - 100)) < 1e-9);
    const thick = projector({ yaw: 0, pitch: 0, scale: 1 }, { min: [0, 0, 0], max: [10, 10, 10] }, [1, 1, 10], 200, 200);
    assert.ok(Math.abs(thick([5, 5, 10])[2] - 50) < 1e-9, "z counts ten times");
  });
});

describe("rotation", () => {
  test("a drag turns yaw freely and pitch up to just short of ±90°", () => {
    const r = rotated({ yaw: 0, pitch: 0, scale: 2 }, 100, -50);
    near([r.yaw, r.pitch, r.scale], [1, -0.5, 2], "turned");
    assert.equal(rotated({ yaw: 0, pitch: 1.5, scale: 1 }, 0, 100).pitch, 1.55);
    assert.equal(rotated({ yaw: 0, pitch: -1.5, scale: 1 }, 0, -100).pitch, -1.55);
  });

  test("the wheel zooms one step per notch, between 0.2 and 50", () => {
    assert.ok(scaled({ yaw: 0, pitch: 0, scale: 1 }, -3).scale > 1);
    assert.ok(scaled({ yaw: 0, pitch: 0, scale: 1 }, 120).scale < 1);
    assert.equal(scaled({ yaw: 0, pitch: 0, scale: 50 }, -1).scale, 50);
    assert.equal(scaled({ yaw: 0, pitch: 0, scale: 0.2 }, 1).scale, 0.2);
  });

  test("the default is a fresh copy each time (a drag never changes the default)", () => {
    const r = defaultRotation();
    assert.deepEqual(r, { ...DEFAULT_ROTATION });
    r.yaw = 5;
    assert.equal(defaultRotation().yaw, DEFAULT_ROTATION.yaw);
    assert.throws(() => { DEFAULT_ROTATION.yaw = 1; });
  });
});

describe("box geometry", () => {
  test("twelve edges, each along one axis", () => {
    const edges = boxEdges(BOX);
    assert.equal(edges.length, 12);
    for (const [a, b] of edges) assert.equal(a.filter((v, i) => v !== b[i]).length, 1);
  });

  test("a plane's quad spans its two axes and sits at the position, clamped into the box", () => {
    const [XY, YZ] = PLANES;
    assert.deepEqual(planeQuad(XY, BOX, [10, 20, 30]), [[0, 0, 30], [100, 0, 30], [100, 100, 30], [0, 100, 30]]);
    assert.deepEqual(planeQuad(YZ, BOX, [-5, 20, 30]).map((q) => q[0]), [0, 0, 0, 0]);
    assert.deepEqual(planeQuad(YZ, BOX, [500, 20, 30]).map((q) => q[0]), [100, 100, 100, 100]);
  });
});
