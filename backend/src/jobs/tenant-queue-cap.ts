import { Inject, Injectable } from '@nestjs/common';
import { InvalidInputException } from '../common/api-error';
import { AppConfig } from '../config/app-config';
import { JobQueue } from '../queue/job-queue';

/** Tenants whose queue names this replica remembers; the oldest is forgotten beyond. */
const MAX_TENANTS_REMEMBERED = 10_000;

/**
 * Caps the queue names one tenant may use (MAX_QUEUES_PER_TENANT): every name costs counter and
 * per-minute metrics rows, so inventing names is a cost the tenant would push onto everyone.
 * A name this replica has seen the tenant use costs nothing to check; only a new one reads the
 * tenant's names from the counters. Two replicas admitting new names at the same moment can
 * overshoot the cap by a few; the next submission past it is refused.
 */
@Injectable()
export class TenantQueueCap {
  private readonly known = new Map<string, Set<string>>();

  constructor(
    private readonly queue: JobQueue,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Throws a 400 naming `queue` when these would take the tenant past the cap. */
  async admit(tenantId: string, queues: Iterable<string>, index?: number): Promise<void> {
    const wanted = new Set(queues);
    const remembered = this.known.get(tenantId);
    if (remembered && [...wanted].every((queue) => remembered.has(queue))) return;
    const names = new Set(await this.queue.queueNames(tenantId));
    const fresh = [...wanted].filter((queue) => !names.has(queue));
    const cap = this.config.MAX_QUEUES_PER_TENANT;
    if (fresh.length > 0 && names.size + fresh.length > cap) {
      const message = `a tenant may use at most ${cap} queues and this one uses ${names.size}: submit to one of them (a queue's name is freed once its jobs are pruned)`;
      throw new InvalidInputException(message, [
        { field: 'queue', message, ...(index === undefined ? {} : { index }) },
      ]);
    }
    for (const queue of fresh) names.add(queue);
    this.known.delete(tenantId);
    if (this.known.size >= MAX_TENANTS_REMEMBERED) this.known.delete(this.known.keys().next().value!);
    this.known.set(tenantId, names);
  }
}
