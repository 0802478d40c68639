export type RunOutcome = 'completed' | 'failed';

/** What the worker runtime reports as it goes (WorkerMetrics listens); the default reports nowhere. */
export interface RuntimeObserver {
  /** One claim statement: its round trip and how many jobs it returned. */
  claimed(seconds: number, jobs: number): void;
  /** A handler that ran to an outcome (not one aborted by a stop, a cancel or a lost lease). */
  ran(type: string, seconds: number, outcome: RunOutcome): void;
}

export const NO_OBSERVER: RuntimeObserver = { claimed: () => undefined, ran: () => undefined };

/** Jobs a worker holds right now, by where they are. */
export interface JobsInHand {
  running: number;
  prefetched: number;
  /** Handlers done, outcome not yet written. */
  unwritten: number;
}
