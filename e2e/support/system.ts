import { existsSync } from 'node:fs';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import { builtScript, cleanEnv, type RunningProcess, startNode } from '../../backend/test/support/processes';
import { createTestDatabase, type TestDatabase } from '../../backend/test/support/test-database';

/** The whole system as `npm start` starts it (API + dashboard + workers), on a fresh test database. */
export interface RunningSystem {
  baseUrl: string;
  /** The admin key the launcher printed. */
  adminKey: string;
  databaseUrl: string;
  launcher: RunningProcess;
  api<T = unknown>(
    key: string,
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

export async function startSystem(env: Record<string, string> = {}): Promise<RunningSystem> {
  const dashboard = 'frontend/dist/index.html';
  if (!existsSync(dashboard))
    throw new Error(`${dashboard} is missing: run \`npm run build\` (npm test does) first`);
  const database: TestDatabase = await createTestDatabase({ migrate: false });
  const port = await freePort();
  const launcher = startNode(
    builtScript('scripts/src/start.js'),
    [],
    cleanEnv({
      DATABASE_URL: database.url,
      PORT: String(port),
      WORKER_PROCESSES: '1',
      WORKER_CONCURRENCY: '10',
      WORKER_METRICS_PORT: String(await freePort()),
      ...env,
    }),
  );
  const [, adminKey] = await launcher.waitFor(/API key: (\S+)/, 90_000);
  const baseUrl = `http://127.0.0.1:${port}`;
  return {
    baseUrl,
    adminKey,
    databaseUrl: database.url,
    launcher,
    async api<T>(key: string, method: string, path: string, body?: unknown) {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json().catch(() => null)) as T };
    },
    async stop() {
      if (launcher.child.exitCode === null && launcher.child.signalCode === null) {
        launcher.child.kill('SIGTERM');
        await launcher.exited;
      }
      await database.drop();
    },
  };
}
