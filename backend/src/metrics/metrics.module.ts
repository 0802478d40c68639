import { Module } from '@nestjs/common';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { MetricsTokenGuard } from './metrics-token.guard';

/**
 * GET /metrics for Prometheus (needs AppConfig and the global DatabaseModule). The HTTP histogram
 * is fed by recordHttpMetrics(), which the API app registers as its first middleware.
 */
@Module({
  controllers: [MetricsController],
  providers: [MetricsRepository, MetricsService, MetricsTokenGuard],
})
export class MetricsModule {}
