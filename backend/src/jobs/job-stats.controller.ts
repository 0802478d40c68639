import { Controller, Get, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import {
  MetricsSummaryDto,
  QueueDepthsDto,
  SummaryQuery,
  TimeseriesDto,
  TimeseriesQuery,
} from './dto/list.dto';
import { JobStatsService } from './job-stats.service';

@ApiTags('metrics')
@Authenticated()
@Controller('api/v1/jobs/metrics')
export class JobStatsController {
  constructor(private readonly stats: JobStatsService) {}

  @Get('summary')
  @ApiOperation({
    summary: 'Counts by status, queue length, throughput and failure rate over the last minute',
  })
  @ApiOkResponse({ type: MetricsSummaryDto })
  summary(@Auth() auth: AuthContext, @Query() query: SummaryQuery): Promise<MetricsSummaryDto> {
    return this.stats.summary(auth, query.tenant_id);
  }

  @Get('queues')
  @ApiOperation({ summary: 'Jobs per status in each queue, the most waiting first' })
  @ApiOkResponse({ type: QueueDepthsDto })
  queues(@Auth() auth: AuthContext, @Query() query: SummaryQuery): Promise<QueueDepthsDto> {
    return this.stats.queues(auth, query.tenant_id);
  }

  @Get('timeseries')
  @ApiOperation({
    summary: 'Per-minute submitted, started, completed, failed, retried, dead and mean run/wait times',
  })
  @ApiOkResponse({ type: TimeseriesDto })
  timeseries(@Auth() auth: AuthContext, @Query() query: TimeseriesQuery): Promise<TimeseriesDto> {
    return this.stats.timeseries(auth, query.minutes, query.tenant_id);
  }
}
