import { existsSync } from 'node:fs';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { type JobContext } from '../handlers/job-handler';

/** Main thread → handler thread. */
export type ToThread =
  | { kind: 'run'; type: string; jobId: string; payload: Record<string, unknown>; attempt: number }
  | { kind: 'file'; requestId: number; filename?: string; content?: Uint8Array; error?: string };

/** Handler thread → main thread. */
export type FromThread =
  | { kind: 'progress'; pct: number; note?: string }
  | { kind: 'log'; level: 'info' | 'warn'; text: string }
  | { kind: 'readFile'; requestId: number; fileId: string }
  | { kind: 'done'; result: unknown }
  | { kind: 'failed'; message: string };

/**
 * Heap of one handler thread: what a job's data needs (an analyze file of UPLOAD_MAX_BYTES and its
 * lines), so that one job cannot take the worker process's memory; beyond it the attempt fails.
 */
const THREAD_HEAP_MB = 192;

/**
 * A file's bytes handed to the thread without a copy when they fill an ArrayBuffer of their own
 * (jobFileReader allocates them so); a view into a shared one (Node's small-buffer pool) is copied.
 */
function ownBuffer(content: Buffer): ArrayBuffer[] {
  const { buffer } = content;
  return buffer instanceof ArrayBuffer && content.byteOffset === 0 && content.byteLength === buffer.byteLength
    ? [buffer]
    : [];
}

/** Compiled: the .js next to this file. Under ts-jest: the .ts source, through ts-node. */
function threadEntry(): { file: string; eval: boolean } {
  const compiled = path.join(__dirname, 'handler-thread.js');
  if (existsSync(compiled)) return { file: compiled, eval: false };
  const source = path.join(__dirname, 'handler-thread.ts');
  return {
    file: `require('ts-node').register({ transpileOnly: true }); require(${JSON.stringify(source)});`,
    eval: true,
  };
}

/**
 * Runs CPU-bound handlers on worker threads, one job per thread at a time, so the worker's
 * event loop (heartbeats, claims, outcomes) never waits on them. A job's abort (cancel, timeout,
 * lost lease, shutdown) terminates its thread at once, wherever the handler is. Threads that
 * finished a job are kept for the next (up to `maxIdle`, starting one costs tens of ms); running
 * threads are bounded by the worker's concurrency, as jobs are.
 */
export class HandlerThreads {
  private readonly idle: Worker[] = [];
  private closed = false;
  private readonly entry = threadEntry();

  constructor(private readonly maxIdle: number) {}

  run(type: string, context: JobContext): Promise<unknown> {
    const { signal } = context;
    if (signal.aborted) return Promise.reject(signal.reason as Error);
    const thread = this.idle.pop() ?? this.spawn();
    thread.ref();
    return new Promise((resolve, reject) => {
      const finish = (settle: () => void, reusable: boolean): void => {
        thread.off('message', onMessage);
        thread.off('error', onError);
        thread.off('exit', onExit);
        signal.removeEventListener('abort', onAbort);
        if (reusable && !this.closed && this.idle.length < this.maxIdle) {
          thread.unref();
          this.idle.push(thread);
        } else void thread.terminate();
        settle();
      };
      const onMessage = (message: FromThread): void => {
        switch (message.kind) {
          case 'progress':
            return context.progress(message.pct, message.note);
          case 'log':
            return context.logger[message.level](message.text);
          case 'readFile':
            return void context.files.read(message.fileId).then(
              ({ filename, content }) =>
                post({ kind: 'file', requestId: message.requestId, filename, content }, ownBuffer(content)),
              (error: Error) => post({ kind: 'file', requestId: message.requestId, error: error.message }),
            );
          case 'done':
            return finish(() => resolve(message.result), true);
          case 'failed':
            return finish(() => reject(new Error(message.message)), true);
        }
      };
      const post = (message: ToThread, transfer: ArrayBuffer[] = []): void => {
        if (!signal.aborted) thread.postMessage(message, transfer);
      };
      const onError = (error: Error): void => finish(() => reject(error), false);
      const onExit = (code: number): void =>
        finish(() => reject(new Error(`handler thread exited with code ${code}`)), false);
      const onAbort = (): void => finish(() => reject(signal.reason as Error), false);
      thread.on('message', onMessage);
      thread.on('error', onError);
      thread.on('exit', onExit);
      signal.addEventListener('abort', onAbort, { once: true });
      post({ kind: 'run', type, jobId: context.jobId, payload: context.payload, attempt: context.attempt });
    });
  }

  /** Ends the idle threads; running ones end with their jobs (stop() aborts those past grace). */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.idle.splice(0).map((thread) => thread.terminate()));
  }

  private spawn(): Worker {
    const thread = new Worker(this.entry.file, {
      eval: this.entry.eval,
      resourceLimits: { maxOldGenerationSizeMb: THREAD_HEAP_MB },
    });
    // A job's own listeners report its errors; these keep an idle thread's end from crashing
    // the process or leaving a dead thread in the pool.
    thread.on('error', () => undefined);
    thread.once('exit', () => {
      const at = this.idle.indexOf(thread);
      if (at !== -1) this.idle.splice(at, 1);
    });
    return thread;
  }
}
