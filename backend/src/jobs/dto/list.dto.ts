import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsInt,
  IsOptional,
  IsString,
  IsUUID,
  Length,
  Max,
  Min,
  ValidateNested,
} from 'class-validator';
import { type MetricsSummary } from '../../../../contracts/src/event-map';
import { JOB_STATES, type JobState } from '../../queue/job-states';
import {
  STATUS_FILTER_MESSAGE,
  STATUS_FILTER_VALUES,
  STATUS_SYNONYMS_TEXT,
  toJobState,
} from './status-filter';

export const MAX_PAGE = 500;
const toInt = ({ value }: { value: unknown }): unknown =>
  typeof value === 'string' && /^-?\d+$/.test(value) ? Number(value) : value;

/** The filters a job list and a DLQ selection share. */
class JobFilterFields {
  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  type?: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsString()
  @Length(1, 64)
  queue?: string;
}

class PageQuery extends JobFilterFields {
  @ApiPropertyOptional({ minimum: 1, maximum: MAX_PAGE, default: 50 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  limit?: number;

  @ApiPropertyOptional({ description: 'next_cursor of the previous page' })
  @IsOptional()
  @IsString()
  @Length(1, 200)
  cursor?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only: one tenant (default: all)' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

export class ListJobsQuery extends PageQuery {
  @ApiPropertyOptional({
    enum: STATUS_FILTER_VALUES,
    description: `One state; other services' names for them are taken too (${STATUS_SYNONYMS_TEXT}). Jobs in the answer always carry Conveyor's names`,
  })
  @IsOptional()
  @Transform(toJobState)
  @IsIn(Object.values(JOB_STATES), { message: STATUS_FILTER_MESSAGE })
  status?: JobState;
}

export class ListDeadJobsQuery extends PageQuery {}

export class DeadJobFilterDto extends JobFilterFields {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

/** Either `ids` (up to 1,000) or `filter` (every matching DLQ entry; `{}` means all). */
export class DeadJobSelectionDto {
  @ApiPropertyOptional({ type: [String], format: 'uuid' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(1_000)
  @IsUUID('all', { each: true })
  ids?: string[];

  @ApiPropertyOptional({ type: DeadJobFilterDto })
  @IsOptional()
  @ValidateNested()
  @Type(() => DeadJobFilterDto)
  filter?: DeadJobFilterDto;
}

export class DeadJobDto {
  @ApiProperty({ format: 'uuid' }) job_id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() queue!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiProperty() attempts!: number;
  @ApiProperty() max_attempts!: number;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ type: 'array', items: { type: 'object' } }) errors!: unknown[];
  @ApiProperty({ nullable: true, type: String }) trace_id!: string | null;
  @ApiProperty() job_created_at!: string;
  @ApiProperty() died_at!: string;
}

export class DeadJobPageDto {
  @ApiProperty({ type: [DeadJobDto] }) jobs!: DeadJobDto[];
  @ApiProperty({ nullable: true, type: String }) next_cursor!: string | null;
}

export class DeadJobCountDto {
  @ApiProperty({ description: 'DLQ entries matching the filter, counted up to `cap` + 1' }) count!: number;
  @ApiProperty({ description: 'True when there are more than `cap`: count then says cap + 1' })
  capped!: boolean;
  @ApiProperty() cap!: number;
}

export class DeadJobActionResultDto {
  @ApiProperty({ description: 'How many DLQ entries were retried or discarded' }) count!: number;
  @ApiProperty({ type: [String] }) ids!: string[];
  @ApiProperty({
    description:
      'By filter: matching entries that died before the request and are still there (a call acts on at most 5,000; send it again for the rest). By ids: 0',
  })
  remaining!: number;
}

export class QueueDepthDto {
  @ApiProperty() queue!: string;
  @ApiProperty({ description: 'Due later' }) scheduled!: number;
  @ApiProperty() pending!: number;
  @ApiProperty() running!: number;
  @ApiProperty({ description: 'Waiting for a retry' }) failed!: number;
  @ApiProperty() dead!: number;
  @ApiProperty() completed!: number;
  @ApiProperty() cancelled!: number;
}

export class QueueDepthsDto {
  @ApiProperty({
    type: [QueueDepthDto],
    description: 'Queues with jobs, most waiting (scheduled + pending + failed) first, at most 100',
  })
  queues!: QueueDepthDto[];
}

export class TimeseriesQuery {
  @ApiPropertyOptional({ minimum: 1, maximum: 1440, default: 60 })
  @IsOptional()
  @Transform(toInt)
  @IsInt()
  @Min(1)
  @Max(1440)
  minutes?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only: one tenant (default: all)' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

export class SummaryQuery {
  @ApiPropertyOptional({ format: 'uuid', description: 'Admins only: one tenant (default: all)' })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}

export class MetricsSummaryDto implements MetricsSummary {
  @ApiProperty({ description: 'Jobs kept (finished ones are pruned after RETENTION_DAYS)' })
  total_jobs!: number;
  @ApiProperty({ description: 'Due later: run_at is ahead' }) scheduled_jobs!: number;
  @ApiProperty({ description: 'Due, waiting for a worker' }) pending_jobs!: number;
  @ApiProperty() running_jobs!: number;
  @ApiProperty() completed_jobs!: number;
  @ApiProperty({ description: 'An attempt failed; a retry is scheduled' }) failed_jobs!: number;
  @ApiProperty({ description: 'Attempts exhausted: in the dead-letter queue' }) dlq_jobs!: number;
  @ApiProperty() cancelled_jobs!: number;
  @ApiProperty({ description: 'Running now (= running_jobs)' }) active_jobs!: number;
  @ApiProperty({ description: 'Waiting: scheduled + pending + failed' }) queue_length!: number;
  @ApiProperty({ description: 'Completions per second over the last minute' }) throughput_per_second!: number;
  @ApiProperty({ description: 'Failed attempts / finished attempts over the last minute' })
  failure_rate!: number;
  @ApiProperty({ description: 'Completions per minute over the last minute' }) completed_per_minute!: number;
  @ApiProperty({ description: 'Failed attempts per minute over the last minute' }) failed_per_minute!: number;
}

export class TimeseriesPointDto {
  @ApiProperty() minute!: string;
  @ApiProperty() submitted!: number;
  @ApiProperty() started!: number;
  @ApiProperty() completed!: number;
  @ApiProperty() failed!: number;
  @ApiProperty() retried!: number;
  @ApiProperty() dead!: number;
  @ApiProperty({ nullable: true, type: Number }) avg_run_ms!: number | null;
  @ApiProperty({ nullable: true, type: Number }) avg_wait_ms!: number | null;
}

export class TimeseriesDto {
  @ApiProperty() minutes!: number;
  @ApiProperty({ type: [TimeseriesPointDto] }) points!: TimeseriesPointDto[];
}
