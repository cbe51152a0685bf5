// One line of saves per annotation: each save gets the version the previous one answered; a reload drops the
// saves still waiting (they were made on data the page replaced).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { SaveTurns, StaleTurn } from "../../src/voxelhub/viewer/saves.js";

const later = (value, ms = 5) => new Promise((resolve) => setTimeout(() => resolve(value), ms));

describe("SaveTurns", () => {
  test("saves run one after another, each with the version the previous one answered", async () => {
    const turns = new SaveTurns(3);
    const log = [];
    const save = (name, ms) => async (version) => {
      log.push(`${name} starts at v${version}`);
      await later(null, ms);
      log.push(`${name} ends`);
      return version + 1;
    };
    await Promise.all([turns.run(save("a", 20)), turns.run(save("b", 1)), turns.run(save("c", 1))]);
    assert.deepEqual(log, ["a starts at v3", "a ends", "b starts at v4", "b ends", "c starts at v5", "c ends"]);
    assert.equal(turns.version, 6);
  });

  test("a failed save is reported to its caller and does not block the next", async () => {
    const turns = new SaveTurns(1);
    const failing = turns.run(async () => { throw new Error("409"); });
    const next = turns.run(async (version) => version + 10);
    await assert.rejects(failing, /409/);
    await next;
    assert.equal(turns.version, 11, "the failed save did not change the version");
  });

  test("after a restart, saves still waiting are refused as stale; new ones start from the new version", async () => {
    // As on the annotation page: a save fails (409), the page restarts the line and reloads.
    const turns = new SaveTurns(1);
    let refuse;
    const first = turns.run(() => new Promise((resolve, reject) => { refuse = () => reject(new Error("409")); }));
    const waiting = turns.run(async (version) => version + 1);
    await later(null, 1); // the first save is on its way
    turns.restart(7);
    const fresh = turns.run(async (version) => version + 1);
    refuse();
    await assert.rejects(first, /409/);
    await assert.rejects(waiting, (error) => error instanceof StaleTurn);
    await fresh;
    assert.equal(turns.version, 8);
  });

  test("a restart before a queued save has started makes it stale too", async () => {
    const turns = new SaveTurns(1);
    const queued = turns.run(async (version) => version + 1);
    turns.restart(4);
    await assert.rejects(queued, (error) => error instanceof StaleTurn);
    assert.equal(turns.version, 4);
  });

  test("StaleTurn is an Error with a message", () => {
    const error = new StaleTurn();
    assert.ok(error instanceof Error);
    assert.ok(error.message);
  });
});
