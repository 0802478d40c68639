// First: the tracing SDK must be running before http, pg and Nest are loaded.
import './tracing/register-api';
import 'reflect-metadata';
import { createApiApp } from './app/api-app';
import {
  listenOn,
  loadServerConfigOrExit,
  onShutdownSignal,
  PortInUseError,
  stopKeepingAlive,
} from './common/process-lifecycle';
import { stopTracing } from './tracing/tracing';

async function main(): Promise<void> {
  const config = loadServerConfigOrExit();
  const { app } = await createApiApp(config);
  onShutdownSignal(async () => {
    stopKeepingAlive(app.getHttpServer());
    await app.close();
    await stopTracing(); // flushes the spans still buffered
  });
  try {
    await listenOn(app, config.PORT);
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    console.error(error.message);
    await app.close();
    process.exit(1);
  }
}

void main();
