export interface JobLogger {
  info(message: string): void;
  warn(message: string): void;
}

/** Files uploaded with the job's tenant's submissions (payload.file_id), as stored by the API. */
export interface JobFiles {
  /** Rejects when the file does not exist or belongs to another tenant. */
  read(fileId: string): Promise<{ filename: string; content: Buffer }>;
}

export interface JobContext<P = Record<string, unknown>> {
  jobId: string;
  payload: P;
  attempt: number;
  /**
   * Aborted when the job is cancelled, its lease is lost, its time limit passes, or the worker is
   * out of grace time. Made when first read: read it where the handler waits, not up front.
   */
  readonly signal: AbortSignal;
  progress(pct: number, message?: string): void;
  logger: JobLogger;
  files: JobFiles;
}

/** A payload the handler refuses at submission (a 400 naming `field`, e.g. `payload.patterns`). */
export interface PayloadProblem {
  field: string;
  message: string;
}

export interface JobHandler {
  description: string;
  examplePayload: Record<string, unknown>;
  /** An attempt's time limit when the job gives no timeout_ms (capped by JOB_TIMEOUT_MAX_MS). */
  defaultTimeoutMs: number;
  /**
   * Burns CPU without awaiting I/O: the worker runs it on a thread of its own (worker_threads), so
   * the event loop that renews leases never waits on it, and ends the thread on abort.
   */
  cpuBound?: boolean;
  /** Reads a file uploaded with the job (payload.file_id): its jobs are submitted as multipart, with one. */
  needsFile?: boolean;
  /**
   * Bounds the work a job of this type may ask for, checked at submission; `timeoutMs` is the
   * attempt's time limit, so a job that could never finish in it is refused up front.
   */
  validatePayload?(payload: Record<string, unknown>, timeoutMs: number): PayloadProblem | undefined;
  run(context: JobContext): Promise<unknown>;
}

/** Resolves after `ms`, or rejects as soon as the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

export function numberIn(payload: Record<string, unknown>, key: string, fallback: number): number {
  const value = payload[key];
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/** A duration field (`seconds` or `ms` units) that must fit within the attempt's time limit. */
export function durationProblem(
  payload: Record<string, unknown>,
  key: string,
  msPerUnit: number,
  timeoutMs: number,
): PayloadProblem | undefined {
  const value = payload[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0)
    return { field: `payload.${key}`, message: `payload.${key} must be a non-negative number` };
  if (value * msPerUnit > timeoutMs)
    return {
      field: `payload.${key}`,
      message: `payload.${key} (${value}) cannot finish within the job's timeout_ms (${timeoutMs}); raise timeout_ms or shorten it`,
    };
  return undefined;
}
