// Undo and redo of the annotation page's edits. An entry knows how to undo and redo itself (a skeleton entry
// applies and saves the inverse batch of update actions, a brush entry writes back the buckets' earlier data);
// the stack only keeps them in order, within a count and a byte budget (brush entries hold bucket copies).

export const MAX_ENTRIES = 200;
export const MAX_BYTES = 64 * 1024 * 1024;

export class UndoStack extends EventTarget {
  constructor({ maxEntries = MAX_ENTRIES, maxBytes = MAX_BYTES } = {}) {
    super();
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
    this.done = [];
    this.undone = [];
    this.busy = false;
  }

  get canUndo() {
    return !this.busy && this.done.length > 0;
  }

  get canRedo() {
    return !this.busy && this.undone.length > 0;
  }

  get bytes() {
    let total = 0;
    for (const e of this.done) total += e.bytes || 0;
    for (const e of this.undone) total += e.bytes || 0;
    return total;
  }

  /** A new edit: `entry` is {label, bytes?, undo(), redo()}; what was undone can no longer be redone. */
  record(entry) {
    this.done.push(entry);
    this.undone = [];
    this.trim();
    this.changed();
  }

  /** Oldest entries go first when there are too many or they hold too many bytes (the newest always stays). */
  trim() {
    while (this.done.length > 1 && (this.done.length > this.maxEntries || this.bytes > this.maxBytes)) this.done.shift();
  }

  async undo() {
    return this.step(this.done, this.undone, "undo");
  }

  async redo() {
    return this.step(this.undone, this.done, "redo");
  }

  /** Runs one entry's undo or redo; entries run one at a time, so a fast Ctrl+Z Ctrl+Z keeps the order. */
  async step(from, to, how) {
    if (this.busy || !from.length) return null;
    const entry = from.pop();
    this.busy = true;
    this.changed();
    try {
      await entry[how]();
      to.push(entry);
      return entry;
    } catch (error) {
      // An entry that cannot be undone (its data changed meanwhile) is dropped with what came before it.
      from.length = 0;
      throw error;
    } finally {
      this.busy = false;
      this.trim();
      this.changed();
    }
  }

  /** The annotation was reloaded from the server: nothing the stack holds fits it any more. */
  clear() {
    this.done = [];
    this.undone = [];
    this.changed();
  }

  changed() {
    this.dispatchEvent(new Event("change"));
  }
}
