import { Injectable } from '@nestjs/common';
import { DatabaseConnector } from '../database/database-connector';
import { type ReadinessDto } from './health.dto';

@Injectable()
export class HealthService {
  constructor(private readonly database: DatabaseConnector) {}

  async readiness(): Promise<ReadinessDto> {
    try {
      await this.database.ping();
      return { status: 'ready' };
    } catch (error) {
      return { status: 'unavailable', reason: (error as Error).message };
    }
  }
}
