import { type ClaimedJob } from '../queue/job-queue';

/**
 * One run of a job on this worker, and the ways it can be stopped: its time limit, a cancel, a
 * lost lease, a shutdown. The AbortSignal handlers see is made only when one asks for it: most
 * short jobs never do, and an AbortController with its listener was a tenth of a worker's CPU
 * per job (docs/architecture.md, "Worker CPU per job").
 */
export class JobAttempt {
  /** Why it was stopped, once it was; the first reason wins. */
  reason?: Error;
  private controller?: AbortController;
  private stopWaiting?: (reason: Error) => void;

  constructor(
    readonly job: ClaimedJob,
    /** performance.now() by which it must have finished. */
    readonly deadline: number,
    readonly timeoutMs: number,
  ) {}

  get stopped(): boolean {
    return this.reason !== undefined;
  }

  /** The signal the handler heeds; aborted already when the attempt was stopped before it asked. */
  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.reason) this.controller.abort(this.reason);
    }
    return this.controller.signal;
  }

  stop(reason: Error): void {
    if (this.reason) return;
    this.reason = reason;
    this.controller?.abort(reason);
    this.stopWaiting?.(reason);
  }

  /**
   * `work`'s outcome, or the stop's reason as soon as the attempt is stopped: the slot never waits
   * on a handler that does not heed its signal.
   */
  race<T>(work: () => Promise<T>): Promise<T> {
    if (this.reason) return Promise.reject(this.reason);
    return new Promise<T>((resolve, reject) => {
      this.stopWaiting = reject;
      work().then(resolve, reject);
    });
  }
}
