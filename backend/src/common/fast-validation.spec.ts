import 'reflect-metadata';
import { type ArgumentMetadata } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, Length } from 'class-validator';
import { CreateJobDto, CreateJobsBatchDto } from '../jobs/dto/create-job.dto';
import { type DtoClass, dtoSchema, compileFastCheck, markPlainJsonBody } from './fast-validation';
import { scanJsonBody } from './json-body-check';
import { apiValidationPipe } from './validation';

const slowPipe = apiValidationPipe();
const jobCheck = compileFastCheck(CreateJobDto);
const batchCheck = compileFastCheck(CreateJobsBatchDto);
const body = (metatype: DtoClass): ArgumentMetadata => ({ type: 'body', metatype: metatype as never });

const STRINGS = [
  '',
  ' ',
  'a',
  'default',
  'x'.repeat(64),
  'x'.repeat(65),
  'x'.repeat(200),
  'x'.repeat(201),
  'x'.repeat(256),
  'x'.repeat(257),
  '\uFE0F',
  'a\uFE0F',
  '\uFE0F\uFE0F',
  '😀'.repeat(64),
  '😀'.repeat(65),
  'a\uFE0F'.repeat(64),
  'a\uFE0F'.repeat(65),
  '2026-12-01T09:00:00Z',
  '2026-12-01',
  '1',
];
const NUMBERS = [0, -0, 1, -1, 1.5, 99, 100, 101, 1e21, 2 ** 53, 31_622_400_000, 31_622_400_001, -1e21];
const OTHERS = [
  null,
  true,
  false,
  [],
  [1],
  {},
  { a: 1 },
  { nested: { list: [1, 'x'] } },
  // Names of Object.prototype's members: class-transformer skips them in nested objects (a
  // payload keeps them), the body check refuses __proto__, constructor and prototype.
  JSON.parse('{"toString": "k", "valueOf": 1, "x": 1}'),
  JSON.parse('{"deep": [{"hasOwnProperty": true, "__proto__": {"p": 1}, "y": 2}]}'),
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
];
const VALUES: unknown[] = [...STRINGS, ...NUMBERS, ...OTHERS];
const PROPERTIES = [
  'type',
  'payload',
  'task',
  'queue',
  'priority',
  'max_attempts',
  'max_retries',
  'run_at',
  'delay_ms',
  'timeout_ms',
  'idempotency_key',
  'unknown_field',
];

/** A small seeded generator, so that a failure names an item that can be run again. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}

function items(): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const property of PROPERTIES)
    for (const value of VALUES) {
      out.push({ payload: {}, [property]: value });
      out.push({ [property]: value });
    }
  const next = random(7);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)];
  for (let i = 0; i < 3_000; i++) {
    const item: Record<string, unknown> = next() < 0.8 ? { payload: pick(OTHERS) } : {};
    for (let k = Math.floor(next() * 4); k > 0; k--) item[pick(PROPERTIES)] = pick(VALUES);
    out.push(item);
  }
  return out;
}

/** Sorted keys, undefined left out: two values handed on compare as the same JSON. */
function canonical(value: unknown): string {
  const sorted = (v: unknown): unknown =>
    Array.isArray(v)
      ? v.map(sorted)
      : v !== null && typeof v === 'object'
        ? Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((key) => [key, sorted((v as Record<string, unknown>)[key])]),
          )
        : v;
  return JSON.stringify(sorted(value));
}

const REFUSED = 'refused';

/** What a pipe hands on for a JSON text, after the body check marks it as the API's does. */
async function outcome(pipe: ReturnType<typeof apiValidationPipe>, metatype: DtoClass, text: string) {
  const parsed = JSON.parse(text) as object;
  const scan = scanJsonBody(parsed);
  if (scan.problem) return REFUSED;
  if (!scan.prototypeKeys) markPlainJsonBody(parsed);
  return pipe.transform(parsed, body(metatype)).then(canonical, () => REFUSED);
}

describe('the fast validation path', () => {
  it('hands on every job submission exactly as class-validator’s path does, or leaves it to it', async () => {
    const fastPipe = apiValidationPipe([CreateJobDto, CreateJobsBatchDto]);
    let fastAccepted = 0;
    for (const item of items()) {
      for (const [metatype, value] of [
        [CreateJobDto, item],
        [CreateJobsBatchDto, { jobs: [{ payload: {} }, item] }],
      ] as const) {
        const text = JSON.stringify(value);
        if ((metatype === CreateJobDto ? jobCheck : batchCheck)(JSON.parse(text))) fastAccepted++;
        const [fast, slow] = [
          await outcome(fastPipe, metatype, text),
          await outcome(slowPipe, metatype, text),
        ];
        if (fast !== slow) throw new Error(`${text}: the fast path gave ${fast}, class-validator's ${slow}`);
      }
    }
    // The corpus exercises both sides: many items pass the fast check, many do not.
    expect(fastAccepted).toBeGreaterThan(500);
  });

  it('accepts the batches and items submitters send most', () => {
    const job = { type: 'default', payload: { duration_ms: 0 } };
    const full = {
      type: 'email',
      payload: { to: 'a@example.com' },
      queue: 'mail',
      priority: -3,
      max_attempts: 5,
      delay_ms: 1000,
      timeout_ms: 60_000,
      idempotency_key: 'order-1234',
    };
    expect(jobCheck(job)).toBe(true);
    expect(jobCheck(full)).toBe(true);
    expect(batchCheck({ jobs: Array.from({ length: 1_000 }, () => job) })).toBe(true);
    expect(batchCheck({ jobs: [full, { payload: {}, max_retries: 2 }] })).toBe(true);
  });

  it('leaves batches class-validator must refuse or name to it', () => {
    for (const value of [
      {},
      { jobs: [] },
      { jobs: {} },
      { jobs: [null] },
      { jobs: [1] },
      { jobs: [[{ payload: {} }]] },
      { jobs: Array.from({ length: 1_001 }, () => ({ payload: {} })) },
      { jobs: [{ payload: {} }], extra: 1 },
      // Valid, but a shape the schema does not cover (task alone, run_at): class-validator decides.
      { jobs: [{ task: 'x' }] },
      { jobs: [{ payload: {}, run_at: '2026-12-01T09:00:00Z' }] },
    ])
      expect(batchCheck(value)).toBe(false);
  });

  it('translates an unknown rule, a transform or behaviour to falling back', () => {
    class Unknown {
      @IsOptional() @IsEmail() email?: string;
      @IsOptional() @IsString() @Length(1, 10) name?: string;
    }
    expect(compileFastCheck(Unknown)({ name: 'a' })).toBe(true);
    expect(compileFastCheck(Unknown)({ email: 'a@example.com' })).toBe(false);
    class LongMinimum {
      @IsString() @Length(2, 10) name!: string;
    }
    expect(compileFastCheck(LongMinimum)({ name: 'ab' })).toBe(false);
    class Transformed {
      @IsInt() @Transform(({ value }) => Number(value)) n!: number;
    }
    expect(compileFastCheck(Transformed)({ n: 1 })).toBe(false);
    class WithBehaviour {
      @IsInt() n!: number;
      double(): number {
        return this.n * 2;
      }
    }
    expect(dtoSchema(WithBehaviour)).toBe(false);
  });

  it('is taken by the pipe only for plain JSON bodies of the DTOs given it', async () => {
    const pipe = apiValidationPipe([CreateJobsBatchDto]);
    const plain = { jobs: [{ payload: { n: 1 } }] };
    markPlainJsonBody(plain);
    expect(await pipe.transform(plain, body(CreateJobsBatchDto))).toBe(plain);
    // Not marked (a multipart form, or a body holding a prototype key): validated and copied.
    const unmarked = { jobs: [{ payload: { n: 1 } }] };
    const copied = await pipe.transform(unmarked, body(CreateJobsBatchDto));
    expect(copied).not.toBe(unmarked);
    expect(copied).toBeInstanceOf(CreateJobsBatchDto);
    // Marked but refused by the schema: class-validator names the problem.
    const bad = { jobs: [{ payload: 'x' }] };
    markPlainJsonBody(bad);
    await expect(pipe.transform(bad, body(CreateJobsBatchDto))).rejects.toMatchObject({
      response: { details: [expect.objectContaining({ field: 'jobs.0.payload' })] },
    });
    // A DTO not given to the pipe never takes the fast path.
    const single = { payload: { n: 1 } };
    markPlainJsonBody(single);
    expect(await pipe.transform(single, body(CreateJobDto))).not.toBe(single);
  });
});
