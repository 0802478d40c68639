import request from 'supertest';
import { createApiApp, initApiApp } from '../src/app/api-app';
import { loadConfig } from '../src/config/load-config';
import { DatabaseConnector } from '../src/database/database-connector';
import { freePort } from '../src/database/embedded/embedded-database';
import { createTestDatabase, type TestDatabase } from './support/test-database';

async function apiFor(databaseUrl: string, overrides: Record<string, string> = {}) {
  const { app } = await createApiApp(
    loadConfig({ DATABASE_URL: databaseUrl, LOG_LEVEL: 'silent', DASHBOARD_DIR: '', ...overrides }),
  );
  await initApiApp(app);
  return app;
}

describe('health endpoints', () => {
  describe('with a reachable database', () => {
    let db: TestDatabase;
    let app: Awaited<ReturnType<typeof apiFor>>;

    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
      app = await apiFor(db.url);
      await app.get(DatabaseConnector).connected();
    });
    afterAll(async () => {
      await app.close();
      await db.drop();
    });

    it('answers /health with 200', async () => {
      await request(app.getHttpServer()).get('/health').expect(200, { status: 'ok' });
    });

    it('answers /ready with 200 once the database answers', async () => {
      await request(app.getHttpServer()).get('/ready').expect(200, { status: 'ready' });
    });

    it('echoes a caller-supplied X-Request-Id and makes one otherwise', async () => {
      const given = await request(app.getHttpServer()).get('/health').set('X-Request-Id', 'req-123');
      expect(given.headers['x-request-id']).toBe('req-123');
      const made = await request(app.getHttpServer()).get('/health');
      expect(made.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('serves the OpenAPI document and its UI', async () => {
      const response = await request(app.getHttpServer()).get('/docs-json').expect(200);
      expect(Object.keys(response.body.paths)).toEqual(expect.arrayContaining(['/health', '/ready']));
      const ui = await request(app.getHttpServer()).get('/docs').expect(200);
      expect(ui.headers['content-type']).toMatch(/^text\/html/);
      expect(ui.text).toContain('swagger-ui');
    });

    it('sends no CORS headers when CORS_ORIGINS is empty', async () => {
      const response = await request(app.getHttpServer())
        .options('/api/v1/jobs')
        .set('Origin', 'https://elsewhere.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('with CORS_ORIGINS set', () => {
    let db: TestDatabase;
    let app: Awaited<ReturnType<typeof apiFor>>;

    beforeAll(async () => {
      db = await createTestDatabase({ migrate: false });
      app = await apiFor(db.url, { CORS_ORIGINS: 'https://dashboard.example, https://ops.example' });
    });
    afterAll(async () => {
      await app.close();
      await db.drop();
    });

    it('answers a listed origin’s preflight, exposing the trace and rate-limit headers', async () => {
      const preflight = await request(app.getHttpServer())
        .options('/api/v1/jobs')
        .set('Origin', 'https://ops.example')
        .set('Access-Control-Request-Method', 'POST')
        .set('Access-Control-Request-Headers', 'authorization,content-type')
        .expect(204);
      expect(preflight.headers['access-control-allow-origin']).toBe('https://ops.example');
      expect(preflight.headers['access-control-allow-headers']).toMatch(/authorization/i);
      // A dashboard on another origin PATCHes tenants: the preflight must allow every method the API has.
      const patch = await request(app.getHttpServer())
        .options('/api/v1/tenants/6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b')
        .set('Origin', 'https://ops.example')
        .set('Access-Control-Request-Method', 'PATCH')
        .expect(204);
      expect(patch.headers['access-control-allow-methods']).toMatch(/PATCH.*DELETE|DELETE.*PATCH/);
      const simple = await request(app.getHttpServer())
        .get('/health')
        .set('Origin', 'https://dashboard.example');
      expect(simple.headers['access-control-allow-origin']).toBe('https://dashboard.example');
      expect(simple.headers['access-control-expose-headers']).toMatch(/X-Request-Id.*X-RateLimit-Remaining/);
    });

    it('does not allow an origin it was not given', async () => {
      const response = await request(app.getHttpServer())
        .options('/api/v1/jobs')
        .set('Origin', 'https://evil.example')
        .set('Access-Control-Request-Method', 'POST');
      expect(response.headers['access-control-allow-origin']).toBeUndefined();
    });
  });

  describe('with the database on a closed port', () => {
    let app: Awaited<ReturnType<typeof apiFor>>;

    beforeAll(async () => {
      const closedPort = await freePort();
      app = await apiFor(`postgres://postgres@127.0.0.1:${closedPort}/none`);
    });
    afterAll(() => app.close());

    it('still answers /health with 200', async () => {
      await request(app.getHttpServer()).get('/health').expect(200);
    });

    it('answers /ready with 503 and a generic reason, never the database error', async () => {
      const response = await request(app.getHttpServer()).get('/ready').expect(503);
      // The API's one error shape, with the readiness fields kept for probes and humans; the
      // driver's message (addresses, ports, user names) goes to the log only.
      expect(response.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'database unavailable',
        status: 'unavailable',
        reason: 'database unavailable',
      });
      expect(response.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|connect/);
    });
  });
});
