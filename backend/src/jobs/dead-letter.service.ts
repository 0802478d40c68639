import { Inject, Injectable, NotFoundException } from '@nestjs/common';
import { type AuthContext, tenantScope } from '../auth/auth-context';
import { InvalidInputException } from '../common/api-error';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../queue/job-queue';
import {
  type DeadJobActionResultDto,
  type DeadJobCountDto,
  type DeadJobFilterDto,
  type DeadJobPageDto,
  type DeadJobSelectionDto,
  type ListDeadJobsQuery,
} from './dto/list.dto';
import { toDeadJobDto } from './job-mapping';
import { DeadLetterRepository } from './dead-letter.repository';
import { keysetPage, type PagePosition } from './page-cursor';

/** Bulk actions by filter go through the DLQ this many entries per statement. */
const BULK_BATCH = 500;
/** A count for a confirmation ("retry 1,234 jobs?") stops here rather than read the whole DLQ. */
const COUNT_CAP = 100_000;

/** The dead-letter queue: inspect, retry (redrive) and discard, one by one or in bulk. */
@Injectable()
export class DeadLetterService {
  constructor(
    private readonly queue: JobQueue,
    private readonly repository: DeadLetterRepository,
    // A bulk action by filter acts on at most DLQ_BULK_MAX_PER_CALL entries per request and says
    // how many remain: one request never holds the database for an unbounded DLQ.
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  list(auth: AuthContext, query: ListDeadJobsQuery): Promise<DeadJobPageDto> {
    const filters = { tenantId: tenantScope(auth, query.tenant_id), type: query.type, queue: query.queue };
    return keysetPage(
      query,
      (limit, after) => this.repository.listDead(filters, limit, after),
      (row) => ({ at: row.position_at, id: row.job_id }),
      toDeadJobDto,
    );
  }

  async count(auth: AuthContext, filter: DeadJobFilterDto): Promise<DeadJobCountDto> {
    const count = await this.repository.countDead(
      { tenantId: tenantScope(auth, filter.tenant_id), type: filter.type, queue: filter.queue },
      COUNT_CAP,
    );
    return { count, capped: count > COUNT_CAP, cap: COUNT_CAP };
  }

  /** Puts dead jobs back to pending with a fresh attempt count; an id not in the caller's DLQ is a 404. */
  retry(auth: AuthContext, selection: DeadJobSelectionDto): Promise<DeadJobActionResultDto> {
    return this.apply(auth, selection, async (tenantId, ids) =>
      (await this.queue.requeue(tenantId, ids, ['dead'])).map((row) => row.id),
    );
  }

  /** Deletes dead jobs for good. */
  discard(auth: AuthContext, selection: DeadJobSelectionDto): Promise<DeadJobActionResultDto> {
    return this.apply(auth, selection, (tenantId, ids) => this.queue.discardDead(tenantId, ids));
  }

  private async apply(
    auth: AuthContext,
    selection: DeadJobSelectionDto,
    action: (tenantId: string | null, ids: string[]) => Promise<string[]>,
  ): Promise<DeadJobActionResultDto> {
    // `== null`: a JSON null passes @IsOptional, and means "not given" here too.
    if ((selection.ids == null) === (selection.filter == null)) {
      const message = 'give either ids or filter ({} for every DLQ entry)';
      throw new InvalidInputException(message, [{ field: 'ids', message }]);
    }
    if (selection.ids) {
      const tenantId = tenantScope(auth);
      // PostgreSQL answers uuids in lower case; @IsUUID also takes upper case.
      const ids = [...new Set(selection.ids.map((id) => id.toLowerCase()))];
      const found = new Set(await this.repository.deadJobIdsAmong(tenantId, ids));
      const missing = ids.filter((id) => !found.has(id));
      // Another tenant's entry answers as one that does not exist: a 404, and nothing is done.
      if (missing.length > 0)
        throw new NotFoundException({
          message: `No such DLQ ${missing.length === 1 ? 'entry' : 'entries'}: ${missing.join(', ')}`,
          details: missing.map((id) => ({ field: 'ids', message: `no DLQ entry ${id}` })),
        });
      const done = await action(tenantId, ids);
      return { count: done.length, ids: done, remaining: 0 };
    }
    const filter = selection.filter!;
    // A snapshot: entries that died before the request. A redriven job that dies again while this
    // runs has a later died_at and waits for the next call, so a redrive can never chase itself.
    const filters = {
      tenantId: tenantScope(auth, filter.tenant_id),
      type: filter.type,
      queue: filter.queue,
      diedBy: await this.repository.databaseNow(),
    };
    const done: string[] = [];
    let position: PagePosition | undefined;
    while (done.length < this.config.DLQ_BULK_MAX_PER_CALL) {
      const rows = await this.repository.deadJobIds(
        filters,
        Math.min(BULK_BATCH, this.config.DLQ_BULK_MAX_PER_CALL - done.length),
        position,
      );
      if (rows.length === 0) break;
      done.push(
        ...(await action(
          filters.tenantId,
          rows.map((row) => row.job_id),
        )),
      );
      const last = rows[rows.length - 1];
      position = { at: last.position_at, id: last.job_id };
    }
    const remaining = await this.repository.countDead(filters, COUNT_CAP);
    return { count: done.length, ids: done, remaining: Math.min(remaining, COUNT_CAP) };
  }
}
