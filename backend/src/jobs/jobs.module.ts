import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { DeadLetterController } from './dead-letter.controller';
import { DeadLetterService } from './dead-letter.service';
import { JobStatsController } from './job-stats.controller';
import { JobStatsService } from './job-stats.service';
import { JobTypesController } from './job-types.controller';
import { JobsController } from './jobs.controller';
import { DeadLetterRepository } from './dead-letter.repository';
import { JobStatsRepository } from './job-stats.repository';
import { JobsRepository } from './jobs.repository';
import { JobsService } from './jobs.service';
import { TenantQueueCap } from './tenant-queue-cap';

@Module({
  imports: [QueueModule],
  // The DLQ and metrics controllers come first: their static paths must win over jobs/:id.
  controllers: [DeadLetterController, JobStatsController, JobsController, JobTypesController],
  providers: [
    JobsRepository,
    DeadLetterRepository,
    JobStatsRepository,
    JobsService,
    DeadLetterService,
    JobStatsService,
    TenantQueueCap,
  ],
  exports: [JobsRepository, JobStatsService],
})
export class JobsModule {}
