import path from 'node:path';
import { createApiApp } from '../app/api-app';
import { listenOn, loadConfigOrExit, onShutdownSignal } from '../common/process-lifecycle';
import { migrateUp } from '../database/migrator';
import { type DatabaseTarget, openDatabaseTarget } from './database-target';
import { DEFAULT_TENANT, ensureFirstApiKey } from './first-key';
import { WorkerSupervisor } from './worker-supervisor';

const WORKER_SCRIPT = path.resolve(__dirname, '..', 'main.worker.js');
/** Beyond the workers' own grace period, time to release jobs and disconnect before SIGKILL. */
const WORKER_KILL_MARGIN_MS = 10_000;

const say = (message: string): void => console.log(`[conveyor] ${message}`);

function printBanner(port: number, servesDashboard: boolean, key: string | undefined): void {
  const base = `http://localhost:${port}`;
  const lines = [
    'Conveyor is running.',
    `  Dashboard: ${servesDashboard ? `${base}/` : 'not built (run npm run build:frontend)'}`,
    `  API:       ${base}/api/v1`,
    `  API docs:  ${base}/docs`,
    `  Health:    ${base}/health  ${base}/ready`,
  ];
  if (key) {
    lines.push(`API key: ${key}`, `  (admin key of tenant "${DEFAULT_TENANT}"; it is shown only this once)`);
  } else {
    lines.push('An API key already exists; make another with: npm run create-user -- <tenant> [<api-key>]');
  }
  lines.push('Press Ctrl-C to stop.');
  console.log(lines.join('\n'));
}

/**
 * `npm start`: the embedded PostgreSQL (unless DATABASE_URL is set), migrations, the API with the
 * dashboard in this process, and WORKER_PROCESSES worker child processes. Shutdown runs in the
 * reverse order: workers drain first, then the API closes, then PostgreSQL stops.
 */
export async function runLauncher(): Promise<void> {
  const config = loadConfigOrExit();
  let database: DatabaseTarget | undefined;
  let closeApi: (() => Promise<void>) | undefined;
  try {
    database = await openDatabaseTarget(config, say);
    const applied = await migrateUp(database.url);
    say(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
    const key = await ensureFirstApiKey(database.url);

    const runtimeConfig = Object.freeze({ ...config, DATABASE_URL: database.url });
    const { app, servesDashboard } = await createApiApp(runtimeConfig);
    closeApi = () => app.close();
    await listenOn(app, config.PORT);

    const workers = new WorkerSupervisor(WORKER_SCRIPT, { ...process.env, DATABASE_URL: database.url }, say);
    workers.start(config.WORKER_PROCESSES);
    say(`Started ${config.WORKER_PROCESSES} worker process(es): ${workers.pids().join(', ') || 'none'}`);
    printBanner(config.PORT, servesDashboard, key);

    const target = database;
    onShutdownSignal(async (reason) => {
      say(`Stopping (${reason}): workers, then the API, then the database`);
      await workers.stop(config.SHUTDOWN_GRACE_SECONDS * 1000 + WORKER_KILL_MARGIN_MS);
      await app.close();
      await target.release();
      say('Stopped.');
    });
  } catch (error) {
    console.error(`[conveyor] Failed to start: ${(error as Error).message}`);
    await closeApi?.().catch(() => undefined);
    await database?.release().catch(() => undefined);
    process.exit(1);
  }
}
