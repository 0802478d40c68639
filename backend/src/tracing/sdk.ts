import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { NestInstrumentation } from '@opentelemetry/instrumentation-nestjs-core';
import { PgInstrumentation } from '@opentelemetry/instrumentation-pg';
import { NodeSDK } from '@opentelemetry/sdk-node';
import { type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { tracingEnabled, tracingStarted } from './tracing';

/** Probes and scrapes come every few seconds from every orchestrator and Prometheus: no traces. */
const UNTRACED_PATHS = new Set(['/health', '/ready', '/metrics']);

export interface TracingOptions {
  serviceName: string;
  /** OTLP/HTTP base URL (…:4318); the exporter posts to <endpoint>/v1/traces. */
  endpoint?: string;
  /** Instead of the OTLP exporter (tests: the SDK's in-memory exporter). */
  spanProcessors?: SpanProcessor[];
}

/**
 * Starts the OpenTelemetry SDK with the HTTP, pg and NestJS instrumentations and W3C trace
 * context. Must run before http, pg and @nestjs/core are first required (the instrumentations
 * patch them as they load): main.api.ts and main.worker.ts import ./register-* first for that.
 */
export function startTracing(options: TracingOptions): void {
  if (tracingEnabled()) return;
  const sdk = new NodeSDK({
    serviceName: options.serviceName,
    ...(options.spanProcessors
      ? { spanProcessors: options.spanProcessors }
      : {
          traceExporter: new OTLPTraceExporter({
            url: `${options.endpoint!.replace(/\/+$/, '')}/v1/traces`,
          }),
        }),
    textMapPropagator: new W3CTraceContextPropagator(),
    instrumentations: [
      new HttpInstrumentation({
        ignoreIncomingRequestHook: (req) => UNTRACED_PATHS.has(req.url?.split('?')[0] ?? ''),
      }),
      new PgInstrumentation(),
      new NestInstrumentation(),
    ],
  });
  sdk.start();
  tracingStarted(sdk);
}
