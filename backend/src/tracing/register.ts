import { loadConfig } from '../config/load-config';

/**
 * Imported first by each process entry point (through register-api.ts / register-worker.ts):
 * with OTEL_EXPORTER_OTLP_ENDPOINT set, starts the SDK before anything it instruments is loaded.
 * An invalid configuration is left for the entry point to report with every other bad variable.
 */
export function registerTracing(serviceName: string): void {
  let endpoint: string;
  try {
    endpoint = loadConfig().OTEL_EXPORTER_OTLP_ENDPOINT;
  } catch {
    return;
  }
  if (!endpoint) return;
  // Required only now: the SDK costs ~230 ms of start-up that a process without tracing skips.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  (require('./sdk') as typeof import('./sdk')).startTracing({ serviceName, endpoint });
}
