import { Module } from '@nestjs/common';
import { PinoLogger } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';
import { PgPool } from '../database/pg-pool';
import { JobLifecycleLog } from '../logging/job-lifecycle';
import { JobQueue } from './job-queue';

/** The queue's statements on the process's pg pool (DatabaseModule and nestjs-pino's LoggerModule are global). */
@Module({
  providers: [
    {
      provide: JobQueue,
      inject: [PgPool, PinoLogger, AppConfig],
      useFactory: (pg: PgPool, logger: PinoLogger, config: AppConfig) =>
        new JobQueue(
          pg.pool,
          new JobLifecycleLog(logger.logger, config.JOB_LOG_LEVEL, config.JOB_LOG_ROUTINE_PER_SECOND),
        ),
    },
  ],
  exports: [JobQueue],
})
export class QueueModule {}
