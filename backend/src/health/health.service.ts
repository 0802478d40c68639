import { Injectable, Logger } from '@nestjs/common';
import { DatabaseConnector } from '../database/database-connector';
import { type ReadinessDto } from './health.dto';

/** What /ready tells the public; the driver's own message can name hosts, ports and users. */
const UNAVAILABLE_REASON = 'database unavailable';

@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);

  constructor(private readonly database: DatabaseConnector) {}

  async readiness(): Promise<ReadinessDto> {
    try {
      await this.database.ping();
      return { status: 'ready' };
    } catch (error) {
      this.logger.warn(`not ready: ${(error as Error).message}`);
      return { status: 'unavailable', reason: UNAVAILABLE_REASON };
    }
  }
}
