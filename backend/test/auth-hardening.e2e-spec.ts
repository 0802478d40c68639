import { type NestExpressApplication } from '@nestjs/platform-express';
import { Client } from 'pg';
import request from 'supertest';
import { AUTH_CHANGED_CHANNEL } from '../src/auth/auth.repository';
import { createCaller, startApi, type TestCaller } from './support/api';
import { waitUntil } from './support/processes';
import { createTestDatabase, type TestDatabase } from './support/test-database';

describe('authentication and input hardening', () => {
  let db: TestDatabase;
  let api: NestExpressApplication;
  let admin: TestCaller;
  let tenant: TestCaller;

  const http = () => request(api.getHttpServer());

  beforeAll(async () => {
    db = await createTestDatabase();
    api = await startApi(db.url);
    admin = await createCaller(db.url, 'operators', 'admin');
    tenant = await createCaller(db.url, 'acme');
  });
  afterAll(async () => {
    await api.close();
    await db.drop();
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
