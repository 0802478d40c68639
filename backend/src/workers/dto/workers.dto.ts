import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One worker process as the registry holds it (admins only). */
export class WorkerDto {
  @ApiProperty({ example: 'worker-7d9f-abcde:1', description: 'host:pid, the lease owner of its jobs' })
  id!: string;
  @ApiProperty({ example: 'worker-7d9f-abcde' }) host!: string;
  @ApiProperty({ example: 1 }) pid!: number;
  @ApiProperty({ example: '0.1.0' }) version!: string;
  @ApiProperty({ example: 5, description: 'Jobs it runs at once' }) concurrency!: number;
  @ApiProperty({
    example: 3,
    description: 'Jobs it held at its last heartbeat: running, prefetched, unwritten',
  })
  jobs_in_hand!: number;
  @ApiProperty({ format: 'date-time' }) started_at!: string;
  @ApiProperty({ format: 'date-time' }) last_seen_at!: string;
  @ApiProperty({ description: 'Seen within WORKERS_STALE_SECONDS; a row that is not is pruned soon' })
  live!: boolean;
}

export class WorkersDto {
  @ApiProperty({ example: 4, description: 'Worker processes seen within WORKERS_STALE_SECONDS' })
  live_workers!: number;
  @ApiProperty({ example: 20, description: 'Their summed concurrency' })
  live_slots!: number;
  @ApiPropertyOptional({
    type: [WorkerDto],
    description: 'Every row of the registry, live or not yet pruned: admin keys only',
  })
  workers?: WorkerDto[];
}
