import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from '../config/app-config';
import { DatabaseConnector } from './database-connector';
import { dataSourceOptions } from './data-source-options';
import { NotificationBus } from './notification-bus';
import { PgPool } from './pg-pool';

@Module({})
export class DatabaseModule {
  static forRoot(applicationName: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => {
            if (!config.DATABASE_URL)
              throw new Error('DATABASE_URL is required by the API and worker processes');
            return {
              ...dataSourceOptions(config.DATABASE_URL, { applicationName }),
              manualInitialization: true,
            };
          },
        }),
      ],
      providers: [DatabaseConnector, PgPool, NotificationBus],
      exports: [DatabaseConnector, PgPool, NotificationBus],
    };
  }
}
