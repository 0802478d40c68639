/**
 * The workers registry's statements, shared by the worker processes (which write their own row)
 * and the API (which reads the fleet). Same shape as queue.sql.ts: named and parametrised.
 */

export interface RegistryStatement {
  name: string;
  text: string;
  values: unknown[];
}

/** Advisory lock key of the registry pruner (next to the queue's maintenance keys, 0x636f6e76…). */
export const WORKERS_PRUNE_LOCK_KEY = 0x636f6e80;

export interface WorkerRow {
  id: string;
  host: string;
  pid: number;
  version: string;
  concurrency: number;
  jobs_in_hand: number;
  started_at: Date;
  last_seen_at: Date;
  live: boolean;
}

/**
 * A worker's heartbeat: creates its row on the first beat (started_at then) and refreshes
 * last_seen_at and jobs_in_hand after. A restarted process with the same host:pid (a container
 * restart) starts a new row's life: a row last seen longer ago than the stale limit gets a new
 * started_at.
 */
export function workerBeat(
  worker: { id: string; host: string; pid: number; version: string; concurrency: number },
  jobsInHand: number,
  staleSeconds: number,
): RegistryStatement {
  return {
    name: 'workerBeat',
    text: `
      INSERT INTO workers AS w (id, host, pid, version, concurrency, jobs_in_hand)
      VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (id) DO UPDATE
        SET host = EXCLUDED.host, pid = EXCLUDED.pid, version = EXCLUDED.version,
            concurrency = EXCLUDED.concurrency, jobs_in_hand = EXCLUDED.jobs_in_hand,
            started_at = CASE WHEN w.last_seen_at < now() - make_interval(secs => $7) THEN now()
                              ELSE w.started_at END,
            last_seen_at = now()`,
    values: [
      worker.id,
      worker.host,
      worker.pid,
      worker.version,
      worker.concurrency,
      jobsInHand,
      staleSeconds,
    ],
  };
}

/** A worker that stops cleanly leaves the fleet at once. */
export function workerLeave(id: string): RegistryStatement {
  return { name: 'workerLeave', text: 'DELETE FROM workers WHERE id = $1', values: [id] };
}

/** Rows of workers not seen for `staleSeconds` (killed, or cut off from the database). */
export function workerPruneStale(staleSeconds: number): RegistryStatement {
  return {
    name: 'workerPruneStale',
    text: `DELETE FROM workers WHERE last_seen_at < now() - make_interval(secs => $1) RETURNING id`,
    values: [staleSeconds],
  };
}

/** Every row, live or not yet pruned, the longest-running first. */
export function workerList(staleSeconds: number): RegistryStatement {
  return {
    name: 'workerList',
    text: `
      SELECT id, host, pid, version, concurrency, jobs_in_hand, started_at, last_seen_at,
             last_seen_at >= now() - make_interval(secs => $1) AS live
      FROM workers
      ORDER BY started_at, id`,
    values: [staleSeconds],
  };
}

/** Live workers and the slots they offer. */
export function workerFleet(staleSeconds: number): RegistryStatement {
  return {
    name: 'workerFleet',
    text: `
      SELECT count(*)::int AS workers, coalesce(sum(concurrency), 0)::int AS slots
      FROM workers WHERE last_seen_at >= now() - make_interval(secs => $1)`,
    values: [staleSeconds],
  };
}

/**
 * The live fleet's slots as one worker counts them: its own concurrency plus every other live
 * worker's, so a worker whose first beat has not landed yet still counts itself.
 */
export function workerFleetSlots(
  staleSeconds: number,
  selfId: string,
  selfConcurrency: number,
): RegistryStatement {
  return {
    name: 'workerFleetSlots',
    text: `
      SELECT ($3::int + coalesce(sum(concurrency), 0))::int AS slots
      FROM workers WHERE last_seen_at >= now() - make_interval(secs => $1) AND id <> $2`,
    values: [staleSeconds, selfId, selfConcurrency],
  };
}
