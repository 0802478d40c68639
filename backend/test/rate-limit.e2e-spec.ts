import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Controller, Get, Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type Counter, register } from 'prom-client';
import request from 'supertest';
import { type AuthContext, type AuthenticatedRequest } from '../src/auth/auth-context';
import { initApiApp } from '../src/app/api-app';
import { ApiExceptionFilter } from '../src/common/api-exception.filter';
import { AppConfigModule } from '../src/config/config.module';
import { loadConfig } from '../src/config/load-config';
import { freePort } from '../src/database/embedded/embedded-database';
import { RateLimitGuard } from '../src/rate-limit/rate-limit.guard';
import { RATE_LIMIT_REFUSALS_METRIC } from '../src/rate-limit/rate-limit.metrics';
import { RateLimitModule } from '../src/rate-limit/rate-limit.module';
import { RateLimitPool } from '../src/rate-limit/rate-limit.pool';
import { type RateLimitDecision, TenantRateLimiter } from '../src/rate-limit/tenant-rate-limiter';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

/** A caller of a new tenant (or of `tenantId`), with the tenant's own limits when given. */
function callerOf(
  rateLimit: Partial<AuthContext['rateLimit']> = {},
  tenantId: string = randomUUID(),
): AuthContext {
  return {
    keyId: randomUUID(),
    tenantId,
    role: 'tenant',
    rateLimit: { perSecond: null, burst: null, ...rateLimit },
  };
}

function configOf(databaseUrl: string, perSecond: number, burst: number) {
  return loadConfig({
    DATABASE_URL: databaseUrl,
    RATE_LIMIT_PER_SECOND: String(perSecond),
    RATE_LIMIT_BURST: String(burst),
    LOG_LEVEL: 'silent',
  });
}

async function consumeTimes(
  limiter: TenantRateLimiter,
  caller: AuthContext,
  times: number,
): Promise<RateLimitDecision[]> {
  const decisions: RateLimitDecision[] = [];
  for (let i = 0; i < times; i++) decisions.push(await limiter.consume(caller));
  return decisions;
}

describe('TenantRateLimiter on PostgreSQL', () => {
  let db: TestDatabase;
  const pools: RateLimitPool[] = [];

  /** One API replica's limiter: its own pool, as each replica process has. */
  function replica(databaseUrl: string, perSecond: number, burst: number): TenantRateLimiter {
    const config = configOf(databaseUrl, perSecond, burst);
    const pool = new RateLimitPool(config);
    pools.push(pool);
    return new TenantRateLimiter(config, pool);
  }

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.onApplicationShutdown()));
  });
  afterAll(() => db.drop());

  it('shares one bucket between replicas: two limiters on separate pools admit at most rate × T + burst', async () => {
    const replicas = [replica(db.url, 5, 10), replica(db.url, 5, 10)];
    const caller = callerOf();
    let accepted = 0;
    const started = Date.now();
    const deadline = started + 2_500;
    // Four concurrent clients per replica, each sending a request every few milliseconds.
    const client = async (limiter: TenantRateLimiter): Promise<void> => {
      while (Date.now() < deadline) {
        if ((await limiter.consume(caller)).allowed) accepted++;
        await sleep(3);
      }
    };
    await Promise.all(replicas.flatMap((limiter) => Array.from({ length: 4 }, () => client(limiter))));
    const seconds = (Date.now() - started) / 1000;

    expect(accepted).toBeLessThanOrEqual(5 * seconds + 10);
    expect(accepted).toBeGreaterThanOrEqual(10);
    const rows = await query<{ key: string }>(
      db.url,
      `SELECT key FROM rate_limit_buckets WHERE key LIKE $1`,
      [`%${caller.tenantId}`],
    );
    expect(rows).toEqual([{ key: `tenant:${caller.tenantId}` }]);
  });

  it("applies a tenant's own rate and burst over the configured defaults", async () => {
    // Defaults 2/s, burst 20: 10 per 5 s window. The tenant's 1/s, burst 8: 4 per 4 s.
    const limiter = replica(db.url, 2, 20);
    const own = await consumeTimes(limiter, callerOf({ perSecond: 1, burst: 8 }), 5);
    expect(own.map((decision) => decision.allowed)).toEqual([true, true, true, true, false]);
    expect(own[0]).toMatchObject({ limit: 4, remaining: 3, perSecond: 1, burst: 8 });

    expect(await limiter.consume(callerOf())).toMatchObject({
      allowed: true,
      limit: 10,
      remaining: 9,
      perSecond: 2,
      burst: 20,
    });
    // Only the burst overridden: the rate still comes from the configuration.
    expect(await limiter.consume(callerOf({ burst: 4 }))).toMatchObject({ limit: 2, perSecond: 2, burst: 4 });
  });

  it("keeps tenants independent: one tenant's empty bucket leaves another's full", async () => {
    const limiter = replica(db.url, 2, 20);
    const noisy = await consumeTimes(limiter, callerOf(), 11);
    expect(noisy.filter((decision) => decision.allowed)).toHaveLength(10);
    expect(noisy[10]).toMatchObject({ allowed: false, remaining: 0 });
    expect(noisy[10].retryAfterSeconds).toBeGreaterThanOrEqual(1);
    expect(noisy[10].retryAfterSeconds).toBeLessThanOrEqual(5);

    expect(await limiter.consume(callerOf())).toMatchObject({ allowed: true, limit: 10, remaining: 9 });
  });

  it('still limits, from the in-memory insurance limiter, when the database is unreachable', async () => {
    const warn = jest.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined);
    try {
      const limiter = replica(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`, 2, 20);
      const decisions = await consumeTimes(limiter, callerOf(), 11);
      expect(decisions.filter((decision) => decision.allowed)).toHaveLength(10);
      expect(decisions[10]).toMatchObject({ allowed: false, limit: 10, remaining: 0 });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
  });

  describe('RateLimitGuard over HTTP', () => {
    @Controller('probe')
    class ProbeController {
      @Get()
      probe(): { ok: true } {
        return { ok: true };
      }
    }

    let app: NestFastifyApplication;

    beforeAll(async () => {
      const moduleRef = await Test.createTestingModule({
        imports: [AppConfigModule.forRoot(configOf(db.url, 2, 20)), RateLimitModule],
        controllers: [ProbeController],
      }).compile();
      app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter(), { logger: false });
      // Stands in for the API-key guard: the caller's tenant comes from a test header, and a
      // request without it is a public route's (no request.auth).
      app
        .getHttpAdapter()
        .getInstance()
        .addHook('onRequest', (request: AuthenticatedRequest, _reply, done) => {
          const tenantId = request.headers['x-test-tenant'];
          if (typeof tenantId === 'string') request.auth = callerOf({}, tenantId);
          done();
        });
      app.useGlobalFilters(new ApiExceptionFilter());
      app.useGlobalGuards(app.get(RateLimitGuard));
      await initApiApp(app);
    });
    afterAll(() => app.close());

    function refusalsOf(tenantId: string): Promise<number> {
      const counter = register.getSingleMetric(RATE_LIMIT_REFUSALS_METRIC) as Counter<'tenant_id'>;
      return counter
        .get()
        .then(({ values }) => values.find((value) => value.labels.tenant_id === tenantId)?.value ?? 0);
    }

    it('sets X-RateLimit-Limit, -Remaining and -Reset (seconds until the window is full) on an allowed response', async () => {
      const response = await request(app.getHttpServer()).get('/probe').set('x-test-tenant', randomUUID());
      expect(response.status).toBe(200);
      expect(response.headers['x-ratelimit-limit']).toBe('10');
      expect(response.headers['x-ratelimit-remaining']).toBe('9');
      expect(Number(response.headers['x-ratelimit-reset'])).toBeGreaterThanOrEqual(1);
      expect(Number(response.headers['x-ratelimit-reset'])).toBeLessThanOrEqual(5);
      expect(response.headers['retry-after']).toBeUndefined();
    });

    it('answers 429 with Retry-After, the one error shape and a refusal counted for the tenant once the bucket is empty', async () => {
      const tenantId = randomUUID();
      for (let i = 0; i < 10; i++) {
        await request(app.getHttpServer()).get('/probe').set('x-test-tenant', tenantId).expect(200);
      }
      const refused = await request(app.getHttpServer()).get('/probe').set('x-test-tenant', tenantId);

      expect(refused.status).toBe(429);
      expect(refused.body).toEqual({
        statusCode: 429,
        error: 'Too Many Requests',
        message: 'rate limit exceeded: 2 requests per second, burst 20',
      });
      expect(refused.headers['retry-after']).toMatch(/^[1-5]$/);
      expect(refused.headers['x-ratelimit-limit']).toBe('10');
      expect(refused.headers['x-ratelimit-remaining']).toBe('0');
      expect(await refusalsOf(tenantId)).toBe(1);
    });

    it('leaves a public route (no request.auth) unlimited and without rate-limit headers', async () => {
      for (let i = 0; i < 12; i++) {
        const response = await request(app.getHttpServer()).get('/probe').expect(200);
        expect(response.headers['x-ratelimit-limit']).toBeUndefined();
      }
    });
  });
});
