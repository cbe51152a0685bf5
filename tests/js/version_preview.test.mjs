import assert from "node:assert/strict";
import { test } from "node:test";

import { atVersion, previewHref, previewVersion } from "../../src/voxelhub/viewer/version_preview.js";

test("a preview version is a whole number in ?version=, anything else is none", () => {
  assert.equal(previewVersion("?version=7"), 7);
  assert.equal(previewVersion("?token=abc&version=0"), 0);
  for (const search of ["", "?version=", "?version=-1", "?version=1.5", "?version=x", "?version=9999999999"]) {
    assert.equal(previewVersion(search), null, search);
  }
});

test("a preview address keeps the token and the view, and the way back drops only the version", () => {
  const href = "http://127.0.0.1:8000/annotations/abc?token=t1#1,2,3,0,1.0";
  assert.equal(previewHref(href, 4), "/annotations/abc?token=t1&version=4#1,2,3,0,1.0");
  assert.equal(previewHref("http://h/annotations/abc?version=4&token=t1#v", null), "/annotations/abc?token=t1#v");
});

test("a version joins a path's query", () => {
  assert.equal(atVersion("/data/x/buckets", 3), "/data/x/buckets?version=3");
  assert.equal(atVersion("/data/x/buckets?token=t", 0), "/data/x/buckets?token=t&version=0");
  assert.equal(atVersion("/data/x/buckets", null), "/data/x/buckets");
});
