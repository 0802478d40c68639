import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import request from 'supertest';
import { createApiApp, initApiApp } from '../src/app/api-app';
import { loadConfig } from '../src/config/load-config';
import { freePort } from '../src/database/embedded/embedded-database';

describe('the API process serving the built dashboard', () => {
  let app: Awaited<ReturnType<typeof createApiApp>>['app'];
  let servesDashboard: boolean;

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-dash-'));
    writeFileSync(path.join(dir, 'index.html'), '<div id="root">dashboard</div>');
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'assets', 'app.js'), 'console.log(1)');
    const closedPort = await freePort(); // no database needed to serve files
    ({ app, servesDashboard } = await createApiApp(
      loadConfig({
        DATABASE_URL: `postgres://x@127.0.0.1:${closedPort}/x`,
        LOG_LEVEL: 'silent',
        DASHBOARD_DIR: dir,
      }),
    ));
    await initApiApp(app);
  });
  afterAll(() => app.close());

  it('serves index.html at / and for client-side routes', async () => {
    expect(servesDashboard).toBe(true);
    for (const url of ['/', '/jobs/123', '/dlq']) {
      const response = await request(app.getHttpServer()).get(url).expect(200);
      expect(response.text).toContain('dashboard');
    }
  });

  it('serves assets', async () => {
    await request(app.getHttpServer()).get('/assets/app.js').expect(200, 'console.log(1)');
  });

  it('leaves API paths to the API: an unknown one is a JSON error, not the page', async () => {
    // Without a key every /api/ path is a 401, refused before routing, whether it exists or not.
    const response = await request(app.getHttpServer()).get('/api/v1/nothing').expect(401);
    expect(response.body).toMatchObject({ statusCode: 401 });
  });
});
