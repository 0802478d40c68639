import { isRefusedValue, isRetryable, isSplittable } from '../database/database-errors';
import { retryDelayMs, type BackoffOptions } from '../queue/backoff';
import { type FailOutcome, type JobQueue } from '../queue/job-queue';

/** `attempt`: the attempt that produced the result, should the result prove unstorable (see ResultWriter). */
export type Outcome =
  | { kind: 'complete'; id: string; result: unknown; attempt: number }
  | { kind: 'fail'; id: string; error: string; retryDelayMs: number }
  | { kind: 'release'; id: string };

/**
 * Told what became of each outcome: written (with the failed job's new row for a failure), or
 * not applied because the job was no longer this worker's (cancelled, or its lease rescued).
 * Outcomes given up on after retries are reported through onError only.
 */
export interface OutcomeObserver {
  written(outcome: Outcome, failed?: FailOutcome): void;
  notApplied(outcome: Outcome): void;
}

type CompleteOutcome = Extract<Outcome, { kind: 'complete' }>;
type FailOutcomeToWrite = Extract<Outcome, { kind: 'fail' }>;
/** One statement writing outcomes of one kind: completeMany and releaseMany return ids, failMany rows. */
type Write = (outcomes: Outcome[]) => Promise<Array<string | FailOutcome>>;

/**
 * Writes `outcomes`; a statement refused because of one of them (isSplittable, such as a result
 * jsonb cannot store) is split in halves until that one fails alone, as GroupedInserts does for
 * inserts, so one bad outcome does not send the rest of its group back to the rescuer. A passing
 * failure (isRetryable) is returned whole, for the writer to retry.
 */
async function settle(
  outcomes: Outcome[],
  write: Write,
): Promise<Array<{ outcomes: Outcome[]; result: PromiseSettledResult<Array<string | FailOutcome>> }>> {
  try {
    return [{ outcomes, result: { status: 'fulfilled', value: await write(outcomes) } }];
  } catch (error) {
    if (outcomes.length > 1 && isSplittable(error) && !isRetryable(error)) {
      const half = Math.ceil(outcomes.length / 2);
      return [
        ...(await settle(outcomes.slice(0, half), write)),
        ...(await settle(outcomes.slice(half), write)),
      ];
    }
    return [{ outcomes, result: { status: 'rejected', reason: error } }];
  }
}

/**
 * Retries a write that failed for a passing reason (a dropped connection, a deadlock victim:
 * isRetryable) for about 10 s before leaving the jobs to the rescuer; any other failure is given
 * up on at once, since the same statement would fail the same way. An outcome given up on means
 * the job runs again once its lease runs out. A result PostgreSQL refuses to store (isRefusedValue,
 * such as a \u0000 in jsonb) fails its attempt instead, saying why, as a throwing handler would.
 */
const RETRY_DELAYS_MS = [100, 200, 400, 800, 1600, 3200, 3200];

/**
 * Writes job outcomes. Idle, each outcome is written at once; while a write is in flight the
 * next outcomes queue up and go out together in one statement per kind (group commit, as
 * River's completer does), so a busy worker spends one round trip on many jobs.
 */
export class ResultWriter {
  private pending: Outcome[] = [];
  private flushing?: Promise<void>;
  private inFlight: Outcome[] = [];

  constructor(
    private readonly queue: JobQueue,
    private readonly workerId: string,
    /** What happened to the outcomes, and the error that caused it (logged with its stack). */
    private readonly onError: (what: string, error: Error) => void,
    /** The retry delay of an attempt whose result could not be stored. */
    private readonly backoff: BackoffOptions,
    private readonly observer?: OutcomeObserver,
  ) {}

  /** Outcomes pushed and not yet written (or given up on). */
  get unwritten(): number {
    return this.pending.length + this.inFlight.length;
  }

  /** Jobs whose outcome is not yet written: still leased to this worker until it is. */
  heldIds(): string[] {
    return [...this.inFlight, ...this.pending].map((outcome) => outcome.id);
  }

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
    let failures = 0;
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      this.inFlight = batch;
      const of = <K extends Outcome['kind']>(kind: K) =>
        batch.filter((o): o is Extract<Outcome, { kind: K }> => o.kind === kind);
      const writes: Array<[Outcome[], Write]> = [
        [of('complete'), (outcomes) => this.queue.completeMany(this.workerId, outcomes as CompleteOutcome[])],
        [of('fail'), (outcomes) => this.queue.failMany(this.workerId, outcomes as FailOutcomeToWrite[])],
        [
          of('release'),
          (outcomes) =>
            this.queue.releaseMany(
              this.workerId,
              outcomes.map((o) => o.id),
            ),
        ],
      ];
      const parts = (
        await Promise.all(
          writes
            .filter(([outcomes]) => outcomes.length > 0)
            .map(([outcomes, write]) => settle(outcomes, write)),
        )
      ).flat();
      this.inFlight = [];
      if (this.observer)
        for (const { outcomes, result } of parts)
          if (result.status === 'fulfilled') this.report(outcomes, result.value);
      const refused = parts.filter((part) => part.result.status === 'rejected');
      const passing: Outcome[] = [];
      let passingError: Error | undefined;
      for (const { outcomes, result } of refused) {
        const error = (result as PromiseRejectedResult).reason as Error;
        if (isRetryable(error)) {
          passing.push(...outcomes);
          passingError ??= error;
        } else if (isRefusedValue(error) && outcomes.length === 1 && outcomes[0].kind === 'complete') {
          this.onError(`failing job ${outcomes[0].id}: its result could not be stored`, error);
          this.pending.unshift(this.unstorable(outcomes[0], error));
        } else this.giveUp(outcomes, error);
      }
      if (passing.length === 0) {
        failures = 0;
        continue;
      }
      const delay = RETRY_DELAYS_MS[failures++];
      if (delay === undefined) {
        this.giveUp(passing, passingError!);
        failures = 0;
        continue;
      }
      // Every write checks lease_owner and status, so retrying one that did commit is harmless.
      this.onError(`retrying ${passing.length} outcome(s) in ${delay} ms`, passingError!);
      this.pending = [...passing, ...this.pending];
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }

  /** The jobs stay `running` under our lease; the rescuer returns them once it expires. */
  private giveUp(outcomes: Outcome[], error: Error): void {
    this.onError(`giving up on ${outcomes.length} outcome(s)`, error);
    for (const outcome of outcomes) this.observer?.notApplied(outcome);
  }

  /** The attempt fails with the reason, and is retried (or dead) as any failed attempt. */
  private unstorable(outcome: CompleteOutcome, error: Error): Outcome {
    return {
      kind: 'fail',
      id: outcome.id,
      error: `the job's result could not be stored: ${error.message}`.slice(0, 2000),
      retryDelayMs: retryDelayMs(outcome.attempt, this.backoff),
    };
  }

  /** completeMany and releaseMany return the ids they wrote, failMany the rows. */
  private report(outcomes: Outcome[], written: Array<string | FailOutcome>): void {
    const byId = new Map(written.map((row) => (typeof row === 'string' ? [row, undefined] : [row.id, row])));
    for (const outcome of outcomes)
      if (byId.has(outcome.id)) this.observer!.written(outcome, byId.get(outcome.id));
      else this.observer!.notApplied(outcome);
  }
}
