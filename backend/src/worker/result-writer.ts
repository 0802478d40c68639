import { type JobQueue } from '../queue/job-queue';

type Outcome =
  | { kind: 'complete'; id: string; result: unknown }
  | { kind: 'fail'; id: string; error: string; retryDelayMs: number }
  | { kind: 'release'; id: string };

/**
 * Writes job outcomes. Idle, each outcome is written at once; while a write is in flight the
 * next outcomes queue up and go out together in one statement per kind (group commit, as
 * River's completer does), so a busy worker spends one round trip on many jobs.
 */
export class ResultWriter {
  private pending: Outcome[] = [];
  private flushing?: Promise<void>;

  constructor(
    private readonly queue: JobQueue,
    private readonly workerId: string,
    private readonly onError: (error: Error) => void,
  ) {}

  push(outcome: Outcome): Promise<void> {
    this.pending.push(outcome);
    return this.flush();
  }

  /** Resolves once everything pushed so far is written. */
  flush(): Promise<void> {
    this.flushing ??= this.drain().finally(() => (this.flushing = undefined));
    return this.flushing;
  }

  private async drain(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      const of = <K extends Outcome['kind']>(kind: K) =>
        batch.filter((o): o is Extract<Outcome, { kind: K }> => o.kind === kind);
      try {
        await Promise.all([
          this.queue.completeMany(this.workerId, of('complete')),
          this.queue.failMany(this.workerId, of('fail')),
          of('release').length > 0
            ? this.queue.releaseMany(
                this.workerId,
                of('release').map((o) => o.id),
              )
            : [],
        ]);
      } catch (error) {
        // The jobs stay `running` under our lease; the rescuer returns them if we cannot.
        this.onError(error as Error);
      }
    }
  }
}
