import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import { loadConfigOrExit, onShutdownSignal } from './common/process-lifecycle';
import { DatabaseConnector } from './database/database-connector';
import { WorkerModule } from './worker/worker.module';

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const app = await NestFactory.createApplicationContext(WorkerModule.forRoot(config), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  onShutdownSignal(async (reason) => {
    logger.log(`Worker stopping (${reason})`);
    await app.close();
  });
  await app.init();
  await app.get(DatabaseConnector).connected();
  logger.log(`Worker ready (concurrency ${config.WORKER_CONCURRENCY})`);
}

void main();
