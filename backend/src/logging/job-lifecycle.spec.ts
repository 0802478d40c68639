import { Writable } from 'node:stream';
import pino from 'pino';
import { JobLifecycleLog } from './job-lifecycle';

/** A real pino logger whose JSON lines are kept in memory. */
function collectingLogger(): { logger: pino.Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'info' }, stream), lines };
}

const job = (n: number) => ({ id: `job-${n}`, tenant_id: 't', type: 'email', attempts: 1, trace_id: null });

describe('JobLifecycleLog', () => {
  afterEach(() => jest.useRealTimers());

  it('writes routine lines up to the per-second budget, always writes failures, and reports what it skipped', async () => {
    jest.useFakeTimers({
      now: new Date('2026-12-01T12:00:00.100Z'),
      doNotFake: ['nextTick', 'setImmediate'],
    });
    const { logger, lines } = collectingLogger();
    const log = new JobLifecycleLog(logger, 'info', 3);
    for (let n = 0; n < 5; n++) log.log('started', job(n));
    log.log('failed', job(9), { error: 'boom' });
    jest.setSystemTime(new Date('2026-12-01T12:00:01.000Z'));
    log.log('completed', job(0));
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.map((line) => [line.event, line.job_id ?? line.count])).toEqual([
      ['started', 'job-0'],
      ['started', 'job-1'],
      ['started', 'job-2'],
      ['failed', 'job-9'],
      ['suppressed', 2],
      ['completed', 'job-0'],
    ]);
  });

  it('writes every line with no budget', () => {
    const { logger, lines } = collectingLogger();
    const log = new JobLifecycleLog(logger, 'info', 0);
    for (let n = 0; n < 50; n++) log.log('received', job(n));
    expect(lines).toHaveLength(50);
  });
});
