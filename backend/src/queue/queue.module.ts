import { Module } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { JobQueue } from './job-queue';

/** The queue's statements on the process's pg pool (DatabaseModule is global). */
@Module({
  providers: [{ provide: JobQueue, inject: [PgPool], useFactory: (pg: PgPool) => new JobQueue(pg.pool) }],
  exports: [JobQueue],
})
export class QueueModule {}
