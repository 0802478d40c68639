import { randomUUID } from 'node:crypto';
import {
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  PayloadTooLargeException,
} from '@nestjs/common';
import { type AuthContext, tenantScope } from '../auth/auth-context';
import { type FieldProblem, InvalidInputException } from '../common/api-error';
import { AppConfig } from '../config/app-config';
import { JOB_HANDLERS } from '../handlers/handler-registry';
import { type InsertedJob, JobQueue } from '../queue/job-queue';
import { type JobState } from '../queue/job-states';
import { DEFAULT_JOB_TYPE, type JobSubmission, toNewJob } from '../queue/job-submission';
import { QueueError } from '../queue/queue.errors';
import { type NewJob } from '../queue/queue.sql';
import { type CreateJobDto, type CreateJobsBatchDto, MAX_IDEMPOTENCY_KEY_LENGTH } from './dto/create-job.dto';
import { type JobDto, type JobPageDto, type JobTypeDto } from './dto/job.dto';
import { type ListJobsQuery } from './dto/list.dto';
import { toJobDto, toJobSummaryDto } from './job-mapping';
import { type JobRow, JobsRepository } from './jobs.repository';
import { keysetPage } from './page-cursor';
import { TenantQueueCap } from './tenant-queue-cap';

/** A file received with a multipart submission (multer's in-memory file). */
export interface UploadedJobFile {
  originalname: string;
  mimetype: string;
  size: number;
  buffer: Buffer;
}

/** Whether jobs of this type read an uploaded file, as their handler says. */
const needsFile = (type: string): boolean => JOB_HANDLERS[type]?.needsFile === true;
const RETRYABLE: readonly JobState[] = ['failed', 'dead', 'cancelled'];

function invalid(field: string, message: string, index?: number): InvalidInputException {
  const problem: FieldProblem = index === undefined ? { field, message } : { index, field, message };
  return new InvalidInputException(message, [problem]);
}

@Injectable()
export class JobsService {
  readonly knownTypes = Object.keys(JOB_HANDLERS);

  constructor(
    private readonly queue: JobQueue,
    private readonly repository: JobsRepository,
    private readonly queueCap: TenantQueueCap,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  jobTypes(): JobTypeDto[] {
    return Object.entries(JOB_HANDLERS).map(([type, handler]) => ({
      type,
      description: handler.description,
      example_payload: handler.examplePayload,
      default_timeout_ms: Math.min(handler.defaultTimeoutMs, this.config.JOB_TIMEOUT_MAX_MS),
    }));
  }

  /** Maps the REST body to a queue submission; the queue validates the rest (QueueError → 400). */
  private submissionOf(
    auth: AuthContext,
    dto: CreateJobDto,
    traceId: string,
    headerKey: string | undefined,
    index?: number,
  ): JobSubmission {
    if (dto.max_attempts !== undefined && dto.max_retries !== undefined)
      throw invalid('max_retries', 'give max_attempts or max_retries, not both', index);
    if (dto.task !== undefined && dto.payload !== undefined)
      throw invalid('task', 'give task or payload, not both (task stands for payload {"task": …})', index);
    if (dto.task !== undefined && dto.type !== undefined && dto.type !== DEFAULT_JOB_TYPE)
      throw invalid(
        'task',
        `task makes a ${DEFAULT_JOB_TYPE} job: leave type out, or send payload instead`,
        index,
      );
    if (headerKey !== undefined && (headerKey.length < 1 || headerKey.length > MAX_IDEMPOTENCY_KEY_LENGTH))
      throw invalid(
        'Idempotency-Key',
        `the Idempotency-Key header must be 1-${MAX_IDEMPOTENCY_KEY_LENGTH} characters`,
        index,
      );
    if (headerKey !== undefined && dto.idempotency_key !== undefined && headerKey !== dto.idempotency_key)
      throw invalid('idempotency_key', 'the Idempotency-Key header and idempotency_key differ', index);
    return {
      tenantId: auth.tenantId,
      type: dto.type,
      payload: dto.task !== undefined ? { task: dto.task } : dto.payload,
      queue: dto.queue,
      priority: dto.priority,
      maxAttempts: dto.max_retries !== undefined ? dto.max_retries + 1 : dto.max_attempts,
      runAt: dto.run_at !== undefined ? new Date(dto.run_at) : undefined,
      delayMs: dto.delay_ms,
      idempotencyKey: dto.idempotency_key ?? headerKey,
      traceId,
      timeoutMs: dto.timeout_ms,
    };
  }

  private newJob(submission: JobSubmission, index?: number): NewJob {
    try {
      // Handlers carry their type's default time limit and payload bounds.
      const rules = { timeoutMaxMs: this.config.JOB_TIMEOUT_MAX_MS, types: JOB_HANDLERS };
      return toNewJob(submission, this.knownTypes, undefined, rules);
    } catch (error) {
      if (error instanceof QueueError) throw invalid(error.field, error.message, index);
      throw error;
    }
  }

  /** One job; `created` is false when its idempotency key returned an earlier job. */
  async submit(
    auth: AuthContext,
    dto: CreateJobDto,
    traceId: string,
    headerKey?: string,
    file?: UploadedJobFile,
  ): Promise<{ job: JobDto; created: boolean }> {
    const job = this.newJob(this.submissionOf(auth, dto, traceId, headerKey));
    await this.queueCap.admit(auth.tenantId, [job.queue]);
    if (needsFile(job.type) && !file)
      throw invalid('file', `${job.type} jobs need a file: send multipart/form-data with a file field`);
    if (!file) return this.insertOne(auth, job);
    const fileId = randomUUID();
    const stored = await this.queue.insertWithFile(
      {
        ...job,
        payload: {
          ...(job.payload as object),
          file_id: fileId,
          filename: file.originalname,
          file_size: file.size,
        },
      },
      {
        id: fileId,
        tenantId: auth.tenantId,
        filename: file.originalname,
        contentType: file.mimetype || null,
        content: file.buffer,
      },
      this.config.TENANT_FILE_QUOTA_BYTES,
    );
    if ('job' in stored) return { job: toJobDto(stored.job), created: true };
    if ('overQuota' in stored)
      throw new PayloadTooLargeException({
        message: `This upload would take the tenant's stored files past its quota of ${this.config.TENANT_FILE_QUOTA_BYTES} bytes: wait for finished jobs to be pruned, or discard dead ones`,
        details: [{ field: 'file', message: 'storage quota exceeded' }],
      });
    // The idempotency key returned an earlier job: that job, and nothing stored.
    const [existing] = await this.repository.findByIdempotencyKeys(auth.tenantId, [job.idempotencyKey!]);
    return { job: toJobDto(existing), created: false };
  }

  private async insertOne(auth: AuthContext, job: NewJob): Promise<{ job: JobDto; created: boolean }> {
    const inserted = await this.queue.insertOne(job);
    if (inserted) return { job: toJobDto(inserted), created: true };
    const [existing] = await this.repository.findByIdempotencyKeys(auth.tenantId, [job.idempotencyKey!]);
    return { job: toJobDto(existing), created: false };
  }

  /**
   * All or nothing: every item is checked first and every problem reported with its index.
   * Answers the stored jobs in input order (a repeated idempotency key gives the earlier job).
   */
  async submitBatch(
    auth: AuthContext,
    dto: CreateJobsBatchDto,
    traceId: string,
  ): Promise<Array<InsertedJob | JobRow>> {
    const problems: FieldProblem[] = [];
    const jobs: NewJob[] = [];
    dto.jobs.forEach((item, index) => {
      try {
        const job = this.newJob(this.submissionOf(auth, item, traceId, undefined, index), index);
        if (needsFile(job.type))
          throw invalid(
            'type',
            `${job.type} jobs need a file: submit them one at a time as multipart`,
            index,
          );
        jobs.push(job);
      } catch (error) {
        if (!(error instanceof InvalidInputException)) throw error;
        problems.push(...((error.getResponse() as { details: FieldProblem[] }).details ?? []));
      }
    });
    if (problems.length > 0)
      throw new InvalidInputException(`${problems.length} invalid job(s); nothing was submitted`, problems);
    await this.queueCap.admit(
      auth.tenantId,
      jobs.map((job) => job.queue),
    );
    const inserted = await this.queue.insertMany(jobs);
    const byKey = new Map<string, InsertedJob | JobRow>();
    for (const row of inserted) if (row.idempotency_key) byKey.set(row.idempotency_key, row);
    const skippedKeys = jobs
      .map((job) => job.idempotencyKey)
      .filter((key): key is string => key !== null && !byKey.has(key));
    if (skippedKeys.length > 0)
      for (const row of await this.repository.findByIdempotencyKeys(auth.tenantId, skippedKeys))
        byKey.set(row.idempotency_key!, row);
    // Rows without a key come back in insert order; keyed ones are matched by key.
    const unkeyed = inserted.filter((row) => !row.idempotency_key);
    let next = 0;
    return jobs.map((job) => (job.idempotencyKey ? byKey.get(job.idempotencyKey)! : unkeyed[next++]));
  }

  async get(auth: AuthContext, id: string): Promise<JobDto> {
    const row = await this.repository.find(tenantScope(auth), id);
    if (!row) throw new NotFoundException(`No job ${id}`);
    return toJobDto(row);
  }

  list(auth: AuthContext, query: ListJobsQuery): Promise<JobPageDto> {
    const filters = {
      tenantId: tenantScope(auth, query.tenant_id),
      status: query.status,
      type: query.type,
      queue: query.queue,
    };
    return keysetPage(
      query,
      (limit, after) => this.repository.list(filters, limit, after),
      (row) => ({ at: row.position_at, id: row.id }),
      toJobSummaryDto,
    );
  }

  async cancel(auth: AuthContext, id: string): Promise<JobDto> {
    const outcome = await this.queue.cancel(tenantScope(auth), id);
    if (!outcome) throw new NotFoundException(`No job ${id}`);
    if (!outcome.cancelled)
      throw new ConflictException(
        `Job ${id} is ${outcome.previousStatus}: only scheduled, pending, failed or running jobs can be cancelled`,
      );
    return this.get(auth, id);
  }

  /** A failed, dead or cancelled job runs again at once, with a fresh attempt count. */
  async retry(auth: AuthContext, id: string): Promise<JobDto> {
    const [requeued] = await this.queue.requeue(tenantScope(auth), [id], RETRYABLE);
    if (!requeued) {
      const job = await this.get(auth, id); // 404 when it is not the caller's
      throw new ConflictException(
        `Job ${id} is ${job.status}: only ${RETRYABLE.join(', ')} jobs can be retried`,
      );
    }
    return this.get(auth, id);
  }
}
