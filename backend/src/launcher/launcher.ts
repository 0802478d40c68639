import path from 'node:path';
import { createApiApp } from '../app/api-app';
import { type AppConfig } from '../config/app-config';
import { listenOn, loadConfigOrExit, onShutdownSignal, stopKeepingAlive } from '../common/process-lifecycle';
import { DatabaseConnector } from '../database/database-connector';
import { migrateUp } from '../database/migrator';
import { openDatabaseTarget } from './database-target';
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
  // Cleanup steps in start order; shutdown runs them newest first.
  const cleanup: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const step of cleanup.splice(0).reverse()) await step();
  };

  const startup = start(config, cleanup);
  // Registered before anything starts, so a signal during start-up waits for it and then stops
  // everything it started, instead of killing the launcher and orphaning PostgreSQL.
  onShutdownSignal(async (reason) => {
    await startup.catch(() => undefined);
    say(`Stopping (${reason}): workers, then the API, then the database`);
    await stopAll();
    say('Stopped.');
  });

  try {
    await startup;
  } catch (error) {
    console.error(`[conveyor] Failed to start: ${(error as Error).message}`);
    await stopAll().catch(() => undefined);
    process.exit(1);
  }
}

async function start(config: AppConfig, cleanup: Array<() => Promise<void>>): Promise<void> {
  const database = await openDatabaseTarget(config, say);
  cleanup.push(() => database.release());
  const applied = await migrateUp(database.url);
  say(applied.length > 0 ? `Applied migrations: ${applied.join(', ')}` : 'Database schema is up to date');
  const key = await ensureFirstApiKey(database.url);

  const { app, servesDashboard } = await createApiApp(
    Object.freeze({ ...config, DATABASE_URL: database.url }),
  );
  cleanup.push(() => {
    stopKeepingAlive(app.getHttpServer());
    return app.close();
  });
  await listenOn(app, config.PORT);
  // The banner promises a ready system: /ready must already answer 200 when it is printed.
  await app.get(DatabaseConnector).connected();

  const workers = new WorkerSupervisor(
    WORKER_SCRIPT,
    { ...process.env, DATABASE_URL: database.url },
    say,
    config.WORKER_METRICS_PORT,
  );
  cleanup.push(() => workers.stop(config.SHUTDOWN_GRACE_SECONDS * 1000 + WORKER_KILL_MARGIN_MS));
  workers.start(config.WORKER_PROCESSES);
  say(`Started ${config.WORKER_PROCESSES} worker process(es): ${workers.pids().join(', ') || 'none'}`);
  printBanner(config.PORT, servesDashboard, key);
}
