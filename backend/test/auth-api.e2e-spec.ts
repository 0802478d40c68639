import request from 'supertest';
import { createCaller, startApi, type TestCaller } from './support/api';
import { waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

describe('tenants, API keys and roles', () => {
  let db: TestDatabase;
  let api: ApiApplication;
  let replica: ApiApplication;
  let admin: TestCaller;
  let tenant: TestCaller;

  const call = (app: ApiApplication, caller: TestCaller | string) => {
    const bearer = typeof caller === 'string' ? `Bearer ${caller}` : caller.bearer;
    return {
      get: (path: string) => request(app.getHttpServer()).get(path).set('Authorization', bearer),
      post: (path: string, body: object = {}) =>
        request(app.getHttpServer()).post(path).set('Authorization', bearer).send(body),
      patch: (path: string, body: object) =>
        request(app.getHttpServer()).patch(path).set('Authorization', bearer).send(body),
    };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    [api, replica] = await Promise.all([startApi(db.url), startApi(db.url)]);
    admin = await createCaller(db.url, 'operators', 'admin');
    tenant = await createCaller(db.url, 'acme');
    // Both replicas listen for revocations before the tests revoke anything.
    await waitUntil(
      'both replicas hold a LISTEN connection',
      async () =>
        (
          await query(
            db.url,
            `SELECT 1 FROM pg_stat_activity WHERE application_name = 'conveyor-api-listen' AND datname = $1`,
            [db.name],
          )
        ).length === 2,
    );
  });
  afterAll(async () => {
    await Promise.all([api.close(), replica.close()]);
    await db.drop();
  });

  it('tells a caller who it is', async () => {
    const response = await call(api, tenant).get('/api/v1/auth/me').expect(200);
    expect(response.body).toEqual({
      tenant_id: tenant.tenantId,
      tenant_name: 'acme',
      key_id: tenant.keyId,
      role: 'tenant',
    });
  });

  it('refuses admin routes to a tenant key with 403', async () => {
    await call(api, tenant).get('/api/v1/tenants').expect(403);
    await call(api, tenant).post('/api/v1/tenants', { name: 'sneaky' }).expect(403);
    await call(api, tenant).post(`/api/v1/tenants/${tenant.tenantId}/keys`).expect(403);
    await call(api, tenant).post(`/api/v1/keys/${tenant.keyId}/revoke`).expect(403);
  });

  it('lets an admin create, list and update tenants', async () => {
    const created = await call(api, admin)
      .post('/api/v1/tenants', { name: '  globex  ', rate_limit_per_second: 5, rate_limit_burst: 10 })
      .expect(201);
    expect(created.body).toMatchObject({
      name: 'globex',
      rate_limit_per_second: 5,
      rate_limit_burst: 10,
      max_concurrency: null,
    });
    await call(api, admin).post('/api/v1/tenants', { name: 'globex' }).expect(409);
    const list = await call(api, admin).get('/api/v1/tenants').expect(200);
    expect(list.body.map((t: { name: string }) => t.name)).toEqual(
      expect.arrayContaining(['acme', 'globex', 'operators']),
    );
    const updated = await call(api, admin)
      .patch(`/api/v1/tenants/${created.body.id}`, { max_concurrency: 3, rate_limit_burst: null })
      .expect(200);
    expect(updated.body).toMatchObject({
      max_concurrency: 3,
      rate_limit_burst: null,
      rate_limit_per_second: 5,
    });
    await call(api, admin).patch(`/api/v1/tenants/${created.body.id}`, { name: 'acme' }).expect(409);
  });

  it.each([
    ['a blank name', { name: '   ' }, 'name'],
    ['a missing name', {}, 'name'],
    ['a rate of the wrong type', { name: 'x1', rate_limit_per_second: 'fast' }, 'rate_limit_per_second'],
    ['a zero burst', { name: 'x2', rate_limit_burst: 0 }, 'rate_limit_burst'],
    ['an unknown field', { name: 'x3', plan: 'gold' }, 'plan'],
  ])('refuses a tenant with %s', async (_, body, field) => {
    const response = await call(api, admin).post('/api/v1/tenants', body).expect(400);
    expect(response.body.details.map((d: { field: string }) => d.field)).toContain(field);
  });

  it('refuses to set a tenant name to null, and 404s an unknown tenant', async () => {
    await call(api, admin).patch(`/api/v1/tenants/${tenant.tenantId}`, { name: null }).expect(400);
    await call(api, admin).get('/api/v1/tenants/6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b').expect(404);
    await call(api, admin).get('/api/v1/tenants/nope').expect(400);
  });

  it('creates a key shown once, lists keys by prefix only, and the new key works', async () => {
    const created = await call(api, admin)
      .post(`/api/v1/tenants/${tenant.tenantId}/keys`, { name: 'ci' })
      .expect(201);
    expect(created.body.key).toMatch(/^cvr_[\w-]{43}$/);
    expect(created.body).toMatchObject({ role: 'tenant', name: 'ci', tenant_id: tenant.tenantId });
    const list = await call(api, admin).get(`/api/v1/tenants/${tenant.tenantId}/keys`).expect(200);
    const listed = list.body.find((k: { id: string }) => k.id === created.body.id);
    expect(listed).toEqual({ ...created.body, key: undefined, last_used_at: null });
    expect(JSON.stringify(list.body)).not.toContain(created.body.key);
    const me = await call(api, created.body.key).get('/api/v1/auth/me').expect(200);
    expect(me.body.tenant_id).toBe(tenant.tenantId);
    const stored = await query(db.url, 'SELECT key_hash FROM api_keys WHERE id = $1', [created.body.id]);
    expect(JSON.stringify(stored)).not.toContain(created.body.key);
  });

  it('stops a revoked key at once on every replica, even one that cached it', async () => {
    const { body: key } = await call(api, admin).post(`/api/v1/tenants/${tenant.tenantId}/keys`).expect(201);
    // Both replicas have the key in their caches now.
    for (const app of [api, replica, api, replica]) await call(app, key.key).get('/api/v1/jobs').expect(200);
    const revoked = await call(api, admin).post(`/api/v1/keys/${key.id}/revoke`).expect(200);
    expect(revoked.body.revoked_at).toEqual(expect.any(String));
    // The replica that revoked it dropped it from its cache before answering (its own NOTIFY
    // would follow within a moment: this check cannot tell the two apart).
    await call(api, key.key).get('/api/v1/jobs').expect(401);
    // NOTIFY reaches the other after the revoking transaction commits: a moment, not the
    // 30 s cache lifetime the key would otherwise keep there.
    await waitUntil(
      'the replica refuses the revoked key',
      async () => (await call(replica, key.key).get('/api/v1/jobs')).status === 401,
      2_000,
      10,
    );
    await call(api, admin).post('/api/v1/keys/6f1c1b5e-8a3d-4c4e-9f6a-2b7d9e0c1a2b/revoke').expect(404);
  });

  it("shows an admin every tenant's jobs, and a tenant only its own", async () => {
    const { body: job } = await call(api, tenant)
      .post('/api/v1/jobs', { type: 'email', payload: {} })
      .expect(201);
    await call(api, admin).get(`/api/v1/jobs/${job.id}`).expect(200);
    const all = await call(api, admin).get(`/api/v1/jobs?tenant_id=${tenant.tenantId}`).expect(200);
    expect(all.body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    const other = await createCaller(db.url, 'initech');
    await call(api, other).get(`/api/v1/jobs/${job.id}`).expect(404);
    const ownList = await call(api, other).get(`/api/v1/jobs?tenant_id=${tenant.tenantId}`).expect(200);
    expect(ownList.body.jobs).toEqual([]);
  });
});
