import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Pool } from 'pg';
import pino from 'pino';
import { JOB_HANDLERS } from '../src/handlers/handler-registry';
import { JobLifecycleLog } from '../src/logging/job-lifecycle';
import { JobQueue } from '../src/queue/job-queue';
import { startTracing } from '../src/tracing/sdk';
import { stopTracing } from '../src/tracing/tracing';
import { WorkerRuntime } from '../src/worker/worker-runtime';
import { jobFactory } from './support/job-factory';
import { waitUntil } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const quiet = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('tracing: a job continues the trace of the request that submitted it (real SDK, in-memory exporter)', () => {
  const exporter = new InMemorySpanExporter();
  let db: TestDatabase;
  let pool: Pool;
  let tenant: string;

  beforeAll(async () => {
    startTracing({ serviceName: 'conveyor-test', spanProcessors: [new SimpleSpanProcessor(exporter)] });
    db = await createTestDatabase();
    pool = new Pool({ connectionString: db.url, max: 4 });
    [{ id: tenant }] = await query<{ id: string }>(
      db.url,
      `INSERT INTO tenants (name) VALUES ('acme') RETURNING id`,
    );
  });
  afterAll(async () => {
    await stopTracing();
    await pool.end();
    await db.drop();
  });

  it('stores the submit span as traceparent; the worker adds wait and run spans under it and logs their ids', async () => {
    const queue = new JobQueue(pool);
    const submit = trace.getTracer('test').startSpan('POST /api/v1/jobs');
    const { traceId, spanId } = submit.spanContext();
    const [ok, dies] = await context.with(trace.setSpan(context.active(), submit), () =>
      Promise.all([
        queue.insertOne(jobFactory.build(tenant, { traceId })),
        queue.insertOne(jobFactory.build(tenant, { type: 'fail', maxAttempts: 1, traceId })),
      ]),
    );
    submit.end();
    const untraced = await queue.insertOne(jobFactory.build(tenant));
    const stored = await query<{ id: string; trace_parent: string | null }>(
      db.url,
      'SELECT id, trace_parent FROM jobs',
    );
    const parentOf = (id: string) => stored.find((row) => row.id === id)!.trace_parent;
    expect(parentOf(ok!.id)).toBe(`00-${traceId}-${spanId}-01`);
    expect(parentOf(dies!.id)).toBe(`00-${traceId}-${spanId}-01`);
    expect(parentOf(untraced!.id)).toBeNull(); // no span active: no other caller's context either

    // Submitted an hour ago, before this process started: its wait span starts then (the claim
    // hands the worker epoch milliseconds, which OpenTelemetry must not read as a process-relative time).
    const [{ created_ms: createdMs }] = await query<{ created_ms: number }>(
      db.url,
      `UPDATE jobs SET created_at = created_at - interval '1 hour' WHERE id = $1
       RETURNING (extract(epoch FROM created_at) * 1000)::float8 AS created_ms`,
      [ok!.id],
    );

    const lines: Array<Record<string, unknown>> = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const runtime = new WorkerRuntime(
      queue,
      JOB_HANDLERS,
      {
        workerId: 'traced-worker',
        concurrency: 2,
        prefetch: 0,
        leaseSeconds: 30,
        pollIntervalMs: 100,
        backoff: { baseMs: 10, maxMs: 10 },
      },
      quiet,
      () => ({ read: () => Promise.reject(new Error('no files')) }),
      undefined,
      new JobLifecycleLog(logger, 'info'),
    );
    runtime.start();
    try {
      const ended = (name: string) =>
        exporter
          .getFinishedSpans()
          .filter((span) => span.name === name && span.spanContext().traceId === traceId);
      await waitUntil('both run spans ended', () => ended('conveyor.job.run').length === 3 - 1);
    } finally {
      await runtime.stop(1_000);
    }

    const spans = exporter.getFinishedSpans();
    const spanOf = (name: string, jobId: string): ReadableSpan =>
      spans.find((span) => span.name === name && span.attributes['conveyor.job.id'] === jobId)!;
    for (const id of [ok!.id, dies!.id]) {
      const wait = spanOf('conveyor.job.wait', id);
      const run = spanOf('conveyor.job.run', id);
      for (const span of [wait, run]) {
        expect(span.spanContext().traceId).toBe(traceId);
        expect(span.parentSpanContext?.spanId).toBe(spanId);
      }
      // submit → wait → run: the wait ends where the run begins
      expect(wait.endTime).toEqual(run.startTime);
    }
    const [seconds, nanos] = spanOf('conveyor.job.wait', ok!.id).startTime;
    expect(Math.abs(seconds * 1000 + nanos / 1e6 - createdMs)).toBeLessThan(1);
    expect(spanOf('conveyor.job.run', ok!.id).attributes['conveyor.job.outcome']).toBe('completed');
    const failed = spanOf('conveyor.job.run', dies!.id);
    expect(failed.attributes['conveyor.job.outcome']).toBe('dead');
    expect(failed.status.code).toBe(SpanStatusCode.ERROR);
    // The untraced job still runs, in a trace of its own.
    const lone = spanOf('conveyor.job.run', untraced!.id);
    expect(lone.spanContext().traceId).not.toBe(traceId);
    expect(lone.parentSpanContext).toBeUndefined();

    const runSpanId = spanOf('conveyor.job.run', ok!.id).spanContext().spanId;
    const okLines = lines.filter((line) => line.job_id === ok!.id);
    expect(okLines.map((line) => [line.event, line.trace_id, line.span_id])).toEqual([
      ['started', traceId, runSpanId],
      ['completed', traceId, runSpanId],
    ]);
  });
});
