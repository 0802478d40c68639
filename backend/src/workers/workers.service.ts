import { Inject, Injectable } from '@nestjs/common';
import { type AuthContext } from '../auth/auth-context';
import { AppConfig } from '../config/app-config';
import { type WorkerDto, type WorkersDto } from './dto/workers.dto';
import { WorkersRepository } from './workers.repository';
import { type WorkerRow } from './workers.sql';

const toWorkerDto = (row: WorkerRow): WorkerDto => ({
  id: row.id,
  host: row.host,
  pid: row.pid,
  version: row.version,
  concurrency: row.concurrency,
  jobs_in_hand: row.jobs_in_hand,
  started_at: row.started_at.toISOString(),
  last_seen_at: row.last_seen_at.toISOString(),
  live: row.live,
});

/**
 * The fleet as the registry sees it. A tenant learns how many workers are live (its dashboard
 * warns when none is), never their hosts: those are the operator's.
 */
@Injectable()
export class WorkersService {
  constructor(
    private readonly repository: WorkersRepository,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async workers(auth: AuthContext): Promise<WorkersDto> {
    const stale = this.config.WORKERS_STALE_SECONDS;
    if (auth.role !== 'admin') {
      const { workers, slots } = await this.repository.fleet(stale);
      return { live_workers: workers, live_slots: slots };
    }
    const rows = await this.repository.list(stale);
    const live = rows.filter((row) => row.live);
    return {
      live_workers: live.length,
      live_slots: live.reduce((sum, row) => sum + row.concurrency, 0),
      workers: rows.map(toWorkerDto),
    };
  }
}
