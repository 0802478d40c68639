import { newJobId } from './job-id';
import { isSplittable } from '../database/database-errors';
import { type NewJob } from './queue.sql';

/** Inserts jobs in one statement, each under the id given with it; returns the rows inserted. */
export type InsertStatement<T> = (jobs: NewJob[], ids: string[]) => Promise<T[]>;

interface Waiting<T> {
  id: string;
  job: NewJob & { payloadJson: string };
  resolve: (row: T | undefined) => void;
  reject: (error: unknown) => void;
}

/** The most jobs one statement carries, as the batch route allows. */
const MAX_GROUP = 1_000;
/**
 * The most characters of payload JSON one statement carries (a group stops at the first job
 * that reaches it): PostgreSQL refuses a parameter over 1 GB, which 1,000 payloads of
 * MAX_BODY_BYTES could make.
 */
export const MAX_GROUP_PAYLOAD_CHARS = 8 * 1024 * 1024;

/**
 * Group commit for one-job submissions: jobs submitted while an insert is on its way to
 * PostgreSQL wait for it and then go together, in one statement and one transaction. With one
 * caller at a time nothing waits (a group of one leaves at once); with 20 concurrent callers a
 * statement carries several, and a commit (a WAL flush), a round trip and a statement's
 * planning are shared by all of them instead of paid by each.
 *
 * A caller's promise settles only after its group committed, so a job is acknowledged only once
 * it is stored. Every caller gets its own row back (matched by the id it was given here), or
 * undefined when its idempotency key was already taken, possibly by a job of the same group.
 * A group PostgreSQL refuses because of one job is split in halves until that job fails alone.
 */
export class GroupedInserts<T extends { id: string }> {
  private waiting: Array<Waiting<T>> = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(
    private readonly insertStatement: InsertStatement<T>,
    /** Statements on their way at once: more lets groups form while PostgreSQL works on one. */
    private readonly maxInFlight = 2,
  ) {}

  insert(job: NewJob): Promise<T | undefined> {
    return new Promise((resolve, reject) => {
      const payloadJson = JSON.stringify(job.payload);
      this.waiting.push({ id: newJobId(), job: { ...job, payloadJson }, resolve, reject });
      this.schedule();
    });
  }

  /**
   * Sends after the current turn of the event loop rather than at once, so that requests whose
   * bytes arrived together (parsed in one turn) share the first statement too.
   */
  private schedule(): void {
    if (this.scheduled || this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.send();
    });
  }

  private send(): void {
    if (this.inFlight >= this.maxInFlight || this.waiting.length === 0) return;
    let count = 0;
    let chars = 0;
    while (count < Math.min(MAX_GROUP, this.waiting.length) && chars < MAX_GROUP_PAYLOAD_CHARS)
      chars += this.waiting[count++].job.payloadJson.length;
    const group = this.waiting.splice(0, count);
    this.inFlight++;
    void this.run(group).finally(() => {
      this.inFlight--;
      this.schedule();
    });
    this.schedule();
  }

  private async run(group: Array<Waiting<T>>): Promise<void> {
    let rows: T[];
    try {
      rows = await this.insertStatement(
        group.map((entry) => entry.job),
        group.map((entry) => entry.id),
      );
    } catch (error) {
      if (group.length > 1 && isSplittable(error)) {
        // Halves, one after the other: a bad job is found in a few statements, and the retry
        // never takes more than one connection.
        const half = Math.ceil(group.length / 2);
        await this.run(group.slice(0, half));
        await this.run(group.slice(half));
      } else {
        for (const entry of group) entry.reject(error);
      }
      return;
    }
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const entry of group) entry.resolve(byId.get(entry.id));
  }
}
