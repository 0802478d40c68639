import { makeWorkerUtils } from 'graphile-worker';
import { Pool } from 'pg';
import PgBoss from 'pg-boss';
import { type PeerQueue } from '../bench-peer-harness';
import { openGraphileWorker } from '../bench-peer-graphile-worker';
import { openPgBoss } from '../bench-peer-pg-boss';
import { PEERS, type SystemId } from './model';
import { type BenchServer, type ScratchDatabase } from './server';

/** Each peer's schema is installed once, in a template its fresh databases are copied from. */
const TEMPLATES = {
  'pg-boss': {
    kind: 'pgboss',
    async prepare(url: string) {
      const boss = new PgBoss({ connectionString: url, schedule: false, supervise: false });
      boss.on('error', () => undefined);
      await boss.start();
      await boss.stop({ graceful: false, wait: true });
    },
  },
  'graphile-worker': {
    kind: 'graphile',
    async prepare(url: string) {
      const pgPool = new Pool({ connectionString: url, max: 2 });
      pgPool.on('error', () => undefined);
      pgPool.on('connect', (client) => client.on('error', () => undefined));
      const utils = await makeWorkerUtils({ pgPool });
      await utils.migrate();
      await utils.release();
      await pgPool.end();
    },
  },
};

export interface OpenPeer {
  peer: PeerQueue;
  database: ScratchDatabase;
  /** Stops the peer and drops its database. */
  close(): Promise<void>;
}

/** A peer in its setup on a fresh database of its own. */
export async function openPeer(
  server: BenchServer,
  system: SystemId,
  label: string,
  callers = 0,
): Promise<OpenPeer> {
  const spec = PEERS.find((peer) => peer.id === system);
  if (!spec) throw new Error(`${system} is not a peer`);
  const database = await server.database(`${label}_${system}`, TEMPLATES[spec.library]);
  const open = spec.library === 'pg-boss' ? openPgBoss : openGraphileWorker;
  const peer = await open(database.url, { setup: spec.setup, callers });
  return {
    peer,
    database,
    async close() {
      await peer.close();
      await database.drop();
    },
  };
}
