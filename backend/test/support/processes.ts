import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

/** Compiled entry points: these tests run what `npm start` runs, so `npm test` builds first. */
export function builtScript(relative: string): string {
  const file = path.join(REPO_ROOT, 'dist', relative);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` (npm test does) first`);
  return file;
}

/** The variables a child gets: PATH and HOME only, plus what the test names, so nothing leaks in. */
export function cleanEnv(vars: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: 'warn', ...vars };
}

export interface RunningProcess {
  child: ChildProcessWithoutNullStreams;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function startNode(script: string, args: string[], env: NodeJS.ProcessEnv): RunningProcess {
  const child = spawn(process.execPath, [script, ...args], { env, cwd: REPO_ROOT });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer): void => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      for (const listener of listeners) listener();
      resolve({ code, signal });
    }),
  );
  const waitFor = (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = pattern.exec(output);
        if (match) {
          finish();
          resolve(match);
        } else if (child.exitCode !== null || child.signalCode !== null) {
          finish();
          reject(new Error(`process exited before printing ${pattern}; output:\n${output}`));
        }
      };
      const timer = setTimeout(() => {
        finish();
        reject(new Error(`timed out waiting for ${pattern}; output:\n${output}`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      check();
    });
  return { child, output: () => output, waitFor, exited };
}

export function runNode(script: string, args: string[], env: NodeJS.ProcessEnv) {
  const running = startNode(script, args, env);
  return running.exited.then(({ code }) => ({ code, output: running.output() }));
}

/** True while the process runs; a zombie (exited, not yet reaped by its parent) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const stat = `/proc/${pid}/stat`;
  if (!existsSync(stat)) return true;
  const state = readFileSync(stat, 'utf8').split(') ')[1]?.[0];
  return state !== 'Z';
}

/** Polls a URL until it answers `status`, as a readiness probe would. */
export async function waitForStatus(url: string, status = 200, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url);
      if (response.status === status) return;
      last = `${response.status} ${await response.text()}`;
    } catch (error) {
      last = (error as Error).message;
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer ${status} within ${timeoutMs} ms; last: ${last}`);
}

/** Polls `check` every 100 ms until it holds; fails naming what it waited for. */
export async function waitUntil(
  description: string,
  check: () => boolean | Promise<boolean>,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${description}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}

/**
 * The built worker on a test database, resolved once it says it is ready. It polls every 100 ms
 * and retries within 100 ms, so a test sees jobs run and fail without waiting on production
 * timings; `env` adds or overrides variables.
 */
export async function startReadyWorker(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<RunningProcess> {
  const worker = startNode(
    builtScript('backend/src/main.worker.js'),
    [],
    cleanEnv({
      DATABASE_URL: databaseUrl,
      LOG_LEVEL: 'info',
      BACKOFF_BASE_MS: '50',
      BACKOFF_MAX_MS: '100',
      POLL_INTERVAL_MS: '100',
      ...env,
    }),
  );
  await worker.waitFor(/Worker ready/);
  return worker;
}

/** SIGTERM, then the exit. */
export async function stopProcess(running: RunningProcess): Promise<void> {
  running.child.kill('SIGTERM');
  await running.exited;
}
