// One line of saves for an annotation. The skeleton and the volume layers are saved through different routes,
// but every save names the annotation's version and answers the next one, so they have to take turns: two saves
// sent with the same version would refuse each other (409).

/** A save queued before the page reloaded the annotation: it was made on data the page has since replaced. */
export class StaleTurn extends Error {
  constructor() {
    super("superseded by a reload");
  }
}

export class SaveTurns {
  constructor(version) {
    this.version = version;
    this.epoch = 0;
    this.last = Promise.resolve();
  }

  /** Runs `save(version)` (answering the new version) after every earlier save has finished. */
  run(save) {
    const epoch = this.epoch;
    const turn = this.last.then(async () => {
      if (epoch !== this.epoch) throw new StaleTurn();
      this.version = await save(this.version);
    });
    this.last = turn.catch(() => {});
    return turn;
  }

  /** The page reloaded the annotation: saves still waiting are dropped, the next ones start from `version`. */
  restart(version) {
    this.version = version;
    this.epoch += 1;
  }
}
