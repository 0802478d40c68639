import { type ChildProcess, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import { sleep } from './bench-stats';

const API = path.resolve(__dirname, '../../backend/src/main.api.js');
const WORKER = path.resolve(__dirname, '../../backend/src/main.worker.js');

/** Processes started here and still running: killed if this process exits first (an error mid-run). */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

/**
 * The environment of a benchmarked process: PATH and HOME only plus what the benchmark sets, so
 * that nothing in the caller's shell (a TENANT_MAX_SHARE, a JOB_LOG_LEVEL) changes what is measured.
 */
function benchEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...vars };
}

/**
 * One API process (LOG_LEVEL warn, no dashboard) on its own port and the given database; resolves
 * once /ready answers. `env` adds or overrides variables; without `clean` it inherits this
 * process's environment. `entry` runs another build's main.api.js (bench:platforms compares builds).
 */
export async function startApi(
  databaseUrl: string,
  env: Record<string, string> = {},
  clean = false,
  entry = API,
): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const vars = {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    LOG_LEVEL: 'warn',
    DASHBOARD_DIR: '',
    ...env,
  };
  const child = track(
    fork(entry, [], {
      // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of the API process there, to see where a request's time goes.
      execArgv: process.env.BENCH_CPU_PROF
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
        : [],
      env: clean ? benchEnv(vars) : { ...process.env, ...vars },
      stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready; await sleep(100)) {
    if (child.exitCode !== null) throw new Error(`the API exited (code ${child.exitCode}) while starting`);
    ready = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
  }
  return { child, base };
}

/** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
export async function stopApi(child: ChildProcess, graceMs = 30_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker logs that it is ready (connected, claim loop started). */
  ready: Promise<void>;
  /**
   * Called with a job's id when the worker's `started` lifecycle line arrives: written just
   * before the handler runs, read here off the worker's stdout as it comes.
   */
  onStarted: (jobId: string) => void;
  /** SIGTERM, then SIGKILL after `graceMs` (a benchmark whose database goes next need not wait long). */
  stop(graceMs?: number): Promise<void>;
}

/**
 * One worker process on the given database, logging at info with the job lifecycle lines
 * (JOB_LOG_LEVEL info, the defaults) to a pipe this process reads, as a container's log pipe
 * would be: the lines are part of what is measured.
 */
export function startWorker(databaseUrl: string, env: Record<string, string> = {}): WorkerProcess {
  const child = track(
    fork(WORKER, [], {
      env: benchEnv({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'info', JOB_LOG_LEVEL: 'info', ...env }),
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    }),
  );
  let markReady!: () => void;
  let failed!: (error: Error) => void;
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failed = reject;
  });
  child.once('exit', (code) => failed(new Error(`the worker exited (code ${code})`)));
  ready.catch(() => undefined); // an exit after start-up is no error; awaiting `ready` still sees one before
  const worker: WorkerProcess = {
    child,
    ready,
    onStarted: () => undefined,
    stop: (graceMs) => stopApi(child, graceMs),
  };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    if (line.includes('"event":"started"')) {
      const jobId = /"job_id":"([^"]+)"/.exec(line)?.[1];
      if (jobId) worker.onStarted(jobId);
    } else if (line.includes('Worker ready')) markReady();
  });
  return worker;
}

/** Resident set size of a process in MiB, from /proc; undefined where /proc cannot tell. */
export function rssMiB(pid: number): number | undefined {
  try {
    const kib = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? undefined : +(Number(kib) / 1024).toFixed(1);
  } catch {
    return undefined;
  }
}
