import 'reflect-metadata';
import { createApiApp } from './app/api-app';
import {
  listenOn,
  loadServerConfigOrExit,
  onShutdownSignal,
  PortInUseError,
} from './common/process-lifecycle';

async function main(): Promise<void> {
  const config = loadServerConfigOrExit();
  const { app } = await createApiApp(config);
  onShutdownSignal(() => app.close());
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
