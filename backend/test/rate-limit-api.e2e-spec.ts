import request from 'supertest';
import { createCaller, startApi, type TestCaller } from './support/api';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

const RATE = 5;
const BURST = 10;

describe('per-tenant rate limits over HTTP, shared by two API instances', () => {
  let db: TestDatabase;
  let apps: ApiApplication[];
  let tenant: TestCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    const limits = { RATE_LIMIT_PER_SECOND: String(RATE), RATE_LIMIT_BURST: String(BURST) };
    apps = await Promise.all([startApi(db.url, limits), startApi(db.url, limits)]);
    tenant = await createCaller(db.url, 'acme');
  });
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await db.drop();
  });

  const get = (i: number, caller: TestCaller) =>
    request(apps[i % 2].getHttpServer())
      .get('/api/v1/job-types')
      .set('Authorization', caller.bearer);

  /** Six clients alternating between the two instances for `ms`. */
  const hammer = async (caller: TestCaller, ms: number) => {
    const started = Date.now();
    const statuses: number[] = [];
    let refusal: request.Response | undefined;
    let i = 0;
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        while (Date.now() - started < ms) {
          const response = await get(i++, caller);
          statuses.push(response.status);
          if (response.status === 429) refusal ??= response;
          else expect(response.headers['x-ratelimit-limit']).toBeDefined();
        }
      }),
    );
    expect(statuses.every((s) => s === 200 || s === 429)).toBe(true);
    return {
      sent: statuses.length,
      accepted: statuses.filter((s) => s === 200).length,
      seconds: (Date.now() - started) / 1000,
      refusal,
    };
  };

  it('accepts at most rate × seconds + burst across both instances, refusing the rest with 429', async () => {
    const { accepted, seconds, refusal } = await hammer(tenant, 2_500);
    expect(accepted).toBeLessThanOrEqual(RATE * seconds + BURST);
    expect(accepted).toBeGreaterThanOrEqual(BURST / 2);
    expect(refusal!.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('rate limit'),
    });
    expect(Number(refusal!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(refusal!.headers['x-ratelimit-remaining']).toBe('0');
  });

  it('keeps the bound when replicas take tokens in chunks (a busy tenant with higher limits)', async () => {
    // 200/s, burst 400: windows of 200 tokens, taken 10 at a time by each replica.
    const busy = await createCaller(db.url, 'busy');
    await query(
      db.url,
      'UPDATE tenants SET rate_limit_per_second = 200, rate_limit_burst = 400 WHERE id = $1',
      [busy.tenantId],
    );
    const { sent, accepted, seconds } = await hammer(busy, 2_000);
    expect(accepted).toBeLessThanOrEqual(200 * seconds + 400);
    // Chunks left unused at a window's end err low, by less than a chunk per replica and window;
    // a loaded machine may also send fewer requests than the windows hold.
    expect(accepted).toBeGreaterThanOrEqual(Math.min(sent, 200 * Math.floor(seconds)) * 0.8);
  });

  it("limits tenants separately, and applies a tenant's own limits at once", async () => {
    const other = await createCaller(db.url, 'globex');
    const first = await get(0, other);
    expect(first.status).toBe(200);
    expect(Number(first.headers['x-ratelimit-limit'])).toBe(BURST / 2);

    const admin = await createCaller(db.url, 'operators', 'admin');
    await request(apps[0].getHttpServer())
      .patch(`/api/v1/tenants/${other.tenantId}`)
      .set('Authorization', admin.bearer)
      .send({ rate_limit_per_second: 1000, rate_limit_burst: 2000 })
      .expect(200);
    // The other instance cached globex's limits: the tenant change reaches it by NOTIFY.
    let limit = 0;
    for (let attempt = 0; attempt < 50 && limit !== 1000; attempt++) {
      limit = Number((await get(1, other)).headers['x-ratelimit-limit']);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(limit).toBe(1000);
  });

  it('leaves public routes unlimited and without rate-limit headers', async () => {
    for (let i = 0; i < 30; i++) {
      const response = await request(apps[0].getHttpServer()).get('/health').expect(200);
      expect(response.headers['x-ratelimit-limit']).toBeUndefined();
    }
  });
});
