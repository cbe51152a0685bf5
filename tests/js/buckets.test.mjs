// The bucket cache (least recently used, bounded in bytes) and the loader that batches requests, with a fake API
// standing in for the server.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { BATCH, BucketCache, BucketLoader, bucketKey } from "../../src/voxelhub/viewer/buckets.js";

const kib = () => new Uint8Array(1024);

describe("bucketKey", () => {
  test("layer id (else name), mag and position", () => {
    assert.equal(bucketKey({ id: "volume:V", name: "V" }, [2, 2, 1], [3, -1, 0]), "volume:V|2-2-1|3,-1,0");
    assert.equal(bucketKey({ name: "color" }, [1, 1, 1], [0, 0, 0]), "color|1-1-1|0,0,0");
    assert.notEqual(bucketKey({ name: "c" }, [1, 1, 1], [1, 11, 1]), bucketKey({ name: "c" }, [1, 1, 1], [11, 1, 1]));
  });
});

describe("BucketCache", () => {
  test("keeps what was set; counts bytes", () => {
    const cache = new BucketCache(10 * 1024);
    const a = kib();
    cache.set("a", a);
    cache.set("b", kib());
    assert.equal(cache.get("a"), a);
    assert.equal(cache.get("missing"), undefined);
    assert.equal(cache.size, 2);
    assert.equal(cache.bytes, 2048);
    cache.set("a", new Uint8Array(10)); // replacing frees the old bytes
    assert.equal(cache.bytes, 1034);
    cache.delete("a");
    cache.delete("never");
    assert.equal(cache.bytes, 1024);
    assert.equal(cache.size, 1);
  });

  test("over its budget, the least recently used go first", () => {
    const cache = new BucketCache(3 * 1024);
    for (const key of ["a", "b", "c"]) cache.set(key, kib());
    cache.get("a"); // a is now the most recent
    cache.set("d", kib());
    assert.deepEqual(["a", "b", "c", "d"].filter((k) => cache.peek(k)), ["a", "c", "d"]);
    assert.equal(cache.bytes, 3 * 1024);
  });

  test("peek does not count as a use", () => {
    const cache = new BucketCache(2 * 1024);
    cache.set("a", kib());
    cache.set("b", kib());
    cache.peek("a");
    cache.set("c", kib());
    assert.equal(cache.peek("a"), undefined);
    assert.ok(cache.peek("b") && cache.peek("c"));
  });

  test("one bucket larger than the budget is still kept (the one just loaded)", () => {
    const cache = new BucketCache(512);
    cache.set("a", kib());
    assert.ok(cache.peek("a"));
    cache.set("b", kib());
    assert.deepEqual([cache.peek("a"), !!cache.peek("b")], [undefined, true]);
  });
});

/** A fake API: answers each request with buckets whose every byte is the bucket's x position, or fails. */
function fakeApi({ fail = false, short = false } = {}) {
  const calls = [];
  const answer = (path, mag, positions) => {
    calls.push({ path, mag, positions });
    if (fail) return Promise.reject(new Error("503"));
    const size = 32 ** 3;
    const bytes = new Uint8Array(size * positions.length - (short ? 1 : 0));
    positions.forEach((pos, i) => bytes.fill(pos[0] + 1, i * size, (i + 1) * size));
    return Promise.resolve(bytes.buffer);
  };
  return {
    calls,
    buckets: (datasetId, layerName, mag, positions) => answer(`${datasetId}/${layerName}`, mag, positions),
    bucketsAt: (path, mag, positions) => answer(path, mag, positions),
  };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));
const layer = { id: "color", name: "color", bytes: 1, array: Uint8Array, kind: "gray8", range: null };
const MAG1 = [1, 1, 1];
const MAG2 = [2, 2, 2];

describe("BucketLoader", () => {
  test("a missing bucket is queued, fetched on flush, then answered from the cache", async () => {
    const api = fakeApi();
    let loaded = 0;
    const loader = new BucketLoader(api, "ds1", { onLoaded: () => { loaded += 1; } });
    assert.equal(loader.get(layer, MAG1, [4, 0, 0]), undefined);
    assert.equal(loader.get(layer, MAG1, [4, 0, 0]), undefined); // queued once
    assert.equal(loader.pending, 1);
    loader.flush();
    await settle();
    assert.equal(api.calls.length, 1);
    assert.deepEqual(api.calls[0], { path: "ds1/color", mag: MAG1, positions: [[4, 0, 0]] });
    assert.equal(loaded, 1);
    const data = loader.get(layer, MAG1, [4, 0, 0]);
    assert.equal(data.length, 32 ** 3);
    assert.equal(data[0], 5);
    assert.equal(loader.pending, 0);
  });

  test("one request per layer and mag, at most BATCH buckets each, in the order asked", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    for (let i = 0; i < BATCH + 3; i++) loader.get(layer, MAG1, [i, 0, 0]);
    loader.get(layer, MAG2, [0, 0, 0]);
    loader.flush();
    await settle();
    const sizes = api.calls.map((c) => [c.mag.join("-"), c.positions.length]);
    assert.deepEqual(sizes, [["1-1-1", BATCH], ["1-1-1", 3], ["2-2-2", 1]]);
    assert.deepEqual(api.calls[0].positions.slice(0, 3), [[0, 0, 0], [1, 0, 0], [2, 0, 0]]);
  });

  test("an annotation's volume layer is read from its own path", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    const volume = { ...layer, id: "volume:V", name: "V", bucketPath: "/api/annotations/a/layers/V" };
    loader.get(volume, MAG1, [0, 0, 0]);
    loader.flush();
    await settle();
    assert.equal(api.calls[0].path, "/api/annotations/a/layers/V");
  });

  test("a failed request is reported and not asked again at once", async () => {
    const api = fakeApi({ fail: true });
    const errors = [];
    const loader = new BucketLoader(api, "ds1", { onError: (e, l) => errors.push([e.message, l.name]) });
    loader.get(layer, MAG1, [0, 0, 0]);
    loader.flush();
    await settle();
    assert.deepEqual(errors, [["503", "color"]]);
    assert.equal(loader.get(layer, MAG1, [0, 0, 0]), undefined);
    assert.equal(loader.pending, 0, "not queued again within the retry delay");
  });

  test("an answer of the wrong length is an error, not garbage in the cache", async () => {
    const api = fakeApi({ short: true });
    const errors = [];
    const loader = new BucketLoader(api, "ds1", { onError: (e) => errors.push(e.message) });
    loader.get(layer, MAG1, [0, 0, 0]);
    loader.flush();
    await settle();
    assert.equal(errors.length, 1);
    assert.equal(loader.peek(layer, MAG1, [0, 0, 0]), undefined);
  });

  test("a bucket painted in the page wins over the cache", async () => {
    const loader = new BucketLoader(fakeApi(), "ds1");
    loader.cache.set(bucketKey(layer, MAG1, [0, 0, 0]), new Uint8Array([1]));
    const painted = new Uint8Array([2]);
    loader.local.set(bucketKey(layer, MAG1, [0, 0, 0]), painted);
    assert.equal(loader.get(layer, MAG1, [0, 0, 0]), painted);
    assert.equal(loader.peek(layer, MAG1, [0, 0, 0]), painted);
  });

  test("a bucket forgotten while on its way: the (older) answer is dropped", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    loader.get(layer, MAG1, [0, 0, 0]);
    loader.flush();
    loader.forget([bucketKey(layer, MAG1, [0, 0, 0])]);
    await settle();
    assert.equal(loader.peek(layer, MAG1, [0, 0, 0]), undefined);
    assert.equal(loader.get(layer, MAG1, [0, 0, 0]), undefined); // asked again
    assert.equal(loader.pending, 1);
  });

  test("forgetLayer drops that layer's buckets only, painted ones included", () => {
    const loader = new BucketLoader(fakeApi(), "ds1");
    const other = { ...layer, id: "color2", name: "color2" };
    loader.cache.set(bucketKey(layer, MAG1, [0, 0, 0]), kib());
    loader.local.set(bucketKey(layer, MAG1, [1, 0, 0]), kib());
    loader.cache.set(bucketKey(other, MAG1, [0, 0, 0]), kib());
    loader.forgetLayer(layer);
    assert.equal(loader.peek(layer, MAG1, [0, 0, 0]), undefined);
    assert.equal(loader.peek(layer, MAG1, [1, 0, 0]), undefined);
    assert.ok(loader.peek(other, MAG1, [0, 0, 0]));
  });

  test("with a focus, the nearest buckets go first, whatever the order asked", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    loader.focus = [5 * 32 + 10, 16, 16]; // in bucket [5, 0, 0], nearer to [4, 0, 0] than to [6, 0, 0]
    for (const x of [0, 9, 5, 2, 4, 6]) loader.get(layer, MAG1, [x, 0, 0]);
    loader.flush();
    await settle();
    assert.deepEqual(api.calls[0].positions.map((p) => p[0]), [5, 4, 6, 2, 9, 0]);
  });

  test("the coarsest mag's covering bucket is asked for first, once, and not when cached", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    const MAG4 = [4, 4, 4];
    const pyramid = { ...layer, mags: [MAG1, MAG2, MAG4] };
    loader.focus = [0, 0, 0];
    for (const x of [0, 1, 2, 3, 4, 5]) loader.get(pyramid, MAG1, [x, 0, 0]);
    loader.flush();
    await settle();
    const asked = api.calls.map((c) => [c.mag.join("-"), c.positions.map((p) => p[0])]);
    assert.deepEqual(asked, [["4-4-4", [0, 1]], ["1-1-1", [0, 1, 2, 3, 4, 5]]]);
    loader.get(pyramid, MAG1, [6, 0, 0]); // its preview [1, 0, 0] at mag 4 is cached now
    assert.equal(loader.pending, 1);
  });

  test("wide element classes go in smaller batches", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    const wide = { ...layer, id: "seg", name: "seg", bytes: 4, array: Uint32Array, kind: "seg32" };
    for (let i = 0; i < 20; i++) loader.get(wide, MAG1, [i, 0, 0]);
    loader.flush();
    assert.deepEqual(api.calls.map((c) => c.positions.length), [16, 4]);
  });

  test("an answer sends what is still queued at once, without waiting for a redraw", async () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    const wide = { ...layer, id: "seg", name: "seg", bytes: 4, array: Uint32Array, kind: "seg32" };
    for (let i = 0; i < 16 * 13; i++) loader.get(wide, MAG1, [i, 0, 0]);
    loader.flush();
    assert.equal(api.calls.length, 12, "twelve requests at once");
    await settle();
    assert.equal(api.calls.length, 13);
    assert.equal(loader.pending, 0);
  });

  test("answers arriving together are told once at the first and once at the last", async () => {
    const api = fakeApi();
    let loaded = 0;
    const loader = new BucketLoader(api, "ds1", { onLoaded: () => { loaded += 1; } });
    const wide = { ...layer, id: "seg", name: "seg", bytes: 4, array: Uint32Array, kind: "seg32" };
    for (let i = 0; i < 16 * 3; i++) loader.get(wide, MAG1, [i, 0, 0]);
    loader.flush();
    await settle();
    assert.equal(api.calls.length, 3);
    assert.equal(loaded, 2, "the middle answer is folded into the last one's redraw");
    assert.equal(loader.tellTimer, null);
  });

  test("clearQueue forgets what was not sent", () => {
    const api = fakeApi();
    const loader = new BucketLoader(api, "ds1");
    loader.get(layer, MAG1, [0, 0, 0]);
    loader.clearQueue();
    loader.flush();
    assert.equal(api.calls.length, 0);
    assert.equal(loader.pending, 0);
  });
});
