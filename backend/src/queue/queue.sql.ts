/**
 * Every statement on the queue's hot path, as named, parametrised statements (pg prepares a
 * named statement once per connection). Nothing else in the codebase writes job state.
 *
 * Invariant: a job leaves `running` only through a statement that checks `lease_owner`, so a
 * worker whose lease was rescued can never complete or fail a job it no longer holds.
 *
 * Statements are assembled from fragments (jobEvents, jobTransitions, FAIL_TRANSITION…); the
 * full text of each is committed in ./sql/<name>.sql (npm run sql:snapshots), and a test fails
 * while a snapshot differs, so a changed fragment shows in review as SQL.
 */

import { newJobId } from './job-id';

export interface Statement {
  name: string;
  text: string;
  values: unknown[];
}

/**
 * Wakes idle workers. The payload names the tenant whose jobs became ready (empty when the
 * promoter made several tenants' jobs due): a busy worker claims at once for a tenant none of
 * whose jobs it holds (ClaimLoop.wake). PostgreSQL folds identical notifications within one
 * transaction into one, so a batch insert sends one NOTIFY per tenant however many rows it adds.
 */
export const JOB_READY_CHANNEL = 'conveyor_job_ready';

/** Tells the worker holding a running job that it was cancelled; the payload is the job id. */
export const JOB_CANCEL_CHANNEL = 'conveyor_job_cancel';

/** Every job state change, published in the transaction that makes it (see jobEvents). */
export const JOB_EVENTS_CHANNEL = 'conveyor_job_events';

export type JobEventKind =
  | 'submitted'
  | 'started'
  | 'completed'
  | 'failed'
  | 'released'
  | 'cancelled'
  | 'progress'
  | 'requeued'
  | 'due';

/**
 * One notification's rows: [id, tenant_id, queue, type, status, attempts, progress, error]
 * (error: the start of last_error for failed attempts, else null).
 */
export type JobEventRow = [string, string, string, string, string, number, number, string | null];

export interface JobEventNotification {
  kind: JobEventKind;
  /** When the change happened (the transaction's start), epoch milliseconds. */
  at: number;
  jobs: JobEventRow[];
}

/**
 * NOTIFY payloads must stay under 8,000 bytes. Rows are packed by size: a notification closes
 * once its rows pass 6,500 bytes, and one row is at most ~900 bytes (queue and type cut to 64
 * characters, the error to 100, which JSON escaping can grow sixfold), so none exceeds ~7,500.
 */
const EVENT_BYTES_PER_NOTIFICATION = 6_500;

/**
 * A CTE named `events` that publishes the rows of `source` (a data-modifying CTE returning
 * id, tenant_id, queue, type, status, attempts, progress) on JOB_EVENTS_CHANNEL, packed into as
 * few notifications as the size limit allows. It runs only when the statement's final SELECT
 * reads EVENTS_SENT, and only when rows changed; the notifications are delivered exactly when
 * the change commits.
 */
function jobEvents(kind: JobEventKind, source: string, error = 'NULL::text'): string {
  return `events AS (
        SELECT pg_notify('${JOB_EVENTS_CHANNEL}', json_build_object('kind', '${kind}',
                 'at', (extract(epoch FROM now()) * 1000)::bigint, 'jobs', json_agg(row ORDER BY n))::text)
        FROM (
          SELECT row, n, (sum(octet_length(row::text)) OVER (ORDER BY n) - 1) / ${EVENT_BYTES_PER_NOTIFICATION} AS chunk
          FROM (
            SELECT json_build_array(id, tenant_id, left(queue, 64), left(type, 64), status, attempts, progress,
                                    left(${error}, 100)) AS row,
                   row_number() OVER () AS n
            FROM ${source}
          ) AS changed_rows
        ) AS sized_rows
        GROUP BY chunk
      )`;
}
const EVENTS_SENT = '(SELECT count(*) FROM events) AS notifications';
const EVENT_COLUMNS = 'id, tenant_id, queue, type, status, attempts, progress';

const MS_SINCE = (column: string) => `(extract(epoch FROM now() - ${column}) * 1000)::bigint`;
/** A timestamp as epoch milliseconds: a float pg hands over as a number, not a string to parse into a Date. */
const EPOCH_MS = (timestamp: string) => `(extract(epoch FROM ${timestamp}) * 1000)::float8`;

/**
 * A CTE named `transitions` that appends what `source` changed to job_transitions, one row
 * per (tenant, queue, type, from → to): the counters and per-minute metrics are folded from it
 * by jobCountsRoll, so no hot-path statement contends on a shared counter row. `source` returns
 * tenant_id, queue, type and status (the new one); `from` is SQL for the old status.
 */
function jobTransitions(
  source: string,
  from: string,
  measures: { waitMs?: string; runMs?: string } = {},
): string {
  return `transitions AS (
        INSERT INTO job_transitions (tenant_id, queue, type, from_status, to_status, jobs, wait_ms, run_ms)
        SELECT tenant_id, queue, type, ${from}, status, count(*),
               ${measures.waitMs ? `sum(${measures.waitMs})` : '0'}, ${measures.runMs ? `sum(${measures.runMs})` : '0'}
        FROM ${source}
        GROUP BY tenant_id, queue, type, ${from}, status
      )`;
}

/**
 * A CTE named `slots_freed` giving back the running slots of capped tenants (max_concurrency
 * set) for the rows of `source` that left `running`. Tenants are taken in id order, as every
 * statement that locks several tenant rows does, so two such statements cannot deadlock.
 */
function freeTenantSlots(source: string, leftRunning = 'TRUE'): string {
  return `slots_freed AS (
        UPDATE tenants t SET running_jobs = greatest(t.running_jobs - f.jobs, 0)
        FROM (SELECT tenant_id, count(*)::int AS jobs FROM ${source} WHERE ${leftRunning}
              GROUP BY tenant_id ORDER BY tenant_id) f
        WHERE t.id = f.tenant_id AND t.max_concurrency IS NOT NULL
      )`;
}

export interface NewJob {
  tenantId: string;
  queue: string;
  type: string;
  payload: unknown;
  priority: number;
  runAt: Date | null;
  maxAttempts: number;
  idempotencyKey: string | null;
  traceId: string | null;
  /** W3C traceparent of the submitting request's span, when tracing is on: the worker continues it. */
  traceParent?: string | null;
  /** An attempt's time limit; null (or absent): the worker applies the type's default. */
  timeoutMs?: number | null;
  /** `payload` as JSON, when the caller already serialized it (GroupedInserts, to size groups). */
  payloadJson?: string;
}

/**
 * Inserts many jobs in one statement; a row whose idempotency key exists is skipped. A job due
 * later is `scheduled` (jobPromoteDue makes it `pending` when due), so the claim's index never
 * holds it. It returns, in input order, only what the database decided for each inserted job:
 * its id, its status and the transaction's time (created_at, updated_at, and run_at when none
 * was given); the caller knows the rest (JobQueue.insertMany builds the rows). Reading back
 * every column cost the API more than the insert itself on batches of 1,000: twenty columns
 * parsed per row, three timestamps among them, and every payload parsed again.
 * The ids come from the caller, so that a statement carrying several callers' jobs
 * (GroupedInserts) can hand each caller its own row back, and tell a skipped repeat by its id
 * missing from the result.
 */
export function jobInsertMany(jobs: NewJob[], ids: string[] = jobs.map(() => newJobId())): Statement {
  return {
    name: 'jobInsertMany',
    text: `
      WITH input AS (
        SELECT *
        FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::text[], $5::jsonb[], $6::int[], $7::timestamptz[],
                    $8::int[], $9::text[], $10::text[], $11::text[], $12::int[]) WITH ORDINALITY
          AS input(id, tenant_id, queue, type, payload, priority, run_at, max_attempts, idempotency_key, trace_id,
                   trace_parent, timeout_ms, ord)
      ),
      inserted AS (
        INSERT INTO jobs (id, tenant_id, queue, type, payload, status, priority, run_at, max_attempts, idempotency_key,
                          trace_id, trace_parent, timeout_ms)
        SELECT id, tenant_id, queue, type, payload, CASE WHEN run_at > now() THEN 'scheduled' ELSE 'pending' END,
               priority, coalesce(run_at, now()), max_attempts, idempotency_key, trace_id, trace_parent, timeout_ms
        FROM input
        -- Idempotency keys are taken in one order by every statement, so that two statements
        -- holding the same keys cannot deadlock; a key's first job in the input still wins.
        ORDER BY tenant_id, idempotency_key, ord
        ON CONFLICT (tenant_id, idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING ${EVENT_COLUMNS},
                  CASE WHEN status = 'pending' THEN pg_notify('${JOB_READY_CHANNEL}', tenant_id::text) END
      ),
      ${jobTransitions('inserted', 'NULL::text')},
      ${jobEvents('submitted', 'inserted')},
      input_order AS (SELECT id, ord FROM input)
      SELECT id, status, ${EPOCH_MS('now()')} AS now_ms, ${EVENTS_SENT}
      FROM inserted JOIN input_order USING (id)
      ORDER BY ord`,
    values: [
      ids,
      jobs.map((j) => j.tenantId),
      jobs.map((j) => j.queue),
      jobs.map((j) => j.type),
      jobs.map((j) => j.payloadJson ?? JSON.stringify(j.payload)),
      jobs.map((j) => j.priority),
      jobs.map((j) => j.runAt),
      jobs.map((j) => j.maxAttempts),
      jobs.map((j) => j.idempotencyKey),
      jobs.map((j) => j.traceId),
      jobs.map((j) => j.traceParent ?? null),
      jobs.map((j) => j.timeoutMs ?? null),
    ],
  };
}

/**
 * Claims up to `limit` ready jobs in one round trip, fairly across tenants.
 *
 * 1. walk: the tenants with pending work, in tenant_id order from just after `cursor` (wrapping
 *    around to the smallest), by a skip scan of jobs_pending_idx (one index descent per tenant,
 *    not a scan of the backlog; the ORDER BY spells out the whole index key so the planner cannot
 *    pick an index that also holds finished jobs). It stops once K tenants that can take a job
 *    were visited, K = max(ceil(limit / 25), min(limit, 10)): a claim of 250 serves 10 tenants
 *    25 jobs each, a claim of a few jobs spreads one each. Each tenant visited costs index
 *    descents and writes in its own leaf pages, so fewer, larger turns make the round robin
 *    cheaper (docs/fairness.md, "Which tenants one claim visits"). A tenant at its cap or its
 *    fleet share (steps 2 and 4) is visited but not counted, so tenants that cannot take a job
 *    never fill the claim's turns while others wait. Every row returned carries next_cursor, the
 *    last tenant visited, which the caller passes as its next claim's cursor (null: start at the
 *    smallest):
 *    a round robin over successive claims, every ready tenant served within ceil(tenants / K)
 *    of them, without walking all tenants each time. A random start would not be fair (a tenant
 *    after a wide gap in the uuids would come first more often).
 * 2. Caps: a tenant with max_concurrency gets at most its free slots (max_concurrency -
 *    running_jobs). Its tenants row is locked FOR UPDATE SKIP LOCKED, which reads the row's
 *    latest committed version, so two workers can never both spend the same slot; a capped
 *    tenant another worker is claiming for right now is skipped this round, not waited for.
 *    Uncapped tenants never touch their row: no shared row is written for them.
 * 3. Per tenant visited, its own top min(ceil(limit / tenants visited), free slots) jobs by
 *    (priority, run_at, id), locked FOR UPDATE SKIP LOCKED so concurrent workers take disjoint
 *    rows without waiting on each other. Measured with 100 tenants and limit 10: locking `limit`
 *    rows per tenant cost 6.5 ms a claim (1,000 row locks to keep 10); the share per tenant is
 *    the plan in jobClaim.plan.txt.
 * 4. Fleet share: when more than one tenant has a job this claim could take (`contending`), a
 *    tenant is held to `tenantSlots` jobs held (running, or claimed ahead) across the fleet:
 *    it gets at most tenantSlots - running of its candidates, so a tenant whose long jobs fill
 *    the fleet gets no new ones while another waits, and the slots its jobs free go to the
 *    others. The walk counts each visited tenant's running jobs through jobs_running_tenant_idx,
 *    stopping at tenantSlots; a lone tenant may use the whole fleet. Nothing is locked or
 *    written for it, so two workers claiming at the same instant can each give a tenant its last
 *    free place (it may briefly hold one claim more); max_concurrency (step 2) is the exact cap.
 *    tenantSlots null: no share rule, nothing counted.
 * 5. Round robin within the claim: every visited tenant's first job, then every one's second,
 *    ..., with the tenants in an order that `rotation` (a fresh value per claim) shuffles, so the
 *    tenants the limit cuts off in the last round are not always the same. Rows locked in step 3
 *    but not picked are unlocked when the statement ends. The rows come back in that order: a
 *    worker that claims ahead of its free slots starts them in it.
 *
 * Measured with the benchmark's pgbench scenario (npm run bench -- --only pgbench: claims of 250,
 * 100 tenants ready): walking all 100 tenants cost 27-36 % against a global order that starves
 * small tenants; visiting 25 a claim, 13.5-22 % (13.5 in the full report), which is index
 * writes spread over 25 tenants, not the claim's reads (docs/fairness.md). The price: a tenant
 * may wait up to ceil(tenants / K) claims of a worker for its turn
 * (docs/decisions/0003-claim-shape.md).
 */
export function jobClaim(
  workerId: string,
  limit: number,
  leaseSeconds: number,
  rotation: string,
  tenantSlots: number | null = null,
  cursor: string | null = null,
): Statement {
  return {
    name: 'jobClaim',
    text: `
      WITH RECURSIVE walk AS (
        -- Starts just after the cursor; step 0 is the cursor itself, not a tenant of this claim.
        SELECT $6::uuid AS tenant_id, false AS wrapped, 0 AS step, 0 AS turns, NULL::int AS running
        UNION ALL
        SELECT nx.tenant_id, nx.wrapped, w.step + 1, w.turns + CASE WHEN h.blocked THEN 0 ELSE 1 END, h.running
        FROM walk w
        CROSS JOIN LATERAL (
          (SELECT j.tenant_id, w.wrapped AS wrapped FROM jobs j
           WHERE j.status = 'pending' AND j.tenant_id > w.tenant_id
           ORDER BY j.tenant_id, j.priority, j.run_at, j.id LIMIT 1)
          UNION ALL
          (SELECT j.tenant_id, true FROM jobs j
           WHERE j.status = 'pending' AND NOT w.wrapped
           ORDER BY j.tenant_id, j.priority, j.run_at, j.id LIMIT 1)
          LIMIT 1
        ) nx
        CROSS JOIN LATERAL (
          SELECT c.running,
                 c.running >= $5::int
                   OR EXISTS (SELECT 1 FROM tenants t
                              WHERE t.id = nx.tenant_id AND t.running_jobs >= t.max_concurrency) AS blocked
          FROM (
            -- OFFSET 0: counted once, not once per use.
            SELECT CASE WHEN $5::int IS NOT NULL
                        THEN (SELECT count(*) FROM (SELECT 1 FROM jobs
                                                    WHERE tenant_id = nx.tenant_id AND status = 'running'
                                                    LIMIT $5) r)::int END AS running
            OFFSET 0
          ) c
        ) h
        WHERE w.turns < greatest(ceil($2::float8 / 25), least($2::int, 10))
          AND (NOT nx.wrapped OR nx.tenant_id <= coalesce($6::uuid, nx.tenant_id))
      ),
      ready AS (
        SELECT tenant_id, running FROM walk WHERE step > 0
      ),
      capped AS (
        SELECT id, greatest(max_concurrency - running_jobs, 0) AS free
        FROM tenants
        WHERE max_concurrency IS NOT NULL AND id IN (SELECT tenant_id FROM ready)
        ORDER BY id
        FOR UPDATE SKIP LOCKED
      ),
      quotas AS (
        SELECT r.tenant_id,
               CASE WHEN r.tenant_id IN (SELECT id FROM tenants WHERE max_concurrency IS NOT NULL)
                    THEN least(s.share, coalesce(c.free, 0))
                    ELSE s.share END AS quota
        FROM ready r
        CROSS JOIN (SELECT ceil($2::float8 / nullif(count(*), 0))::int AS share FROM ready) s
        LEFT JOIN capped c ON c.id = r.tenant_id
      ),
      candidates AS (
        SELECT c.id, c.rank, q.tenant_id, md5(q.tenant_id::text || $4) AS turn
        FROM quotas q
        CROSS JOIN LATERAL (
          SELECT j.id, row_number() OVER () AS rank
          FROM (
            SELECT id FROM jobs
            WHERE tenant_id = q.tenant_id AND status = 'pending' AND run_at <= now()
            ORDER BY priority, run_at, id
            LIMIT q.quota
            FOR UPDATE SKIP LOCKED
          ) j
        ) c
        WHERE q.quota > 0
      ),
      contending AS (
        SELECT DISTINCT tenant_id FROM candidates
      ),
      held AS MATERIALIZED (
        SELECT r.tenant_id, r.running
        FROM ready r
        WHERE $5::int IS NOT NULL AND (SELECT count(*) FROM contending) > 1
      ),
      picked AS (
        SELECT c.id, c.rank, c.turn
        FROM candidates c LEFT JOIN held h ON h.tenant_id = c.tenant_id
        WHERE h.running IS NULL OR c.rank <= $5::int - h.running
        ORDER BY c.rank, c.turn
        LIMIT $2
      ),
      claimed AS (
        -- By id = ANY(array), not a join with picked: the generic plan of a join guessed picked's
        -- size from its LIMIT and, with few tenants, hash-joined a full scan of jobs (200 ms a
        -- claim at 200,000 jobs); an array of ids is always probed through the primary key.
        UPDATE jobs j
        SET status = 'running',
            attempts = j.attempts + 1,
            lease_owner = $1,
            lease_expires_at = now() + make_interval(secs => $3),
            started_at = now(),
            updated_at = now()
        WHERE j.id = ANY (ARRAY(SELECT id FROM picked))
        RETURNING j.id, j.tenant_id, j.queue, j.type, j.payload, j.status, j.attempts, j.max_attempts, j.progress,
                  j.trace_id, j.trace_parent, j.timeout_ms, j.created_at, j.lease_expires_at,
                  'pending'::text AS from_status, j.run_at AS ready_at
      ),
      slots_taken AS (
        UPDATE tenants t SET running_jobs = t.running_jobs + c.jobs
        FROM (SELECT tenant_id, count(*)::int AS jobs FROM claimed GROUP BY tenant_id) c
        WHERE t.id = c.tenant_id AND t.id IN (SELECT id FROM capped)
      ),
      ${jobTransitions('claimed', 'from_status', { waitMs: `greatest(${MS_SINCE('ready_at')}, 0)` })},
      ${jobEvents('started', 'claimed')}
      SELECT c.id, c.tenant_id, c.queue, c.type, c.payload, c.attempts, c.max_attempts, c.trace_id, c.trace_parent,
             c.timeout_ms, ${EPOCH_MS('c.created_at')} AS created_at_ms,
             ${EPOCH_MS('c.lease_expires_at')} AS lease_expires_at_ms, ${EVENTS_SENT},
             (SELECT tenant_id FROM walk ORDER BY step DESC LIMIT 1) AS next_cursor
      FROM claimed c JOIN picked p USING (id)
      ORDER BY p.rank, p.turn`,
    values: [workerId, limit, leaseSeconds, rotation, tenantSlots, cursor],
  };
}

/**
 * Extends the leases of the jobs this worker still holds; returns the ids it still holds. It
 * writes no indexed column, so each row's update is HOT (no index entry written).
 */
export function jobHeartbeat(workerId: string, ids: string[], leaseSeconds: number): Statement {
  return {
    name: 'jobHeartbeat',
    text: `
      UPDATE jobs SET lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
      WHERE id = ANY($2::uuid[]) AND lease_owner = $1 AND status = 'running'
      RETURNING id`,
    values: [workerId, ids, leaseSeconds],
  };
}

export function jobCompleteMany(
  workerId: string,
  completions: Array<{ id: string; result: unknown }>,
): Statement {
  return {
    name: 'jobCompleteMany',
    text: `
      WITH completed AS (
        UPDATE jobs j
        SET status = 'completed', result = input.result, progress = 100, finished_at = now(),
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        FROM unnest($2::uuid[], $3::jsonb[]) AS input(id, result)
        WHERE j.id = input.id AND j.lease_owner = $1 AND j.status = 'running'
        RETURNING ${EVENT_COLUMNS.split(', ')
          .map((c) => `j.${c}`)
          .join(', ')}, j.started_at
      ),
      ${freeTenantSlots('completed')},
      ${jobTransitions('completed', `'running'::text`, { runMs: MS_SINCE('started_at') })},
      ${jobEvents('completed', 'completed')}
      SELECT id, ${EVENTS_SENT} FROM completed`,
    values: [
      workerId,
      completions.map((c) => c.id),
      completions.map((c) => JSON.stringify(c.result ?? null)),
    ],
  };
}

/** A job keeps the errors of its newest attempts only: manual retries must not grow a row without bound. */
export const MAX_ERRORS_KEPT = 20;
const KEEP_NEWEST_ERRORS = (errors: string) => `
        CASE WHEN jsonb_array_length(${errors}) <= ${MAX_ERRORS_KEPT} THEN ${errors}
             ELSE (SELECT jsonb_agg(e ORDER BY n) FROM jsonb_array_elements(${errors}) WITH ORDINALITY AS kept(e, n)
                   WHERE n > jsonb_array_length(${errors}) - ${MAX_ERRORS_KEPT}) END`;

/**
 * The transition of a failed attempt, shared by jobFailMany and jobRescueExpired: `failed` with
 * the retry at now() + delay while attempts remain, else `dead` and a dead_letter_jobs row in
 * the same statement (so a job is never dead without its DLQ entry, nor in the DLQ twice).
 * Expects a CTE named `input(id, error, delay_ms)` and $1 = lease owner or NULL for any.
 */
const FAIL_TRANSITION = `
  updated AS (
    UPDATE jobs j
    SET status = CASE WHEN j.attempts >= j.max_attempts THEN 'dead' ELSE 'failed' END,
        run_at = CASE WHEN j.attempts >= j.max_attempts THEN j.run_at
                      ELSE now() + make_interval(secs => input.delay_ms / 1000.0) END,
        finished_at = CASE WHEN j.attempts >= j.max_attempts THEN now() END,
        last_error = input.error,
        errors = ${KEEP_NEWEST_ERRORS(`j.errors || jsonb_build_array(jsonb_build_object('attempt', j.attempts, 'error', input.error, 'at', now()))`)},
        lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
    FROM input
    WHERE j.id = input.id AND j.status = 'running' AND ($1::text IS NULL OR j.lease_owner = $1)
    RETURNING j.*
  ),
  dead AS (
    INSERT INTO dead_letter_jobs (job_id, tenant_id, queue, type, payload, attempts, max_attempts, errors,
                                  last_error, trace_id, job_created_at)
    SELECT id, tenant_id, queue, type, payload, attempts, max_attempts, errors, last_error, trace_id, created_at
    FROM updated WHERE status = 'dead'
    ON CONFLICT (job_id) DO UPDATE
      SET attempts = EXCLUDED.attempts, errors = EXCLUDED.errors, last_error = EXCLUDED.last_error, died_at = now()
  ),
  ${freeTenantSlots('updated')},
  ${jobTransitions('updated', `'running'::text`, { runMs: MS_SINCE('started_at') })},
  ${jobEvents('failed', 'updated', 'last_error')}
  SELECT id, tenant_id, type, status, attempts, run_at, trace_id, ${EVENTS_SENT} FROM updated`;

export function jobFailMany(
  workerId: string,
  failures: Array<{ id: string; error: string; retryDelayMs: number }>,
): Statement {
  return {
    name: 'jobFailMany',
    text: `
      WITH input AS (SELECT * FROM unnest($2::uuid[], $3::text[], $4::int[]) AS t(id, error, delay_ms)),
      ${FAIL_TRANSITION}`,
    values: [
      workerId,
      failures.map((f) => f.id),
      failures.map((f) => f.error),
      failures.map((f) => f.retryDelayMs),
    ],
  };
}

/**
 * Returns jobs whose lease expired (their worker died or hung) to the queue as a failed attempt,
 * or to the DLQ when that was the last one. SKIP LOCKED: a job a live worker is completing right
 * now is left for the next pass. lease_expires_at is not indexed (so that heartbeats are HOT
 * updates): the running rows, few by nature, are read through jobs_running_tenant_idx.
 * Each job's retry waits the backoff of its own attempt, as retryDelayMs (backoff.ts) computes
 * it for a failure the worker reports: base · 2^attempt, capped, half of it jittered.
 */
export function jobRescueExpired(limit: number, backoff: { baseMs: number; maxMs: number }): Statement {
  return {
    name: 'jobRescueExpired',
    text: `
      WITH input AS (
        SELECT id, 'lease expired: the worker stopped heartbeating' AS error,
               round(least($4::float8, $3::float8 * power(2, greatest(attempts, 0)))
                     * (0.5 + random() / 2))::int AS delay_ms
        FROM jobs
        WHERE status = 'running' AND lease_expires_at < now()
        ORDER BY lease_expires_at
        LIMIT $2
        FOR UPDATE SKIP LOCKED
      ),
      ${FAIL_TRANSITION}`,
    values: [null, limit, backoff.baseMs, backoff.maxMs],
  };
}

/**
 * Makes jobs that have become due runnable: scheduled jobs and failed attempts whose retry time
 * has come turn `pending`, at most `limit` a pass, the longest overdue first, and wake idle
 * workers. Only these rows enter jobs_pending_idx, which is why no claim ever walks jobs that
 * are not due (docs/storage.md). SKIP LOCKED: a job being cancelled right now is left for the
 * next pass.
 */
export function jobPromoteDue(limit: number): Statement {
  return {
    name: 'jobPromoteDue',
    text: `
      WITH due AS (
        SELECT id, status FROM jobs
        WHERE status IN ('scheduled', 'failed') AND run_at <= now()
        ORDER BY run_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED
      ),
      updated AS (
        -- By id = ANY(array), not a join with due: with a backlog come due, the generic plan
        -- guessed due's size from its LIMIT and hash-joined a scan of the whole table.
        UPDATE jobs SET status = 'pending', updated_at = now()
        WHERE id = ANY (ARRAY(SELECT id FROM due))
        RETURNING ${EVENT_COLUMNS}
      ),
      promoted AS (
        SELECT u.*, due.status AS from_status FROM updated u JOIN due USING (id)
      ),
      ${jobTransitions('promoted', 'from_status')},
      ${jobEvents('due', 'promoted')}
      SELECT count(*)::int AS promoted, ${EVENTS_SENT},
             CASE WHEN count(*) > 0 THEN pg_notify('${JOB_READY_CHANNEL}', '') END AS woke
      FROM promoted`,
    values: [limit],
  };
}

/** A stopping worker hands back jobs it will not finish; the attempt is not counted. */
export function jobReleaseMany(workerId: string, ids: string[]): Statement {
  return {
    name: 'jobReleaseMany',
    text: `
      WITH released AS (
        UPDATE jobs
        SET status = 'pending', attempts = attempts - 1, lease_owner = NULL, lease_expires_at = NULL,
            run_at = now(), updated_at = now()
        WHERE id = ANY($2::uuid[]) AND lease_owner = $1 AND status = 'running'
        RETURNING ${EVENT_COLUMNS}
      ),
      ${freeTenantSlots('released')},
      ${jobTransitions('released', `'running'::text`)},
      ${jobEvents('released', 'released')}
      SELECT id, ${EVENTS_SENT} FROM released`,
    values: [workerId, ids],
  };
}

/** Progress of a running job, written only by the worker holding it. */
export function jobProgress(workerId: string, id: string, progress: number): Statement {
  return {
    name: 'jobProgress',
    text: `
      WITH moved AS (
        UPDATE jobs SET progress = $3, updated_at = now()
        WHERE id = $2 AND lease_owner = $1 AND status = 'running'
        RETURNING ${EVENT_COLUMNS}
      ),
      ${jobEvents('progress', 'moved')}
      SELECT id, ${EVENTS_SENT} FROM moved`,
    values: [workerId, id, progress],
  };
}

/** Advisory lock keys that serialise each maintenance task across all workers. */
export const MAINTENANCE_LOCK_KEYS = Object.freeze({
  rescuer: 0x636f6e76,
  pruner: 0x636f6e77,
  roller: 0x636f6e78,
  promoter: 0x636f6e79,
});

/**
 * Retention: finished jobs (completed or cancelled; dead ones live on in dead_letter_jobs) are
 * deleted in small batches, oldest first, so the pruner never holds many locks or a long
 * transaction on the hot table.
 */
export function jobPruneFinished(retentionDays: number, limit: number): Statement {
  return {
    name: 'jobPruneFinished',
    text: `
      WITH pruned AS (
        -- Through jobs_finished_idx, and by id = ANY(array): as a join (id IN), the plan guessed
        -- the batch's size from its LIMIT and hash-joined a scan of the whole table.
        DELETE FROM jobs
        WHERE id = ANY (ARRAY(
          SELECT id FROM jobs
          WHERE status IN ('completed', 'cancelled') AND finished_at < now() - $1::float8 * interval '1 day'
          ORDER BY finished_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED
        ))
        RETURNING id, tenant_id, queue, type, status AS from_status, NULL::text AS status
      ),
      files AS (
        DELETE FROM job_files WHERE job_id IN (SELECT id FROM pruned)
      ),
      orphans AS (
        -- an upload whose job insert failed (or whose API process died in between)
        DELETE FROM job_files WHERE job_id IS NULL AND created_at < now() - interval '1 hour'
      ),
      ${jobTransitions('pruned', 'from_status')}
      SELECT id FROM pruned`,
    values: [retentionDays, limit],
  };
}
export function maintenanceTryLock(key: number): Statement {
  return {
    name: 'maintenanceTryLock',
    text: 'SELECT pg_try_advisory_xact_lock($1) AS locked',
    values: [key],
  };
}

/**
 * Cancels a tenant's job that has not finished. A running job is marked cancelled at once and
 * its lease cleared, so nothing its worker writes later can land; the NOTIFY makes that worker
 * abort the handler (its next heartbeat would notice too). Returns no row for another tenant's job
 * (tenantId null: any tenant's, for admins).
 */
export function jobCancel(tenantId: string | null, id: string): Statement {
  return {
    name: 'jobCancel',
    text: `
      WITH target AS (
        SELECT id, status FROM jobs WHERE id = $2 AND ($1::uuid IS NULL OR tenant_id = $1) FOR UPDATE
      ),
      updated AS (
        UPDATE jobs j
        SET status = 'cancelled', finished_at = now(), lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        FROM target
        WHERE j.id = target.id AND target.status IN ('scheduled', 'pending', 'failed', 'running')
        RETURNING ${EVENT_COLUMNS.split(', ')
          .map((c) => `j.${c}`)
          .join(', ')}, j.trace_id, target.status AS from_status
      ),
      ${freeTenantSlots('updated', `from_status = 'running'`)},
      ${jobTransitions('updated', 'from_status')},
      ${jobEvents('cancelled', 'updated')}
      SELECT target.status AS previous_status,
             EXISTS (SELECT 1 FROM updated) AS cancelled,
             (SELECT json_build_object('tenant_id', tenant_id, 'type', type, 'attempts', attempts, 'trace_id', trace_id)
              FROM updated) AS job,
             ${EVENTS_SENT},
             CASE WHEN target.status = 'running' THEN pg_notify('${JOB_CANCEL_CHANNEL}', target.id::text) END AS notified
      FROM target`,
    values: [tenantId, id],
  };
}

/**
 * Folds job_transitions into job_counts and the per-minute job_metrics in one transaction, so
 * a reader of counts + unrolled transitions never sees a change twice or not at all.
 * Metrics: submitted = new rows, started = claims, failed = failed attempts (retried or dead),
 * retried = failed attempts with a retry scheduled, run time = claim to outcome, wait time =
 * due (run_at) to claim.
 */
export function jobCountsRoll(): Statement {
  return {
    name: 'jobCountsRoll',
    text: `
      WITH rolled AS (
        DELETE FROM job_transitions RETURNING *
      ),
      deltas AS (
        SELECT tenant_id, queue, type, to_status AS status, jobs AS delta FROM rolled WHERE to_status IS NOT NULL
        UNION ALL
        SELECT tenant_id, queue, type, from_status, -jobs FROM rolled WHERE from_status IS NOT NULL
      ),
      counted AS (
        INSERT INTO job_counts AS c (tenant_id, queue, type, status, jobs)
        SELECT tenant_id, queue, type, status, sum(delta) FROM deltas GROUP BY tenant_id, queue, type, status
        ON CONFLICT (tenant_id, status, queue, type) DO UPDATE SET jobs = c.jobs + EXCLUDED.jobs
      ),
      measured AS (
        INSERT INTO job_metrics AS m (bucket, tenant_id, queue, type, submitted, started, completed, failed, retried,
                                      dead, run_ms_sum, wait_ms_sum)
        SELECT bucket, tenant_id, queue, type,
               coalesce(sum(jobs) FILTER (WHERE from_status IS NULL), 0),
               coalesce(sum(jobs) FILTER (WHERE to_status = 'running'), 0),
               coalesce(sum(jobs) FILTER (WHERE to_status = 'completed'), 0),
               coalesce(sum(jobs) FILTER (WHERE from_status = 'running' AND to_status IN ('failed', 'dead')), 0),
               coalesce(sum(jobs) FILTER (WHERE from_status = 'running' AND to_status = 'failed'), 0),
               coalesce(sum(jobs) FILTER (WHERE to_status = 'dead'), 0),
               sum(run_ms), sum(wait_ms)
        FROM rolled
        WHERE to_status IS NOT NULL
        GROUP BY bucket, tenant_id, queue, type
        ON CONFLICT (tenant_id, bucket, queue, type) DO UPDATE
          SET submitted = m.submitted + EXCLUDED.submitted, started = m.started + EXCLUDED.started,
              completed = m.completed + EXCLUDED.completed, failed = m.failed + EXCLUDED.failed,
              retried = m.retried + EXCLUDED.retried, dead = m.dead + EXCLUDED.dead,
              run_ms_sum = m.run_ms_sum + EXCLUDED.run_ms_sum, wait_ms_sum = m.wait_ms_sum + EXCLUDED.wait_ms_sum
      )
      SELECT count(*)::int AS transitions FROM rolled`,
    values: [],
  };
}

/**
 * Rows whose sum per (tenant_id, queue, type, status) is the current number of jobs: the rolled
 * counters, plus the transitions not yet rolled (+ into to_status, − out of from_status), each
 * row matching `filter`. Never the jobs table.
 */
const currentJobCounts = (filter: string) => `
        SELECT tenant_id, queue, type, status, jobs FROM job_counts WHERE ${filter}
        UNION ALL
        SELECT tenant_id, queue, type, to_status, jobs FROM job_transitions WHERE to_status IS NOT NULL AND ${filter}
        UNION ALL
        SELECT tenant_id, queue, type, from_status, -jobs FROM job_transitions WHERE from_status IS NOT NULL AND ${filter}`;

/** Jobs per status for one tenant (or all, with null), from currentJobCounts. */
export function jobCountsByStatus(tenantId: string | null): Statement {
  return {
    name: 'jobCountsByStatus',
    text: `
      SELECT status, sum(jobs)::bigint AS jobs FROM (${currentJobCounts('($1::uuid IS NULL OR tenant_id = $1)')}
      ) counts
      GROUP BY status`,
    values: [tenantId],
  };
}

/**
 * Jobs per (queue, status) for one tenant (or all, with null), from currentJobCounts: the
 * dashboard's queue depths. The most waiting queues first, at most $2 of them.
 */
export function jobCountsByQueue(tenantId: string | null, limit: number): Statement {
  return {
    name: 'jobCountsByQueue',
    text: `
      WITH by_queue AS (
        SELECT queue, status, sum(jobs)::bigint AS jobs FROM (${currentJobCounts('($1::uuid IS NULL OR tenant_id = $1)')}
        ) counts
        GROUP BY queue, status
      ), shown AS (
        SELECT queue FROM by_queue GROUP BY queue
        HAVING sum(jobs) > 0
        ORDER BY sum(jobs) FILTER (WHERE status IN ('scheduled', 'pending', 'failed')) DESC NULLS LAST, queue
        LIMIT $2
      )
      SELECT b.queue, b.status, b.jobs FROM by_queue b JOIN shown USING (queue)`,
    values: [tenantId, limit],
  };
}

/**
 * Jobs per (tenant, queue, type, status) across every tenant, for the Prometheus scrape, from
 * currentJobCounts at job_counts' grain.
 */
export function jobCountsByGroup(): Statement {
  return {
    name: 'jobCountsByGroup',
    text: `
      SELECT tenant_id, queue, type, status, sum(jobs)::bigint AS jobs FROM (${currentJobCounts('true')}
      ) counts
      GROUP BY tenant_id, queue, type, status`,
    values: [],
  };
}

/**
 * The last complete minute of job_metrics per (tenant, queue, type), as the roller wrote it.
 * job_metrics keeps every minute ever rolled and its key leads with tenant_id, so the read goes
 * through the key one tenant at a time (PostgreSQL before 18 cannot skip-scan it, and a filter
 * on bucket alone would read the whole history on every scrape). Every tenant with metrics rows
 * has counters too: the roll writes both in one statement.
 */
export function jobMetricsLastMinute(): Statement {
  return {
    name: 'jobMetricsLastMinute',
    text: `
      SELECT m.tenant_id, m.queue, m.type, m.submitted, m.started, m.completed, m.failed, m.retried, m.dead,
             m.run_ms_sum, m.wait_ms_sum
      FROM (SELECT DISTINCT tenant_id FROM job_counts) t
      CROSS JOIN LATERAL (
        SELECT * FROM job_metrics
        WHERE tenant_id = t.tenant_id AND bucket = date_trunc('minute', now()) - interval '1 minute'
      ) m`,
    values: [],
  };
}

/**
 * Step 1 of re-counting capped tenants' running jobs: lock their rows (in id order, like every
 * multi-tenant lock here). Claims skip a locked tenant meanwhile; outcomes wait for it.
 */
export function tenantSlotsLock(tenantId: string | null): Statement {
  return {
    name: 'tenantSlotsLock',
    text: `
      SELECT id FROM tenants
      WHERE max_concurrency IS NOT NULL AND ($1::uuid IS NULL OR id = $1)
      ORDER BY id
      FOR UPDATE`,
    values: [tenantId],
  };
}

/**
 * Step 2, a separate statement in the same transaction so that its snapshot, taken after the
 * locks, sees every claim that committed before them. running_jobs can drift only when a cap
 * is set while the tenant has jobs in flight; this repairs it (the rescuer runs it).
 */
export function tenantSlotsRecount(tenantId: string | null): Statement {
  return {
    name: 'tenantSlotsRecount',
    text: `
      UPDATE tenants t SET running_jobs = coalesce(r.jobs, 0)
      FROM tenants c
      LEFT JOIN (SELECT tenant_id, count(*)::int AS jobs FROM jobs WHERE status = 'running' GROUP BY tenant_id) r
        ON r.tenant_id = c.id
      WHERE t.id = c.id AND c.max_concurrency IS NOT NULL AND ($1::uuid IS NULL OR c.id = $1)
        AND t.running_jobs IS DISTINCT FROM coalesce(r.jobs, 0)
      RETURNING t.id, t.running_jobs`,
    values: [tenantId],
  };
}

/**
 * Runs finished or failed jobs again: back to `pending` now with a fresh attempt count (the
 * error history stays), out of the DLQ if they were dead. `fromStatuses` says which states may
 * be re-queued; other rows are left alone. tenantId null: any tenant's (admin).
 */
export function jobRequeue(
  tenantId: string | null,
  ids: string[],
  fromStatuses: readonly string[],
): Statement {
  return {
    name: 'jobRequeue',
    text: `
      WITH target AS (
        SELECT id, status FROM jobs
        WHERE id = ANY($2::uuid[]) AND ($1::uuid IS NULL OR tenant_id = $1) AND status = ANY($3::text[])
        ORDER BY id
        FOR UPDATE
      ),
      requeued AS (
        UPDATE jobs j
        SET status = 'pending', attempts = 0, run_at = now(), progress = 0, result = NULL, finished_at = NULL,
            lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
        FROM target
        WHERE j.id = target.id
        RETURNING ${EVENT_COLUMNS.split(', ')
          .map((c) => `j.${c}`)
          .join(', ')}, target.status AS from_status, pg_notify('${JOB_READY_CHANNEL}', j.tenant_id::text)
      ),
      undead AS (
        DELETE FROM dead_letter_jobs d USING requeued r WHERE d.job_id = r.id
      ),
      ${jobTransitions('requeued', 'from_status')},
      ${jobEvents('requeued', 'requeued')}
      SELECT id, from_status, ${EVENTS_SENT} FROM requeued`,
    values: [tenantId, ids, fromStatuses],
  };
}

/** Deletes dead jobs for good: their DLQ entry, the job row and its files. Returns the ids removed. */
export function jobDiscardDead(tenantId: string | null, ids: string[]): Statement {
  return {
    name: 'jobDiscardDead',
    text: `
      WITH gone AS (
        DELETE FROM dead_letter_jobs
        WHERE job_id = ANY($2::uuid[]) AND ($1::uuid IS NULL OR tenant_id = $1)
        RETURNING job_id
      ),
      removed AS (
        DELETE FROM jobs j USING gone g
        WHERE j.id = g.job_id AND j.status = 'dead'
        RETURNING j.id, j.tenant_id, j.queue, j.type, 'dead'::text AS from_status, NULL::text AS status
      ),
      files AS (
        DELETE FROM job_files WHERE job_id IN (SELECT job_id FROM gone)
      ),
      ${jobTransitions('removed', 'from_status')}
      SELECT job_id AS id FROM gone`,
    values: [tenantId, ids],
  };
}

export interface NewJobFile {
  id: string;
  tenantId: string;
  filename: string;
  contentType: string | null;
  content: Buffer;
}

/** The first key of jobFileQuotaLock's two-key advisory locks (the second is the tenant's hash). */
const FILE_QUOTA_LOCK_CLASS = 0x636f6e81;

/**
 * Serialises a tenant's uploads for the rest of the transaction: each quota check must see the
 * files of the uploads committed before it, or a burst of concurrent uploads (each checking
 * against the same committed total) stores past the quota. Other tenants are not held up.
 */
export function jobFileQuotaLock(tenantId: string): Statement {
  return {
    name: 'jobFileQuotaLock',
    text: `SELECT pg_advisory_xact_lock(${FILE_QUOTA_LOCK_CLASS}, hashtext($1::text))`,
    values: [tenantId],
  };
}

/**
 * Stores an upload already attached to its job, in the job insert's transaction (so a job never
 * exists without its file, nor a file without its job), and only while the tenant's stored
 * bytes stay within `quotaBytes`: no row comes back when the upload would exceed it. Run after
 * jobFileQuotaLock in the same transaction.
 */
export function jobFileInsert(file: NewJobFile, jobId: string, quotaBytes: number): Statement {
  return {
    name: 'jobFileInsert',
    text: `
      INSERT INTO job_files (id, tenant_id, job_id, filename, content_type, size, content)
      SELECT $1, $2, $3, $4, $5, length($6::bytea), $6::bytea
      WHERE (SELECT coalesce(sum(size), 0) FROM job_files WHERE tenant_id = $2) + length($6::bytea) <= $7
      RETURNING id`,
    values: [file.id, file.tenantId, jobId, file.filename, file.contentType, file.content, quotaBytes],
  };
}

/** A job file's name and size, only within its tenant (see jobFileSlice). */
export function jobFileHead(fileId: string, tenantId: string): Statement {
  return {
    name: 'jobFileHead',
    text: `SELECT filename, size FROM job_files WHERE id = $1 AND tenant_id = $2`,
    values: [fileId, tenantId],
  };
}

/**
 * `length` bytes of a job file from byte `offset` (0-based), only within its tenant. The worker
 * reads a file in slices: pg hands bytea over as hex text decoded on the event loop, and a
 * 10 MiB file read whole held the worker's loop for 0.2-0.3 s, 1 s under load (docs/job-limits.md).
 */
export function jobFileSlice(fileId: string, tenantId: string, offset: number, length: number): Statement {
  return {
    name: 'jobFileSlice',
    text: `SELECT substring(content FROM $3 FOR $4) AS bytes FROM job_files WHERE id = $1 AND tenant_id = $2`,
    values: [fileId, tenantId, offset + 1, length],
  };
}

/**
 * The queue names a tenant uses: counter rows with jobs, and transitions not yet rolled (a queue
 * used for the first time moments ago). Submissions read it to cap how many queues one tenant
 * invents, since every name costs rows in job_counts and job_metrics.
 */
export function tenantQueueNames(tenantId: string): Statement {
  return {
    name: 'tenantQueueNames',
    text: `
      SELECT queue FROM job_counts WHERE tenant_id = $1 AND jobs > 0
      UNION
      SELECT queue FROM job_transitions WHERE tenant_id = $1`,
    values: [tenantId],
  };
}

/**
 * Prunes the rollups: counter rows at zero (a queue or type no longer holding jobs) and
 * per-minute metrics older than the retention, at most $2 of the latter per call, oldest first.
 * The roller re-creates a counter row the moment a job needs it again.
 */
export function jobRollupsPrune(retentionDays: number, limit: number): Statement {
  return {
    name: 'jobRollupsPrune',
    text: `
      WITH zero_counts AS (
        DELETE FROM job_counts WHERE jobs = 0
      ),
      old_metrics AS (
        DELETE FROM job_metrics
        WHERE ctid IN (
          SELECT ctid FROM job_metrics
          WHERE bucket < now() - $1::float8 * interval '1 day'
          ORDER BY bucket
          LIMIT $2
        )
        RETURNING 1
      )
      SELECT count(*)::int AS deleted FROM old_metrics`,
    values: [retentionDays, limit],
  };
}
