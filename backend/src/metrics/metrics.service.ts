import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { collectDefaultMetrics, register } from 'prom-client';
import { httpRequestDuration } from './http.metrics';
import {
  jobGauges,
  type JobMetricsSnapshot,
  toJobMetricsSnapshot,
  useJobSnapshotSource,
} from './job.metrics';
import { MetricsRepository } from './metrics.repository';
import { logFailure } from '../logging/log-failure';

/** One of the Node defaults: when it is registered, collectDefaultMetrics already ran in this process. */
const DEFAULT_METRIC_PROBE = 'process_cpu_user_seconds_total';

/**
 * Everything /metrics exports, on prom-client's default registry: the Node defaults, the HTTP
 * histogram, the rate limiter's refusals and the job gauges, which read the database at scrape
 * time.
 */
@Injectable()
export class MetricsService implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(MetricsService.name);
  /** The read in flight: concurrent scrapes, and every gauge of one scrape, share one. */
  private reading?: Promise<JobMetricsSnapshot | null>;
  private databaseDown = false;
  private stopServing?: () => void;

  constructor(private readonly repository: MetricsRepository) {}

  onModuleInit(): void {
    // The registry is per process, and prom-client refuses a metric name twice.
    if (!register.getSingleMetric(DEFAULT_METRIC_PROBE)) collectDefaultMetrics();
    httpRequestDuration();
    jobGauges();
    this.stopServing = useJobSnapshotSource(() => this.jobSnapshot());
  }

  onApplicationShutdown(): void {
    this.stopServing?.();
  }

  /** The exposition text; its content type is register.contentType. */
  render(): Promise<string> {
    return register.metrics();
  }

  private jobSnapshot(): Promise<JobMetricsSnapshot | null> {
    this.reading ??= this.readJobSnapshot().finally(() => (this.reading = undefined));
    return this.reading;
  }

  private async readJobSnapshot(): Promise<JobMetricsSnapshot | null> {
    try {
      const { counts, lastMinute, fleet, oldestReadySeconds } = await this.repository.jobMetrics();
      if (this.databaseDown) this.logger.log('metrics: the database answers again');
      this.databaseDown = false;
      return { ...toJobMetricsSnapshot(counts, lastMinute), fleet, oldestReadySeconds };
    } catch (error) {
      // Never a 500: the scrape still brings the process's own metrics, and database_up 0.
      if (!this.databaseDown)
        logFailure(this.logger, 'metrics: cannot read job metrics from the database', error);
      this.databaseDown = true;
      return null;
    }
  }
}
