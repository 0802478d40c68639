import { context, propagation, type Context, type Span, trace } from '@opentelemetry/api';

/**
 * Tracing's state and the helpers the rest of the code calls. Only @opentelemetry/api is loaded
 * here (a no-op until an SDK registers): the SDK and its instrumentations take ~230 ms to load,
 * so sdk.ts is required only when tracing is switched on.
 */
let running: { shutdown(): Promise<void> } | undefined;

/** Called by sdk.ts once the SDK runs. */
export function tracingStarted(sdk: { shutdown(): Promise<void> }): void {
  running = sdk;
}

/** True once the SDK runs: every span-making path checks this first, so tracing off costs nothing. */
export function tracingEnabled(): boolean {
  return running !== undefined;
}

/** Flushes and stops the SDK (spans still buffered are exported). */
export async function stopTracing(): Promise<void> {
  const sdk = running;
  running = undefined;
  await sdk?.shutdown();
}

/** The active span's W3C traceparent (stored with a submitted job), or null when none. */
export function currentTraceParent(): string | null {
  if (!running) return null;
  const carrier: { traceparent?: string } = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ?? null;
}

/** The context a stored traceparent describes, to continue its trace; the root context when none. */
export function contextOf(traceParent: string | null): Context {
  if (!traceParent) return context.active();
  return propagation.extract(context.active(), { traceparent: traceParent });
}

/** trace_id and span_id of a span, for log lines. */
export function idsOf(span: Span | undefined): { trace_id?: string; span_id?: string } {
  const ids = span?.spanContext();
  return ids && trace.isSpanContextValid(ids) ? { trace_id: ids.traceId, span_id: ids.spanId } : {};
}

/** trace_id and span_id of the active span (pino's mixin: every log line made inside a span). */
export function activeIds(): { trace_id?: string; span_id?: string } {
  return running ? idsOf(trace.getActiveSpan()) : {};
}
