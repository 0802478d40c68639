import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { JOB_STATES, type JobState } from '../../queue/job-states';

export class JobErrorDto {
  @ApiProperty() attempt!: number;
  @ApiProperty() error!: string;
  @ApiProperty() at!: string;
}

/** A job in lists: everything but payload, result and the error history. */
export class JobSummaryDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() queue!: string;
  @ApiProperty() type!: string;
  @ApiProperty({ enum: Object.values(JOB_STATES) }) status!: JobState;
  @ApiProperty() priority!: number;
  @ApiProperty() attempts!: number;
  @ApiProperty() max_attempts!: number;
  @ApiProperty({ minimum: 0, maximum: 100 }) progress!: number;
  @ApiProperty({ nullable: true, type: String }) last_error!: string | null;
  @ApiProperty({ nullable: true, type: String }) idempotency_key!: string | null;
  @ApiProperty({ nullable: true, type: String }) trace_id!: string | null;
  @ApiProperty() run_at!: string;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
  @ApiProperty({ nullable: true, type: String }) started_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) finished_at!: string | null;
}

export class JobDto extends JobSummaryDto {
  @ApiProperty({ type: 'object', additionalProperties: true }) payload!: Record<string, unknown>;
  @ApiProperty({ nullable: true, description: "The handler's JSON result" }) result!: unknown;
  @ApiProperty({ type: [JobErrorDto], description: "Every failed attempt's error" }) errors!: JobErrorDto[];
}

export class JobPageDto {
  @ApiProperty({ type: [JobSummaryDto] }) jobs!: JobSummaryDto[];
  @ApiPropertyOptional({
    nullable: true,
    type: String,
    description: 'Pass as `cursor` for the next page; null at the end',
  })
  next_cursor!: string | null;
}

export class JobBatchDto {
  @ApiProperty({
    type: [JobDto],
    description: 'In the order submitted; a repeated idempotency key gives the first job',
  })
  jobs!: JobDto[];
}

/** A job as `Prefer: return=minimal` answers it: what a caller needs to follow it up. */
export class JobRefDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ enum: Object.values(JOB_STATES) }) status!: JobState;
}

export class JobBatchMinimalDto {
  @ApiProperty({
    type: [JobRefDto],
    description: 'In the order submitted; a repeated idempotency key gives the first job',
  })
  jobs!: JobRefDto[];
}

export class JobTypeDto {
  @ApiProperty() type!: string;
  @ApiProperty() description!: string;
  @ApiProperty({ type: 'object', additionalProperties: true }) example_payload!: Record<string, unknown>;
  @ApiProperty({ description: "An attempt's time limit when the job gives no timeout_ms" })
  default_timeout_ms!: number;
}
