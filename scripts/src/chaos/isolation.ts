import { io } from 'socket.io-client';
import { EVENTS_NAMESPACE, type JobEvent, type SubscribeAck } from '../../../contracts/src/event-map';
import {
  type ChaosContext,
  type Findings,
  http,
  jsonInit,
  runScenario,
  sleep,
  sql,
  stage,
  startWorkers,
  waitUntil,
} from './harness';

export interface IsolationOptions {
  /** How long the intruder's socket listens for the victim's events. */
  listenMs: number;
}

export const ISOLATION_FULL: IsolationOptions = { listenMs: 5_000 };

interface Probe {
  what: string;
  status: number;
  body: unknown;
}

/**
 * Isolation: one tenant (the intruder) aims every route and every socket subscription at another
 * tenant's (the victim's) jobs, DLQ entries and tenant id. Every job route must answer 404 (never
 * 403, which would confirm the id), lists and summaries must hold none of the victim's data, admin
 * routes must refuse, and the intruder's socket must get no frame about the victim's jobs while
 * they change, though it gets its own. Afterwards the victim's jobs are as they were.
 */
export function isolation(context: ChaosContext, options: IsolationOptions): Promise<Findings> {
  return runScenario('isolation between tenants', async (findings, cleanup) => {
    const { database, tenants, api } = await stage(context, cleanup, { victim: {}, intruder: {} });
    const { victim, intruder } = tenants;
    startWorkers(database.url, cleanup, 1, {
      BACKOFF_BASE_MS: '50',
      BACKOFF_MAX_MS: '100',
      POLL_INTERVAL_MS: '100',
    });

    const submit = async (bearer: string, body: object): Promise<string> => {
      const result = await http(`${api.base}/api/v1/jobs`, jsonInit(bearer, body));
      if (result.status !== 201)
        throw new Error(`submission answered ${result.status}: ${JSON.stringify(result.body)}`);
      return (result.body as { id: string }).id;
    };
    const waiting = await submit(victim.bearer, {
      type: 'email',
      payload: { to: 'v@example.com' },
      delay_ms: 3_600_000,
    });
    const dead = await submit(victim.bearer, { type: 'fail', payload: {}, max_attempts: 1 });
    await waitUntil(
      "the victim's fail job is in the DLQ",
      async () =>
        (await sql(database.url, 'SELECT 1 FROM dead_letter_jobs WHERE job_id = $1', [dead])).length === 1,
      30_000,
    );
    const before = await sql(
      database.url,
      'SELECT id, status, attempts, updated_at FROM jobs WHERE tenant_id = $1 ORDER BY id',
      [victim.id],
    );

    const as = intruder.bearer;
    const get = (path: string) => http(`${api.base}${path}`, { headers: { authorization: as } });
    const post = (path: string, body?: unknown) => http(`${api.base}${path}`, jsonInit(as, body ?? {}));
    const probes: Probe[] = [];
    const probe = async (what: string, call: Promise<{ status: number; body: unknown }>) => {
      const { status, body } = await call;
      probes.push({ what, status, body });
      return { status, body };
    };

    // Job routes by the victim's ids: a 404, as if the job did not exist.
    for (const [what, call] of [
      ['GET job', () => get(`/api/v1/jobs/${waiting}`)],
      ['cancel job', () => post(`/api/v1/jobs/${waiting}/cancel`)],
      ['retry dead job', () => post(`/api/v1/jobs/${dead}/retry`)],
      ['DLQ retry by id', () => post('/api/v1/jobs/dlq/retry', { ids: [dead] })],
      ['DLQ discard by id', () => post('/api/v1/jobs/dlq/discard', { ids: [dead] })],
    ] as const) {
      const { status } = await probe(what, call());
      findings.expect(status === 404, `${what} of another tenant's job answered ${status}, not 404`);
    }
    // Lists, counts and summaries, even when asked for the victim's tenant id: none of its data.
    const victimIds = new Set([waiting, dead]);
    for (const [what, path] of [
      ['list jobs', '/api/v1/jobs?limit=500'],
      ['list jobs with tenant_id', `/api/v1/jobs?limit=500&tenant_id=${victim.id}`],
      ['list DLQ with tenant_id', `/api/v1/jobs/dlq?limit=500&tenant_id=${victim.id}`],
    ] as const) {
      const { status, body } = await probe(what, get(path));
      const rows = (body as { jobs?: Array<{ id?: string; job_id?: string }> })?.jobs ?? [];
      const leaked = rows.filter((row) => victimIds.has(row.id ?? row.job_id ?? ''));
      findings.expect(status === 200 || status === 400, `${what} answered ${status}`);
      findings.expect(leaked.length === 0, `${what} showed ${leaked.length} of another tenant's jobs`);
    }
    for (const [what, path] of [
      ['DLQ count with tenant_id', `/api/v1/jobs/dlq/count?tenant_id=${victim.id}`],
      ['summary with tenant_id', `/api/v1/jobs/metrics/summary?tenant_id=${victim.id}`],
      ['queues with tenant_id', `/api/v1/jobs/metrics/queues?tenant_id=${victim.id}`],
    ] as const) {
      const { status, body } = await probe(what, get(path));
      const text = JSON.stringify(body);
      const counts = body as { count?: number; dlq_jobs?: number; pending_jobs?: number; queues?: unknown[] };
      const sawVictim =
        (counts.count ?? 0) > 0 ||
        (counts.dlq_jobs ?? 0) > 0 ||
        (counts.pending_jobs ?? 0) > 0 ||
        (counts.queues ?? []).length > 0;
      findings.expect(status === 200 || status === 400, `${what} answered ${status}`);
      findings.expect(!sawVictim, `${what} counted another tenant's jobs: ${text.slice(0, 200)}`);
    }
    // Admin routes: refused for a tenant key.
    for (const [what, call] of [
      ['list tenants', () => get('/api/v1/tenants')],
      ["read the victim's tenant", () => get(`/api/v1/tenants/${victim.id}`)],
      ["list the victim's keys", () => get(`/api/v1/tenants/${victim.id}/keys`)],
      ['create a key for the victim', () => post(`/api/v1/tenants/${victim.id}/keys`, {})],
      ["revoke the victim's key", () => post(`/api/v1/keys/${victim.keyId}/revoke`)],
    ] as const) {
      const { status } = await probe(what, call());
      findings.expect(status === 403 || status === 404, `${what} with a tenant key answered ${status}`);
    }

    // Nothing the intruder sent changed the victim's jobs.
    const afterProbes = await sql(
      database.url,
      'SELECT id, status, attempts, updated_at FROM jobs WHERE tenant_id = $1 ORDER BY id',
      [victim.id],
    );
    findings.expect(
      JSON.stringify(afterProbes) === JSON.stringify(before),
      "another tenant's requests changed the victim's jobs",
    );

    // The socket: no subscription to the victim's job or tenant, and no frame of its jobs.
    const socket = io(`${api.base}${EVENTS_NAMESPACE}`, {
      auth: { token: intruder.key, tenant_id: victim.id },
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
    });
    cleanup.push(() => socket.disconnect());
    const frames: JobEvent[] = [];
    socket.on('events', (batch) => frames.push(...batch));
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', () => resolve());
      socket.once('connect_error', reject);
    });
    const ask = (request: object) =>
      new Promise<SubscribeAck>((resolve) => socket.emit('subscribe', request, resolve));
    const byJob = await ask({ job_id: waiting });
    const byTenant = await ask({ tenant_id: victim.id });
    findings.expect(!byJob.ok, "subscribing to another tenant's job was accepted");
    findings.expect(!byTenant.ok, "a tenant key subscribing to another tenant's room was accepted");
    // The victim's jobs change (a cancel, a redrive that fails again); the intruder's own job too.
    await http(`${api.base}/api/v1/jobs/${waiting}/cancel`, jsonInit(victim.bearer, {}));
    await http(`${api.base}/api/v1/jobs/dlq/retry`, jsonInit(victim.bearer, { ids: [dead] }));
    const own = await submit(intruder.bearer, { type: 'email', payload: { to: 'i@example.com' } });
    await sleep(options.listenMs);
    const leakedFrames = frames.filter(
      (event) => event.tenant_id === victim.id || victimIds.has(event.job_id),
    );
    findings.set(
      "intruder's socket: events of its own job",
      frames.filter((event) => event.job_id === own).length,
    );
    findings.set("intruder's socket: events of the victim's jobs", leakedFrames.length);
    findings.expect(
      frames.some((event) => event.job_id === own),
      "the intruder's socket got no event of its own job: the check saw nothing",
    );
    findings.expect(
      leakedFrames.length === 0,
      `${leakedFrames.length} events of another tenant's jobs reached the socket`,
    );

    findings.set('probes', probes.length);
    findings.set('probe answers', [...new Set(probes.map((p) => p.status))].sort().join(', '));
    findings.set('leaked (frames of the victim’s jobs)', leakedFrames.length);
  });
}
