import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsDefined,
  IsInt,
  IsISO8601,
  IsObject,
  IsOptional,
  IsString,
  Length,
  Max,
  Min,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { KeptAsSent } from '../../common/kept-as-sent';
import { MAX_ATTEMPTS_LIMIT } from '../../queue/job-submission';

export const MAX_BATCH_JOBS = 1_000;
/** Well under the ~2,700 bytes a btree entry of the idempotency index can hold (a longer key was a 500). */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 200;
const MAX_DELAY_MS = 366 * 24 * 3600 * 1000;
/** A task is a name, not a payload: long enough for any name a script gives, short enough to index and log. */
export const MAX_TASK_LENGTH = 256;

/**
 * A job to run. Two shorter shapes that scripts written for simpler job services send are taken
 * too: `{ payload: { task }, idempotency_key, max_retries }` as is, and a top-level `{ task }`
 * (a `default` job whose payload is `{ task }`).
 */
export class CreateJobDto {
  @ApiPropertyOptional({
    example: 'email',
    description: 'A registered type (GET /api/v1/job-types); default `default`',
  })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  type?: string;

  @ApiPropertyOptional({
    example: { to: 'a@example.com', subject: 'Hi' },
    description: 'A JSON object given to the handler; required unless `task` is given',
  })
  // Not required when the top-level task stands for it; the service refuses both together.
  @ValidateIf((dto: CreateJobDto) => dto.task === undefined || dto.payload !== undefined)
  @IsDefined({ message: 'payload is required (or give task alone)' })
  @IsObject({ message: 'payload must be a JSON object' })
  @KeptAsSent()
  payload?: Record<string, unknown>;

  @ApiPropertyOptional({
    example: 'process_data',
    maxLength: MAX_TASK_LENGTH,
    description:
      'Shorthand for `{"type": "default", "payload": {"task": <task>}}`: give it instead of type and payload. The default handler fails the task named `fail` (retries, then the DLQ) and simulates work for any other',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_TASK_LENGTH)
  task?: string;

  @ApiPropertyOptional({ example: 'default', description: '1-64 letters, digits, _ . : -' })
  @IsOptional()
  @IsString()
  queue?: string;

  @ApiPropertyOptional({ example: 0, description: 'Lower runs first' })
  @IsOptional()
  @IsInt()
  priority?: number;

  @ApiPropertyOptional({ example: 4, description: `Tries in all, 1-${MAX_ATTEMPTS_LIMIT}; default 4` })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(MAX_ATTEMPTS_LIMIT)
  max_attempts?: number;

  @ApiPropertyOptional({
    example: 3,
    description: 'Retries after the first try: max_attempts = max_retries + 1',
  })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_ATTEMPTS_LIMIT - 1)
  max_retries?: number;

  @ApiPropertyOptional({ example: '2026-12-01T09:00:00Z', description: 'Do not run before (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  run_at?: string;

  @ApiPropertyOptional({ example: 60000, description: 'Do not run for this many ms' })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(MAX_DELAY_MS)
  delay_ms?: number;

  @ApiPropertyOptional({
    example: 60000,
    description:
      "Each attempt's time limit in ms; default per job type (GET /api/v1/job-types), at most JOB_TIMEOUT_MAX_MS (default 3,600,000). A timed-out attempt fails and is retried",
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  timeout_ms?: number;

  @ApiPropertyOptional({
    example: 'order-1234',
    description: 'A repeat with the same key returns the first job',
  })
  @IsOptional()
  @IsString()
  @Length(1, MAX_IDEMPOTENCY_KEY_LENGTH)
  idempotency_key?: string;
}

export class CreateJobsBatchDto {
  @ApiProperty({ type: [CreateJobDto], description: `1-${MAX_BATCH_JOBS} jobs, inserted all or none` })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(MAX_BATCH_JOBS)
  @ValidateNested({ each: true })
  @Type(() => CreateJobDto)
  jobs!: CreateJobDto[];
}

/** The multipart form of POST /api/v1/jobs (an `analyze` job with its log file). */
export class CreateJobMultipartDto {
  @ApiProperty({ example: 'analyze' }) type!: string;
  @ApiProperty({ example: '{"patterns": ["ERROR", "WARN"]}', description: 'A JSON object, as a string' })
  payload!: string;
  @ApiPropertyOptional({
    type: 'string',
    format: 'binary',
    description: 'The file (or use field `filename`)',
  })
  file?: unknown;
}
