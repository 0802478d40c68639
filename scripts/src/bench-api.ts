import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import { sleep } from './bench-stats';

const API = path.resolve(__dirname, '../../backend/src/main.api.js');

/** One API process (LOG_LEVEL warn, no dashboard) on its own port and the given database; resolves once /ready answers. */
export async function startApi(databaseUrl: string): Promise<{ child: ChildProcess; base: string }> {
  const port = await freePort();
  const child = fork(API, [], {
    // BENCH_CPU_PROF=<dir>: write a V8 CPU profile of the API process there, to see where a request's time goes.
    execArgv: process.env.BENCH_CPU_PROF
      ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`]
      : [],
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DASHBOARD_DIR: '',
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let ready = false; !ready; await sleep(100))
    ready = await fetch(`${base}/ready`).then(
      (r) => r.ok,
      () => false,
    );
  return { child, base };
}

export async function stopApi(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
