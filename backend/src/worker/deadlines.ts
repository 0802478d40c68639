/**
 * One timer for the time limits of all running jobs, armed for the earliest deadline, instead of
 * a timer per job: a setTimeout and its clearTimeout cost a short job more worker CPU than
 * anything else it did (docs/architecture.md, "Worker CPU per job"). Deadlines are on the
 * performance.now() clock.
 */
export class Deadlines {
  private timer?: NodeJS.Timeout;
  private armedFor = Infinity;

  /** `expire(now)` stops what is past its deadline and returns the earliest deadline left (Infinity: none). */
  constructor(private readonly expire: (now: number) => number) {}

  /** A job with this deadline started. */
  watch(deadline: number): void {
    if (deadline < this.armedFor) this.arm(deadline);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
  }

  private arm(deadline: number): void {
    clearTimeout(this.timer);
    this.armedFor = deadline;
    // setTimeout takes at most 2^31 - 1 ms; a longer wait fires early, finds nothing due and re-arms.
    const wait = Math.min(Math.max(0, deadline - performance.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.fire(), wait);
    // The worker's pool and heartbeat keep its process alive; a timer left armed for a job that
    // has finished must not.
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedFor = Infinity;
    const next = this.expire(performance.now());
    if (next < Infinity) this.arm(next);
  }
}
