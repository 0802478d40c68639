import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import request from 'supertest';
import { AUTH_CHANGED_CHANNEL } from '../src/auth/auth.repository';
import { createCaller, startApi, type TestCaller } from './support/api';
import { waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

const BOGUS_KEY = 'Bearer cvr_this-key-does-not-exist-0000000000000000000000';

describe('authentication and input hardening', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  /** A second replica on the same database: failed authentications limited to 3 a minute, and a dashboard. */
  let strict: ApiApplication;
  let dashboardDir: string;
  let admin: TestCaller;
  let tenant: TestCaller;

  const http = () => request(api.getHttpServer());
  /** Each test's requests come from its own address (the API trusts X-Forwarded-For from loopback). */
  const from = (app: ApiApplication, address: string) => ({
    get: (url: string) => request(app.getHttpServer()).get(url).set('X-Forwarded-For', address),
    post: (url: string) => request(app.getHttpServer()).post(url).set('X-Forwarded-For', address),
  });

  /** Runs `work` while another session holds an ACCESS EXCLUSIVE lock on api_keys. */
  const whileKeysLocked = async (work: () => Promise<void>): Promise<void> => {
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE api_keys IN ACCESS EXCLUSIVE MODE');
      await work();
    } finally {
      await locker.query('ROLLBACK');
      await locker.end();
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    dashboardDir = mkdtempSync(path.join(tmpdir(), 'conveyor-dashboard-'));
    writeFileSync(path.join(dashboardDir, 'index.html'), '<!doctype html><title>dashboard</title>');
    mkdirSync(path.join(dashboardDir, 'assets'));
    writeFileSync(path.join(dashboardDir, 'assets', 'app.js'), 'console.log(1)');
    [api, strict] = await Promise.all([
      startApi(db.url),
      startApi(db.url, { AUTH_FAILURE_LIMIT: '3', DASHBOARD_DIR: dashboardDir }),
    ]);
    admin = await createCaller(db.url, 'operators', 'admin');
    tenant = await createCaller(db.url, 'acme');
    // Counts every statement that writes api_keys, and every row it changes.
    await query(
      db.url,
      `CREATE TABLE api_key_writes (kind text NOT NULL);
       CREATE FUNCTION api_key_write_statement() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN INSERT INTO api_key_writes VALUES ('statement'); RETURN NULL; END $$;
       CREATE FUNCTION api_key_write_row() RETURNS trigger LANGUAGE plpgsql AS
         $$ BEGIN INSERT INTO api_key_writes VALUES ('row'); RETURN NULL; END $$;
       CREATE TRIGGER api_key_write_statement AFTER UPDATE ON api_keys
         FOR EACH STATEMENT EXECUTE FUNCTION api_key_write_statement();
       CREATE TRIGGER api_key_write_row AFTER UPDATE ON api_keys
         FOR EACH ROW EXECUTE FUNCTION api_key_write_row();`,
    );
  });
  afterAll(async () => {
    await Promise.all([api.close(), strict.close()]);
    await db.drop();
    rmSync(dashboardDir, { recursive: true, force: true });
  });

  const keyWrites = async () => {
    const rows = await query<{ kind: string; n: number }>(
      db.url,
      'SELECT kind, count(*)::int AS n FROM api_key_writes GROUP BY kind',
    );
    return Object.fromEntries(rows.map((row) => [row.kind, row.n]));
  };

  it('refuses a missing or malformed Authorization header before reading the body', async () => {
    const oversized = JSON.stringify({ payload: { blob: 'x'.repeat(2 * 1024 * 1024) } });
    const missing = await from(api, '198.51.100.1')
      .post('/api/v1/jobs')
      .set('Content-Type', 'application/json')
      .send(oversized)
      .expect(401);
    expect(missing.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: expect.stringMatching(/Missing API key/),
    });
    const malformed = await from(api, '198.51.100.1')
      .post('/api/v1/jobs')
      .set('Authorization', 'Basic dXNlcjpwYXNz')
      .set('Content-Type', 'application/json')
      .send('{"payload": {')
      .expect(401);
    expect(malformed.body.message).toMatch(/Malformed Authorization header/);
    // A key that may be valid still gets its body read and checked as before.
    await from(api, '198.51.100.1')
      .post('/api/v1/jobs')
      .set('Authorization', tenant.bearer)
      .set('Content-Type', 'application/json')
      .send(oversized)
      .expect(413);
  });

  it('keeps the open routes open without a key', async () => {
    const open = from(strict, '198.51.100.2');
    await open.get('/health').expect(200);
    await open.get('/ready').expect(200);
    await open.get('/metrics').expect(200);
    await open.get('/docs').expect(200);
    await open.get('/docs-json').expect(200);
    expect((await open.get('/').expect(200)).text).toContain('dashboard');
    expect((await open.get('/jobs/some-page').expect(200)).text).toContain('dashboard');
    await open.get('/assets/app.js').expect(200);
    await open.get('/api/v1/jobs').expect(401);
  });

  it('remembers an unknown key briefly: repeating it reaches no database', async () => {
    const client = from(api, '198.51.100.3');
    await client.get('/api/v1/jobs').set('Authorization', BOGUS_KEY).expect(401);
    await whileKeysLocked(async () => {
      const repeated = await client.get('/api/v1/jobs').set('Authorization', BOGUS_KEY).timeout(2_000);
      expect(repeated.status).toBe(401);
    });
  });

  it('writes api_keys for no unknown key, and last_used_at at most once a minute per key', async () => {
    const before = await keyWrites();
    for (let i = 0; i < 3; i++)
      await from(api, '198.51.100.4')
        .get('/api/v1/jobs')
        .set('Authorization', `Bearer cvr_unknown-${i}-000000000000000000000000000000000000`)
        .expect(401);
    expect(await keyWrites()).toEqual(before);

    const user = await createCaller(db.url, 'acme');
    // Used on both replicas, neither of which has seen it: one write of its row between them.
    for (const app of [api, strict, api, strict])
      await from(app, '198.51.100.4').get('/api/v1/jobs').set('Authorization', user.bearer).expect(200);
    await waitUntil(
      'last_used_at is set',
      async () =>
        (
          await query(db.url, 'SELECT 1 FROM api_keys WHERE id = $1 AND last_used_at IS NOT NULL', [
            user.keyId,
          ])
        ).length === 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await keyWrites()).row ?? 0).toBe((before.row ?? 0) + 1);
  });

  it('limits failed authentications per client address with a 429 and Retry-After', async () => {
    const guesser = from(strict, '203.0.113.7');
    // The tenant's key, known to this replica before the address is blocked.
    await guesser.get('/api/v1/jobs').set('Authorization', tenant.bearer).expect(200);
    for (let i = 0; i < 3; i++)
      await guesser
        .get('/api/v1/jobs')
        .set('Authorization', `Bearer cvr_guess-${i}-0000000000000000000000000000000000000`)
        .expect(401);
    const refused = await guesser
      .post('/api/v1/jobs')
      .set('Authorization', 'Bearer cvr_guess-4-0000000000000000000000000000000000000')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ payload: { blob: 'x'.repeat(2 * 1024 * 1024) } }))
      .expect(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringMatching(/failed authentications/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(60);
    // A key the replica already knows still works from that address; one it would have to look up does not.
    await guesser.get('/api/v1/jobs').set('Authorization', tenant.bearer).expect(200);
    await guesser.get('/api/v1/jobs').set('Authorization', admin.bearer).expect(429);
    // Other addresses are not affected.
    await from(strict, '203.0.113.8').get('/api/v1/jobs').set('Authorization', BOGUS_KEY).expect(401);
    await from(strict, '203.0.113.8').get('/api/v1/jobs').set('Authorization', admin.bearer).expect(200);
  });

  it('refuses a lone UTF-16 surrogate with a 400 naming the field, storing nothing', async () => {
    const response = await http()
      .post('/api/v1/jobs/batch')
      .set('Authorization', tenant.bearer)
      .set('Content-Type', 'application/json')
      // Written out by hand: the escape is what a client sends; JSON.parse turns it into a lone surrogate.
      .send('{"jobs": [{"payload": {"ok": 1}}, {"payload": {"note": "a\\ud800b"}}]}')
      .expect(400);
    expect(response.body).toMatchObject({ statusCode: 400, error: 'Bad Request' });
    expect(response.body.details).toEqual([
      { field: 'jobs.1.payload.note', message: expect.stringContaining('lone UTF-16 surrogate') },
    ]);
    const listed = await http().get('/api/v1/jobs').set('Authorization', tenant.bearer).expect(200);
    expect(listed.body.jobs).toHaveLength(0);
  });

  it('announces a revocation by key id, never by key hash', async () => {
    const listener = new Client({ connectionString: db.url });
    await listener.connect();
    const payloads: string[] = [];
    listener.on('notification', (message) => payloads.push(message.payload ?? ''));
    await listener.query(`LISTEN ${AUTH_CHANGED_CHANNEL}`);
    try {
      const victim = await createCaller(db.url, 'acme');
      await http().get('/api/v1/auth/me').set('Authorization', victim.bearer).expect(200);
      await http().post(`/api/v1/keys/${victim.keyId}/revoke`).set('Authorization', admin.bearer).expect(200);
      await waitUntil('the revocation NOTIFY arrives', async () => payloads.length > 0);
      expect(payloads).toEqual([`key:${victim.keyId}`]);
      await http().get('/api/v1/auth/me').set('Authorization', victim.bearer).expect(401);
    } finally {
      await listener.end();
    }
  });
});
