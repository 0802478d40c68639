// First: the tracing SDK must be running before http, pg and Nest are loaded.
import './tracing/register-worker';
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { stopTracing } from './tracing/tracing';
import { loadServerConfigOrExit, onShutdownSignal, PortInUseError } from './common/process-lifecycle';
import { DatabaseConnector } from './database/database-connector';
import { WorkerModule } from './worker/worker.module';

async function main(): Promise<void> {
  const config = loadServerConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  onShutdownSignal(async (reason) => {
    logger.log(`Worker stopping (${reason})`);
    await app.close();
    await stopTracing(); // flushes the spans still buffered
  });
  try {
    await app.init();
  } catch (error) {
    if (!(error instanceof PortInUseError)) throw error;
    logger.error(error.message);
    await app.close();
    process.exit(1);
  }
  const database = app.get(DatabaseConnector);
  await database.connected();
  if (database.isConnected) logger.log(`Worker ready (concurrency ${config.WORKER_CONCURRENCY})`);
}

void main();
