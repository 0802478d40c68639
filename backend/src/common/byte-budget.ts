/**
 * A number of bytes a process lets requests hold in memory at once, granted first come, first
 * served. A holder larger than the whole budget still gets it once nothing else is held, so every
 * request makes progress.
 */
export class ByteBudget {
  private used = 0;
  private readonly queue: Array<{ bytes: number; grant(): void }> = [];

  constructor(readonly limit: number) {}

  /** Bytes granted and not yet released. */
  get held(): number {
    return this.used;
  }

  /**
   * Asks for `bytes`: `ready` resolves true once they are granted, or false if `release` came
   * first (the request went away while it waited). `release` may be called any number of times.
   */
  hold(bytes: number): { ready: Promise<boolean>; release(): void } {
    let state: 'waiting' | 'held' | 'released' = 'waiting';
    let settle!: (granted: boolean) => void;
    const ready = new Promise<boolean>((resolve) => (settle = resolve));
    const entry = {
      bytes,
      grant: () => {
        state = 'held';
        this.used += bytes;
        settle(true);
      },
    };
    this.queue.push(entry);
    this.drain();
    return {
      ready,
      release: () => {
        if (state === 'held') this.used -= bytes;
        else if (state === 'waiting') {
          this.queue.splice(this.queue.indexOf(entry), 1);
          settle(false);
        }
        state = 'released';
        this.drain();
      },
    };
  }

  private drain(): void {
    while (this.queue.length > 0 && (this.used === 0 || this.used + this.queue[0].bytes <= this.limit))
      this.queue.shift()!.grant();
  }
}
