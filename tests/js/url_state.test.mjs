// The view hash, as specified for the viewer URLs (webKnossos form):
//   #x,y,z,mode,zoom[,rotX,rotY,rotZ][,activeNodeId]   mode 0 orthogonal, 1 flight, 2 oblique; zoom > 0
// or a URL-encoded JSON object {"position":[x,y,z],"mode":…,"zoomStep":…,"rotation":[…],"activeNode":…}.
// A malformed hash must give null (the viewer then falls back to the default view).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { formatHash, pageToken, parseHash } from "../../src/voxelhub/viewer/url_state.js";

const view = (position, mode, zoom, rotation = [0, 0, 0], activeNode = null) => ({
  position, mode, zoom, rotation, activeNode,
});

describe("parseHash, comma form", () => {
  test("the spec's example: position, mode, zoom, rotation and active node", () => {
    assert.deepEqual(parseHash("#3584,3584,1024,0,1.3,0,0,0,17"), view([3584, 3584, 1024], 0, 1.3, [0, 0, 0], 17));
  });

  test("five values: no rotation (zero) and no active node", () => {
    assert.deepEqual(parseHash("#10,20,30,0,2"), view([10, 20, 30], 0, 2));
  });

  test("the leading # is optional", () => {
    assert.deepEqual(parseHash("10,20,30,0,2"), parseHash("#10,20,30,0,2"));
  });

  test("eight values: a rotation, no active node", () => {
    assert.deepEqual(parseHash("#1,2,3,0,1,90,45.5,-10"), view([1, 2, 3], 0, 1, [90, 45.5, -10]));
  });

  test("six values: an active node without a rotation", () => {
    assert.deepEqual(parseHash("#1,2,3,0,1,42"), view([1, 2, 3], 0, 1, [0, 0, 0], 42));
  });

  test("all three modes", () => {
    for (const mode of [0, 1, 2]) assert.equal(parseHash(`#1,2,3,${mode},1`).mode, mode);
  });

  test("fractional and negative positions, fractional and exponent zooms", () => {
    assert.deepEqual(parseHash("#-5,10.5,0,0,0.25"), view([-5, 10.5, 0], 0, 0.25));
    assert.equal(parseHash("#1,2,3,0,1e-3").zoom, 0.001);
    assert.equal(parseHash("#1,2,3,0,.5").zoom, 0.5);
  });

  test("a percent-encoded hash (as some clients copy it) is decoded", () => {
    assert.deepEqual(parseHash("#1%2C2%2C3%2C0%2C1.5"), view([1, 2, 3], 0, 1.5));
  });

  test("the answer is a fresh object: changing it does not change the next parse", () => {
    const a = parseHash("#1,2,3,0,1");
    a.position[0] = 99;
    assert.deepEqual(parseHash("#1,2,3,0,1").position, [1, 2, 3]);
  });
});

describe("parseHash, JSON form", () => {
  const json = (obj) => "#" + encodeURIComponent(JSON.stringify(obj));

  test("every field", () => {
    const hash = json({ position: [10, 20, 30], mode: 0, zoomStep: 2, rotation: [0, 90, 0], activeNode: 5 });
    assert.deepEqual(parseHash(hash), view([10, 20, 30], 0, 2, [0, 90, 0], 5));
  });

  test("webKnossos' mode names", () => {
    assert.equal(parseHash(json({ position: [1, 2, 3], mode: "orthogonal", zoomStep: 1 })).mode, 0);
    assert.equal(parseHash(json({ position: [1, 2, 3], mode: "flight", zoomStep: 1 })).mode, 1);
    assert.equal(parseHash(json({ position: [1, 2, 3], mode: "oblique", zoomStep: 1 })).mode, 2);
  });

  test("only the position is required", () => {
    const state = parseHash(json({ position: [1, 2, 3] }));
    assert.deepEqual(state.position, [1, 2, 3]);
    assert.equal(state.activeNode, null);
    assert.deepEqual(state.rotation, [0, 0, 0]);
    assert.ok(state.zoom > 0);
  });

  test("not encoded (a browser may show the braces as typed)", () => {
    assert.deepEqual(parseHash('#{"position":[4,5,6],"zoomStep":3}').position, [4, 5, 6]);
  });
});

describe("parseHash, malformed → null", () => {
  const bad = {
    "nothing": "",
    "a bare #": "#",
    "too few values": "#1,2,3,0",
    "seven values": "#1,2,3,0,1,0,0",
    "ten values": "#1,2,3,0,1,0,0,0,5,6",
    "an empty value": "#1,,3,0,1",
    "a word": "#a,2,3,0,1",
    "hexadecimal": "#0x10,2,3,0,1",
    "NaN": "#NaN,2,3,0,1",
    "Infinity": "#Infinity,2,3,0,1",
    "a number beyond float range": "#1e400,2,3,0,1",
    "a position far outside any dataset": "#1e12,2,3,0,1",
    "zoom 0": "#1,2,3,0,0",
    "a negative zoom": "#1,2,3,0,-1",
    "mode 3": "#1,2,3,3,1",
    "mode -1": "#1,2,3,-1,1",
    "a fractional mode": "#1,2,3,0.5,1",
    "a negative active node": "#1,2,3,0,1,-4",
    "a fractional active node": "#1,2,3,0,1,2.5",
    "a broken percent escape": "#1,2,3,0,1%",
    "units after a number": "#1px,2,3,0,1",
    "very long": "#" + "1,".repeat(3000) + "1",
    "broken JSON": "#{position:[1,2,3]",
    "a JSON array": "#[1,2,3,0,1]",
    "JSON null": "#null",
    "JSON without a position": '#{"zoomStep":1}',
    "JSON with two coordinates": '#{"position":[1,2]}',
    "JSON with text coordinates": '#{"position":["1","2","3"]}',
    "JSON with an unknown mode name": '#{"position":[1,2,3],"mode":"sideways"}',
    "JSON with zoomStep 0": '#{"position":[1,2,3],"zoomStep":0}',
    "JSON with a short rotation": '#{"position":[1,2,3],"rotation":[0,0]}',
    "JSON with a negative active node": '#{"position":[1,2,3],"activeNode":-1}',
  };
  for (const [what, hash] of Object.entries(bad)) {
    test(what, () => assert.equal(parseHash(hash), null, hash.slice(0, 60)));
  }

  test("not a string", () => {
    for (const value of [undefined, null, 42, {}, ["#1,2,3,0,1"]]) assert.equal(parseHash(value), null);
  });
});

describe("formatHash", () => {
  test("the spec's example", () => {
    assert.equal(formatHash({ position: [3584, 3584, 1024], mode: 0, zoom: 1.3, activeNode: 17 }),
      "#3584,3584,1024,0,1.3,0,0,0,17");
  });

  test("no rotation and no active node: the five-value form", () => {
    assert.equal(formatHash({ position: [10, 20, 30], mode: 0, zoom: 2 }), "#10,20,30,0,2");
  });

  test("a rotation without an active node: eight values", () => {
    assert.equal(formatHash({ position: [1, 2, 3], zoom: 1, rotation: [0, 90, 0] }), "#1,2,3,0,1,0,90,0");
  });

  test("positions are whole voxels: the voxel that holds the point", () => {
    assert.equal(formatHash({ position: [1.7, 2.2, -0.5], zoom: 1 }), "#1,2,-1,0,1");
  });

  test("the zoom is short: three decimals at most, no trailing zeros", () => {
    assert.equal(formatHash({ position: [0, 0, 0], zoom: 1.23456 }), "#0,0,0,0,1.235");
    assert.equal(formatHash({ position: [0, 0, 0], zoom: 0.5 }), "#0,0,0,0,0.5");
  });

  test("every zoom it writes reads back as a positive zoom (also below 0.0005)", () => {
    for (const zoom of [0.05, 0.001, 0.0004, 1e-7, 3, 4096]) {
      const state = parseHash(formatHash({ position: [1, 2, 3], zoom }));
      assert.ok(state, `zoom ${zoom}`);
      assert.ok(Math.abs(state.zoom - zoom) / zoom < 0.01, `zoom ${zoom} read back as ${state.zoom}`);
    }
  });
});

describe("round trips", () => {
  test("parse(format(view)) is the view", () => {
    const views = [
      view([0, 0, 0], 0, 1),
      view([3584, 3584, 1024], 0, 1.3, [0, 0, 0], 17),
      view([-100, 5, 2147483647], 0, 0.05),
      view([1, 2, 3], 1, 12.5, [10.25, -20, 359.99]),
      view([1, 2, 3], 2, 0.125, [0, 0, 1], 1),
      view([7, 8, 9], 0, 640, [0, 0, 0], 0),
    ];
    for (const v of views) assert.deepEqual(parseHash(formatHash(v)), v, JSON.stringify(v));
  });

  test("format(parse(hash)) is the hash, for hashes already in the short form", () => {
    for (const hash of ["#1,2,3,0,1", "#3584,3584,1024,0,1.3,0,0,0,17", "#-4,0,9,0,0.05", "#1,2,3,2,7,1,2,3"]) {
      assert.equal(formatHash(parseHash(hash)), hash);
    }
  });

  test("the JSON form comes back in the comma form", () => {
    const hash = "#" + encodeURIComponent(JSON.stringify({ position: [10, 20, 30], mode: 0, zoomStep: 2 }));
    assert.equal(formatHash(parseHash(hash)), "#10,20,30,0,2");
  });
});

describe("pageToken", () => {
  test("the token query parameter, decoded", () => {
    assert.equal(pageToken("?token=Qm9Fv2u0N3lYcG9Hx1Kq4A"), "Qm9Fv2u0N3lYcG9Hx1Kq4A");
    assert.equal(pageToken("?a=1&token=x%2By&b=2"), "x+y");
  });

  test("none: an empty string", () => {
    assert.equal(pageToken(""), "");
    assert.equal(pageToken("?tokens=1"), "");
    assert.equal(pageToken("?token="), "");
  });
});
