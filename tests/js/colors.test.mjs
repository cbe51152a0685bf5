// Segment colours: hashed from the id, the same in every session and plane; 64-bit ids as two 32-bit halves
// (lo, hi), as decoded from uint64 buckets. PALETTE entries are 0xAABBGGRR, i.e. the bytes R, G, B, A of an
// ImageData pixel on a little-endian machine.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import {
  hashId, idText, PALETTE, paletteIndex, segmentCss, treeCss,
} from "../../src/voxelhub/viewer/colors.js";

const rgbOf = (packed) => [packed & 255, (packed >>> 8) & 255, (packed >>> 16) & 255];

describe("PALETTE", () => {
  test("1024 opaque colours, none of them grey", () => {
    assert.ok(PALETTE instanceof Uint32Array);
    assert.equal(PALETTE.length, 1024);
    for (const c of PALETTE) {
      assert.equal(c >>> 24, 255);
      const [r, g, b] = rgbOf(c);
      assert.ok(Math.max(r, g, b) - Math.min(r, g, b) >= 64, `grey-ish colour ${r},${g},${b}`);
    }
  });

  test("well spread: most entries differ", () => {
    assert.ok(new Set(PALETTE).size > 900);
  });

  test("byte order R, G, B, A in memory (what ImageData expects)", () => {
    const bytes = new Uint8Array(PALETTE.buffer, 0, 4);
    assert.deepEqual([...bytes.slice(0, 3)], rgbOf(PALETTE[0]));
    assert.equal(bytes[3], 255);
  });
});

describe("hashId and paletteIndex", () => {
  test("the same in another copy of the module (another page, another session)", async () => {
    const again = await import("../../src/voxelhub/viewer/colors.js?second-copy");
    assert.notEqual(again.PALETTE, PALETTE);
    assert.deepEqual([...again.PALETTE], [...PALETTE]);
    for (const [lo, hi] of [[1, 0], [7, 0], [123456789, 0], [0, 1], [4294967295, 4294967295]]) {
      assert.equal(again.hashId(lo, hi), hashId(lo, hi));
      assert.equal(again.segmentCss(lo, hi), segmentCss(lo, hi));
    }
  });

  test("an unsigned 32-bit number", () => {
    for (let id = 0; id < 1000; id += 37) {
      const h = hashId(id * 104729, id);
      assert.ok(Number.isInteger(h) && h >= 0 && h < 2 ** 32);
    }
  });

  test("a 32-bit id is the 64-bit id with a zero high half", () => {
    for (const id of [1, 2, 255, 65536, 4294967295]) {
      assert.equal(hashId(id), hashId(id, 0));
      assert.equal(paletteIndex(id), paletteIndex(id, 0));
    }
  });

  test("a half given signed (from bitwise operations) is the same half", () => {
    assert.equal(hashId(-1, 0), hashId(4294967295, 0));
    assert.equal(hashId(5, -1), hashId(5, 4294967295));
  });

  test("the high half counts: ids 2^32 apart get different colours", () => {
    let differ = 0;
    for (let lo = 1; lo <= 200; lo++) if (paletteIndex(lo, 0) !== paletteIndex(lo, 1)) differ += 1;
    assert.ok(differ >= 190, `${differ} of 200`);
    assert.notEqual(hashId(0, 1), hashId(0, 2));
  });

  test("neighbouring ids get unrelated colours", () => {
    const indices = Array.from({ length: 4096 }, (_, i) => paletteIndex(i + 1));
    let same = 0;
    for (let i = 1; i < indices.length; i++) if (indices[i] === indices[i - 1]) same += 1;
    assert.ok(same <= 16, `${same} neighbours share a colour`);
    assert.ok(new Set(indices).size > 900, "4096 ids use most of the palette");
    // Not a ramp: consecutive ids do not step through the palette in order.
    let ascending = 0;
    for (let i = 1; i < 100; i++) if (indices[i] === indices[i - 1] + 1) ascending += 1;
    assert.ok(ascending < 5);
  });

  test("paletteIndex is an index into PALETTE", () => {
    for (let id = 0; id < 500; id++) {
      const i = paletteIndex(id * 7919, id % 3);
      assert.ok(Number.isInteger(i) && i >= 0 && i < PALETTE.length);
    }
  });
});

describe("segmentCss", () => {
  test("the CSS form of the id's palette colour", () => {
    for (const [lo, hi] of [[1, 0], [42, 0], [0, 1], [4294967295, 4294967295]]) {
      const [r, g, b] = rgbOf(PALETTE[paletteIndex(lo, hi)]);
      assert.equal(segmentCss(lo, hi), `rgb(${r}, ${g}, ${b})`);
    }
  });

  test("deterministic, and hi defaults to 0", () => {
    assert.equal(segmentCss(17), segmentCss(17, 0));
    assert.equal(segmentCss(17), segmentCss(17));
    assert.match(segmentCss(17), /^rgb\(\d{1,3}, \d{1,3}, \d{1,3}\)$/);
  });
});

describe("idText", () => {
  test("32-bit ids", () => {
    assert.equal(idText(0), "0");
    assert.equal(idText(42), "42");
    assert.equal(idText(4294967295), "4294967295");
    assert.equal(idText(-1), "4294967295"); // a low half given signed
  });

  test("64-bit ids from two halves, beyond what a double holds exactly", () => {
    assert.equal(idText(0, 1), "4294967296");
    assert.equal(idText(1, 1), "4294967297");
    assert.equal(idText(1, 2 ** 31), "9223372036854775809");
    assert.equal(idText(4294967295, 4294967295), "18446744073709551615");
    assert.equal(idText(2 ** 31, 0), "2147483648");
  });
});

describe("treeCss", () => {
  test("a tree's own colour, [r, g, b, a] in 0..1", () => {
    assert.equal(treeCss({ id: 3, color: [1, 0, 0.5, 1] }), "rgb(255, 0, 128)");
    assert.equal(treeCss({ id: 3, color: [0.2, 0.4, 0.6] }), "rgb(51, 102, 153)");
  });

  test("out-of-range components are clamped", () => {
    assert.equal(treeCss({ id: 3, color: [2, -1, 0.5, 1] }), "rgb(255, 0, 128)");
  });

  test("no usable colour: the colour of its id", () => {
    assert.equal(treeCss({ id: 3, color: null }), segmentCss(3));
    assert.equal(treeCss({ id: 3 }), segmentCss(3));
    assert.equal(treeCss({ id: 3, color: [NaN, 0, 0, 1] }), segmentCss(3));
    assert.equal(treeCss({ id: 3, color: [1, 0] }), segmentCss(3));
    assert.equal(treeCss(null), segmentCss(0));
  });

  test("trees with different ids and no colour get (mostly) different colours", () => {
    const colours = new Set(Array.from({ length: 20 }, (_, i) => treeCss({ id: i + 1 })));
    assert.ok(colours.size >= 18);
  });
});
