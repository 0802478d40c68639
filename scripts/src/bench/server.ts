import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { EmbeddedDatabase } from '../../../backend/src/database/embedded/embedded-database';
import { sleep } from '../bench-stats';

/** Server settings the report prints: every system runs on the same server with these. */
const SHOWN_SETTINGS = [
  'max_connections',
  'shared_buffers',
  'effective_cache_size',
  'work_mem',
  'synchronous_commit',
  'fsync',
  'wal_level',
  'max_wal_size',
  'checkpoint_timeout',
  'autovacuum',
  'autovacuum_naptime',
  'jit',
  'random_page_cost',
];

export interface ScratchDatabase {
  name: string;
  url: string;
  /** Drops it once its sessions have ended (forcing what is left after 2 s). */
  drop(): Promise<void>;
}

export interface BenchServer {
  /** A superuser URL of the server's own database. */
  adminUrl: string;
  /** 'DATABASE_URL' or the embedded server's description. */
  describe: string;
  version: string;
  settings: Record<string, string>;
  /**
   * A fresh database: empty, or a copy of the template `kind` (made once by `prepare`, which
   * must close every connection it opened), so that migrations run once per system, not per round.
   */
  database(
    label: string,
    template?: { kind: string; prepare: (url: string) => Promise<void> },
  ): Promise<ScratchDatabase>;
  /** Drops every database made here and stops the embedded server if it was started here. */
  release(): Promise<void>;
}

/** A client that reports rather than throws when the server ends its session (a forced drop). */
export async function connect(url: string): Promise<Client> {
  const client = new Client({ connectionString: url });
  client.on('error', () => undefined);
  await client.connect();
  return client;
}

function urlOf(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * DATABASE_URL's server when set, else an embedded PostgreSQL in a temp directory (world-
 * traversable: as root the server runs as the `postgres` OS user), stopped and removed by
 * release(). Database names carry this process's id, so two runs on one server never drop each
 * other's databases.
 */
export async function openBenchServer(log: (message: string) => void): Promise<BenchServer> {
  let adminUrl = process.env.DATABASE_URL;
  let describe = 'DATABASE_URL';
  let stopEmbedded = async (): Promise<void> => undefined;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), 'conveyor-bench-'));
    await chmod(dir, 0o755);
    const handle = await new EmbeddedDatabase(dir, log).open();
    adminUrl = handle.url;
    describe = 'embedded PostgreSQL (fresh, in a temp directory)';
    stopEmbedded = async () => {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const admin = await connect(adminUrl);
  const version = (await admin.query(`SELECT current_setting('server_version') AS v`)).rows[0].v as string;
  const settings = Object.fromEntries(
    (
      await admin.query<{ name: string; value: string }>(
        `SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1) ORDER BY name`,
        [SHOWN_SETTINGS],
      )
    ).rows.map((row) => [row.name, row.value]),
  );

  const prefix = `bench_${process.pid}`;
  let made = 0;
  const live = new Set<string>();
  const templates = new Map<string, Promise<string>>();

  const waitForSessions = async (name: string) => {
    const deadline = Date.now() + 2_000;
    for (;;) {
      const { rows } = await admin.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1',
        [name],
      );
      if (rows[0].n === 0 || Date.now() > deadline) return;
      await sleep(20);
    }
  };
  const dropNow = async (name: string) => {
    // pg's end() resolves once a client has said goodbye, not once its server process is gone:
    // forcing the drop at once could cut a session still closing, which its client then reports.
    await waitForSessions(name);
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    live.delete(name);
  };
  const create = async (label: string, template?: string): Promise<ScratchDatabase> => {
    const name = `${prefix}_${made++}_${label.replace(/[^a-z0-9]+/g, '_')}`.slice(0, 63);
    if (template) await waitForSessions(template);
    await admin.query(`CREATE DATABASE ${name}${template ? ` TEMPLATE ${template}` : ''}`);
    live.add(name);
    return { name, url: urlOf(adminUrl, name), drop: () => dropNow(name) };
  };

  return {
    adminUrl,
    describe,
    version,
    settings,
    async database(label, template) {
      if (!template) return create(label);
      let ready = templates.get(template.kind);
      if (!ready) {
        ready = (async () => {
          const made = await create(`tpl_${template.kind}`);
          await template.prepare(made.url);
          return made.name;
        })();
        templates.set(template.kind, ready);
      }
      return create(label, await ready);
    },
    async release() {
      for (const name of [...live]) await dropNow(name).catch(() => undefined);
      await admin.end().catch(() => undefined);
      await stopEmbedded();
    },
  };
}
