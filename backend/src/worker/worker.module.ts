import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { LoggingModule } from '../logging/logging.module';
import { WorkerService } from './worker.service';

/** The worker process: no HTTP; the claim loop, NOTIFY listener and rescuer. */
@Module({})
export class WorkerModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot('worker'),
        DatabaseModule.forRoot('conveyor-worker'),
      ],
      providers: [WorkerService],
    };
  }
}
