import { type DynamicModule, Module } from '@nestjs/common';
import { type AppConfig } from '../config/app-config';
import { AuthModule } from '../auth/auth.module';
import { AppConfigModule } from '../config/config.module';
import { DatabaseModule } from '../database/database.module';
import { EventsModule } from '../events/events.module';
import { HealthModule } from '../health/health.module';
import { JobsModule } from '../jobs/jobs.module';
import { MetricsModule } from '../metrics/metrics.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { LoggingModule } from '../logging/logging.module';
import { WorkersModule } from '../workers/workers.module';

@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggingModule.forRoot('api'),
        DatabaseModule.forRoot('conveyor-api'),
        HealthModule,
        AuthModule,
        RateLimitModule,
        JobsModule,
        EventsModule,
        MetricsModule,
        WorkersModule,
      ],
    };
  }
}
