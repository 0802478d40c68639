import { type AddressInfo } from 'node:net';
import { createCaller, startApi } from './support/api';
import { type ClientSocket, connectSocket } from './support/sockets';
import { waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';
import { type ApiApplication } from '../src/app/api-app';

describe('a revoked key’s socket across a gap in the LISTEN connection', () => {
  let db: TestDatabase;
  let app: ApiApplication;
  let url: string;
  const sockets: ClientSocket[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    app = await startApi(db.url);
    await app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const socket of sockets) socket.disconnect();
    await app.close();
    await db.drop();
  });

  const connect = (key: string): Promise<ClientSocket> => connectSocket(url, key, sockets);

  const dropListener = () =>
    query(
      db.url,
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
       WHERE application_name = 'conveyor-api-listen' AND datname = current_database()`,
    );

  it('is disconnected once the listener is back, though the revocation’s NOTIFY never reached it', async () => {
    const revoked = await createCaller(db.url, 'leaver');
    const kept = await createCaller(db.url, 'stayer');
    const [gone, staying] = [await connect(revoked.key), await connect(kept.key)];
    // Revoked with no NOTIFY at all: as if it had been sent while the listener was down.
    await query(db.url, 'UPDATE api_keys SET revoked_at = now() WHERE id = $1', [revoked.keyId]);
    await dropListener();
    await waitUntil('the revoked key’s socket is closed', () => gone.disconnected, 10_000, 50);
    expect(staying.connected).toBe(true);
  });
});
