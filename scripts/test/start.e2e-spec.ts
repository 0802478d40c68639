import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import {
  builtScript,
  cleanEnv,
  isAlive,
  runNode,
  type RunningProcess,
  startNode,
  waitUntil,
} from '../../backend/test/support/processes';

const START = 'scripts/src/start.js';
const CREATE_USER = 'scripts/src/create-user.js';

function postmasterPid(dataDir: string): number | undefined {
  const file = path.join(dataDir, 'pg', 'postmaster.pid');
  return existsSync(file) ? Number(readFileSync(file, 'utf8').split('\n')[0]) : undefined;
}

describe('npm start (the all-in-one launcher) on the embedded PostgreSQL', () => {
  let dataDir: string;
  let port: number;
  const launched: RunningProcess[] = [];
  const launch = (environment: NodeJS.ProcessEnv): RunningProcess => {
    const running = startNode(builtScript(START), [], environment);
    launched.push(running);
    return running;
  };

  // A failed assertion must not leave a launcher, its workers or its PostgreSQL behind for the next test.
  afterEach(async () => {
    for (const running of launched.splice(0)) {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        running.child.kill('SIGTERM');
        await running.exited;
      }
    }
    const pgPid = dataDir ? postmasterPid(dataDir) : undefined;
    if (pgPid && isAlive(pgPid)) {
      process.kill(pgPid, 'SIGINT');
      await waitUntil('the test PostgreSQL stopped', () => !isAlive(pgPid));
    }
  });

  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'conveyor-start-'));
    await chmod(dataDir, 0o755);
    port = await freePort();
  });
  afterAll(() => rm(dataDir, { recursive: true, force: true }));

  const env = () =>
    cleanEnv({ DATA_DIR: dataDir, PORT: String(port), WORKER_PROCESSES: '2', DASHBOARD_DIR: '' });

  it('starts everything, prints the key and URLs, is ready, and exits 0 on SIGTERM leaving nothing running', async () => {
    const launcher = launch(env());
    const [, key] = await launcher.waitFor(/API key: (\S+)/);
    expect(key.length).toBeGreaterThanOrEqual(32);
    expect(launcher.output()).toContain(`http://localhost:${port}/api/v1`);
    expect(launcher.output()).toContain(`http://localhost:${port}/docs`);
    const [, pidList] = await launcher.waitFor(/worker process\(es\): ([\d, ]+)/);
    const workerPids = pidList.split(',').map((pid) => Number(pid.trim()));
    expect(workerPids).toHaveLength(2);
    expect(workerPids.every(isAlive)).toBe(true);
    expect(workerPids).not.toContain(launcher.child.pid);

    const ready = await fetch(`http://127.0.0.1:${port}/ready`);
    expect(ready.status).toBe(200);
    const pgPid = postmasterPid(dataDir);
    expect(pgPid && isAlive(pgPid)).toBe(true);

    // create-user attaches to the running embedded server instead of starting a second one.
    const created = await runNode(builtScript(CREATE_USER), ['tenant1', 'my-api-key-123'], env());
    expect(created).toMatchObject({ code: 0 });
    expect(created.output).toContain('API key: my-api-key-123');
    expect(created.output).toContain('already running');

    launcher.child.kill('SIGTERM');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
    await waitUntil(
      'workers and PostgreSQL are gone',
      () => workerPids.every((pid) => !isAlive(pid)) && !isAlive(pgPid!),
    );
  });

  it('reuses the data on a second start and says a key already exists', async () => {
    const launcher = launch(env());
    await launcher.waitFor(/An API key already exists/);
    expect(launcher.output()).not.toMatch(/API key: /);
    launcher.child.kill('SIGINT');
    expect(await launcher.exited).toEqual({ code: 0, signal: null });
  });

  it('create-user starts and stops the embedded server itself when nothing runs', async () => {
    const created = await runNode(builtScript(CREATE_USER), ['tenant2'], env());
    expect(created.code).toBe(0);
    expect(created.output).toMatch(/API key: cvr_\S{43}/);
    expect(postmasterPid(dataDir)).toBeUndefined();
  });

  describe('when the port is taken', () => {
    let blocker: Server;
    beforeAll(async () => {
      blocker = createServer();
      await new Promise<void>((resolve) => blocker.listen(port, resolve));
    });
    afterAll(() => new Promise<void>((resolve) => blocker.close(() => resolve())));

    it('names the port, exits 1 and stops the embedded PostgreSQL again', async () => {
      const result = await runNode(builtScript(START), [], env());
      expect(result.code).toBe(1);
      expect(result.output).toContain(`Port ${port} is already in use`);
      const pgPid = postmasterPid(dataDir);
      expect(pgPid === undefined || !isAlive(pgPid)).toBe(true);
    });
  });

  it('exits 1 listing every bad variable', async () => {
    const result = await runNode(builtScript(START), [], cleanEnv({ PORT: 'x', WORKER_PROCESSES: 'lots' }));
    expect(result.code).toBe(1);
    expect(result.output).toContain('PORT:');
    expect(result.output).toContain('WORKER_PROCESSES:');
  });

  it('refuses a data directory made by another PostgreSQL major version with a clear message', async () => {
    const otherDir = await mkdtemp(path.join(tmpdir(), 'conveyor-oldpg-'));
    try {
      mkdirSync(path.join(otherDir, 'pg'));
      writeFileSync(path.join(otherDir, 'pg', 'PG_VERSION'), '9\n');
      const result = await runNode(
        builtScript(START),
        [],
        cleanEnv({ DATA_DIR: otherDir, PORT: String(port) }),
      );
      expect(result.code).toBe(1);
      expect(result.output).toMatch(/was made by PostgreSQL 9, but the embedded server is PostgreSQL \d+/);
    } finally {
      await rm(otherDir, { recursive: true, force: true });
    }
  });
});
