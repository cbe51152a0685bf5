// The History panel's lines: version, time, author and what kind of save it was.
import assert from "node:assert/strict";
import { test } from "node:test";

import { describe } from "../../src/voxelhub/viewer/history_lines.js";

test("a history line names the version, time, author and kind", () => {
  const at = () => "then";
  assert.equal(describe({ version: 3, createdAt: "x", authorName: "Ann Lee", kind: "volume" }, at),
    "v3 · then · Ann Lee · volume paint");
  assert.equal(describe({ version: 4, createdAt: "x", authorName: "", kind: "restore", restoredVersion: 1 }, at),
    "v4 · then · unknown · restore of v1");
  assert.equal(describe({ version: 0, createdAt: "x", authorName: "B", kind: "skeleton" }, at), "v0 · then · B · skeleton");
});
