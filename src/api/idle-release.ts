/**
 * When the API service gives memory back: steps that each run once, in
 * order, after the service has been idle (no connection) for the step's
 * time, and only in an idle spell that followed a connection, so that an
 * idle service without clients does not release again and again. A new
 * connection ends the spell: the steps not run yet wait for the next one.
 *
 * Why steps: what costs little to give back goes soon (the JavaScript
 * heap's garbage and malloc's free memory, after 2 s), what costs the next
 * request its page faults goes later (the resident pages of the node
 * binary, after 10 s): bench/README.md, "The API service's memory". The
 * clock is the caller's, so the schedule is tested without waiting.
 */

/** One step: RUN once the service has been idle for AFTER_MS after serving. */
export interface IdleRelease {
  afterMs: number;
  run: () => void;
}

export class IdleReleaseSchedule {
  private readonly steps: readonly IdleRelease[];
  /** the steps already run in this idle spell (the first NEXT of them) */
  private next: number;
  private idleSince: number | undefined;

  /** STEPS in any order; none is due until a connection has come and gone. */
  constructor(steps: readonly IdleRelease[], now: number) {
    this.steps = [...steps].sort((a, b) => a.afterMs - b.afterMs);
    this.next = this.steps.length;
    this.idleSince = now;
  }

  /** A connection came: the spell ends, and every step is due again after the next. */
  busy(): void {
    this.idleSince = undefined;
    this.next = 0;
  }

  /** The last connection closed at NOW. */
  idle(now: number): void {
    this.idleSince = now;
  }

  /** Runs the steps due at NOW, in order; how many ran. */
  tick(now: number): number {
    if (this.idleSince === undefined) return 0;
    let ran = 0;
    while (this.next < this.steps.length && now - this.idleSince >= this.steps[this.next]!.afterMs) {
      const step = this.steps[this.next++]!;
      step.run();
      ran++;
    }
    return ran;
  }
}
