import { context, type Context, type Span, SpanStatusCode, trace } from '@opentelemetry/api';
import { contextOf, tracingEnabled } from './tracing';

export interface TracedJob {
  id: string;
  tenant_id: string;
  queue: string;
  type: string;
  attempts: number;
  trace_parent?: string | null;
  /** When the job was submitted, in epoch milliseconds. */
  created_at_ms?: number;
}

export type JobOutcome = 'completed' | 'retry_scheduled' | 'dead' | 'released' | 'stopped';

/** One attempt of a job in its submitter's trace: the wait (submitted → handler start), then the run. */
export interface JobSpans {
  run: Span;
  /** The run span's context: the handler runs in it, so its queries and log lines join the trace. */
  context: Context;
}

/**
 * Continues the trace of the request that submitted the job: a `conveyor.job.wait` span from
 * its creation to now, and a `conveyor.job.run` span opened now and ended with the outcome.
 * Undefined with tracing off.
 */
export function startJobSpans(job: TracedJob): JobSpans | undefined {
  if (!tracingEnabled()) return undefined;
  const tracer = trace.getTracer('conveyor-worker');
  const parent = contextOf(job.trace_parent ?? null);
  const attributes = {
    'conveyor.job.id': job.id,
    'conveyor.job.type': job.type,
    'conveyor.job.queue': job.queue,
    'conveyor.job.attempt': job.attempts,
    'conveyor.tenant.id': job.tenant_id,
  };
  const now = new Date();
  if (job.created_at_ms !== undefined)
    tracer.startSpan('conveyor.job.wait', { startTime: job.created_at_ms, attributes }, parent).end(now);
  const run = tracer.startSpan('conveyor.job.run', { startTime: now, attributes }, parent);
  return { run, context: trace.setSpan(parent, run) };
}

/** Ends the run span once the outcome is written (or known never to be). */
export function endJobSpans(spans: JobSpans | undefined, outcome: JobOutcome, error?: string): void {
  if (!spans) return;
  spans.run.setAttribute('conveyor.job.outcome', outcome);
  if (error !== undefined) spans.run.setStatus({ code: SpanStatusCode.ERROR, message: error });
  spans.run.end();
}

/** Runs `work` inside the job's run span when there is one. */
export function inJobContext<T>(spans: JobSpans | undefined, work: () => T): T {
  return spans ? context.with(spans.context, work) : work();
}
