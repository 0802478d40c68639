import { Injectable } from '@nestjs/common';
import { PgPool } from '../database/pg-pool';
import { workerFleet, workerList, type WorkerRow } from './workers.sql';

@Injectable()
export class WorkersRepository {
  constructor(private readonly pg: PgPool) {}

  async list(staleSeconds: number): Promise<WorkerRow[]> {
    return (await this.pg.pool.query<WorkerRow>(workerList(staleSeconds))).rows;
  }

  async fleet(staleSeconds: number): Promise<{ workers: number; slots: number }> {
    return (await this.pg.pool.query<{ workers: number; slots: number }>(workerFleet(staleSeconds))).rows[0];
  }
}
