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
  /** Aborted when the job is cancelled, its lease is lost, or the worker is out of grace time. */
  signal: AbortSignal;
  progress(pct: number, message?: string): void;
  logger: JobLogger;
  files: JobFiles;
}

export interface JobHandler {
  description: string;
  examplePayload: Record<string, unknown>;
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
