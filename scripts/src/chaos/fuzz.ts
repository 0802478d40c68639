import {
  type ChaosContext,
  type Findings,
  type HttpResult,
  http,
  jsonInit,
  runScenario,
  seededRandom,
  sql,
  stage,
} from './harness';

export interface FuzzOptions {
  requests: number;
  seed: number;
  /** Requests in flight at once. */
  parallel: number;
}

export const FUZZ_FULL: FuzzOptions = { requests: 10_000, seed: 1, parallel: 8 };

type Schema = {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  enum?: unknown[];
  oneOf?: Schema[];
  allOf?: Schema[];
  format?: string;
};

interface Operation {
  method: string;
  path: string;
  pathParams: string[];
  query: Array<{ name: string; schema: Schema }>;
  body?: Schema;
  multipart: boolean;
}

interface OpenApi {
  paths: Record<string, Record<string, Record<string, unknown>>>;
  components: { schemas: Record<string, Schema> };
}

function operationsOf(document: OpenApi): Operation[] {
  const operations: Operation[] = [];
  for (const [path, methods] of Object.entries(document.paths)) {
    for (const [method, spec] of Object.entries(methods)) {
      const parameters = (spec.parameters ?? []) as Array<{ name: string; in: string; schema: Schema }>;
      const content = (spec.requestBody as { content?: Record<string, { schema: Schema }> } | undefined)
        ?.content;
      operations.push({
        method: method.toUpperCase(),
        path,
        pathParams: parameters.filter((p) => p.in === 'path').map((p) => p.name),
        query: parameters
          .filter((p) => p.in === 'query')
          .map((p) => ({ name: p.name, schema: p.schema ?? {} })),
        body: content?.['application/json']?.schema,
        multipart: Boolean(content?.['multipart/form-data']),
      });
    }
  }
  return operations;
}

const NASTY_STRINGS = [
  '',
  ' ',
  'null',
  '0',
  '-1',
  '1e309',
  'NaN',
  '💥'.repeat(50),
  '\u0000',
  '\ud800',
  'a\udfffb',
  "'; DROP TABLE jobs; --",
  '../../../etc/passwd',
  '%00',
  '%2e%2e%2f',
  '<script>alert(1)</script>',
  'x'.repeat(70_000),
  '{"$ne":null}',
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
];

/** Percent-encoded; a lone surrogate becomes the bytes of one (ED A0 80), which is not UTF-8. */
function percentEncoded(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    return '%ED%A0%80';
  }
}

/**
 * Fuzzing from the OpenAPI document: seeded requests to every operation it lists, with values
 * made from each schema and then broken (wrong types, missing and extra fields, deep and huge
 * JSON, bad UTF-8, lone surrogates, odd headers, bad multipart, other tenants' ids, bad cursors
 * and limits, odd keys). The API must answer every one below 500 and stay up, and the other
 * tenant's jobs (whose ids the fuzzer aims at) must be exactly as they were.
 */
export function fuzz(context: ChaosContext, options: FuzzOptions): Promise<Findings> {
  return runScenario('fuzzing from the OpenAPI document', async (findings, cleanup) => {
    const random = seededRandom(options.seed);
    const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
    const chance = (p: number): boolean => random() < p;

    // Failed authentications are part of the fuzz: the per-address limit would turn them into 429s.
    const { database, tenants, api } = await stage(
      context,
      cleanup,
      { fuzzer: {}, 'fuzz-admin': { role: 'admin' }, victim: {} },
      { AUTH_FAILURE_LIMIT: '1000000' },
    );
    const { fuzzer, 'fuzz-admin': admin, victim } = tenants;

    const submit = async (bearer: string, count: number): Promise<string[]> => {
      const jobs = Array.from({ length: count }, (_, i) => ({
        type: 'sleep',
        payload: { seconds: 1, n: i },
      }));
      const result = await http(`${api.base}/api/v1/jobs/batch`, jsonInit(bearer, { jobs }));
      if (result.status !== 201) throw new Error(`seeding jobs failed: ${result.status}`);
      return (result.body as { jobs: Array<{ id: string }> }).jobs.map((job) => job.id);
    };
    const victimJobs = await submit(victim.bearer, 20);
    const ownJobs = await submit(fuzzer.bearer, 20);
    const snapshot = async (): Promise<string> =>
      JSON.stringify(
        await sql(database.url, `SELECT to_jsonb(j) AS row FROM jobs j WHERE tenant_id = $1 ORDER BY id`, [
          victim.id,
        ]),
      );
    const before = await snapshot();

    const docs = await http(`${api.base}/docs-json`);
    if (docs.status !== 200) throw new Error(`/docs-json answered ${docs.status}`);
    const document = docs.body as OpenApi;
    const operations = operationsOf(document);
    const resolve = (schema: Schema | undefined): Schema => {
      if (!schema) return {};
      if (schema.$ref) return resolve(document.components.schemas[schema.$ref.split('/').pop()!]);
      if (schema.allOf) return resolve(schema.allOf[0]);
      if (schema.oneOf) return resolve(pick(schema.oneOf));
      return schema;
    };

    const ids = [...victimJobs, victim.id, victim.keyId];
    const anyValue = (depth = 0): unknown =>
      pick<() => unknown>([
        () => pick(NASTY_STRINGS),
        () => Math.floor(random() * 2 ** 31) * (chance(0.5) ? -1 : 1),
        () => random() * 1e308,
        () => chance(0.5),
        () => null,
        () => (depth < 3 ? [anyValue(depth + 1), anyValue(depth + 1)] : []),
        () => (depth < 3 ? { [pick(NASTY_STRINGS).slice(0, 40) || 'k']: anyValue(depth + 1) } : {}),
        () => pick(ids),
      ])();
    const valueFor = (raw: Schema | undefined, depth = 0): unknown => {
      const schema = resolve(raw);
      if (chance(0.15)) return anyValue(depth); // a wrong type, often
      if (schema.enum) return pick(schema.enum);
      switch (schema.type) {
        case 'string':
          return schema.format === 'uuid'
            ? pick(ids)
            : pick(['sleep', 'fail', 'email', 'default', 'x', ...NASTY_STRINGS]);
        case 'integer':
        case 'number':
          return pick([0, 1, -1, 3, 1000, 2 ** 31, -(2 ** 53), 1.5]);
        case 'boolean':
          return chance(0.5);
        case 'array':
          return depth < 3
            ? Array.from({ length: pick([0, 1, 2, 1001]) }, () => valueFor(schema.items, depth + 1))
            : [];
        case 'object':
        default: {
          const out: Record<string, unknown> = {};
          for (const [name, property] of Object.entries(schema.properties ?? {})) {
            const required = schema.required?.includes(name);
            if (chance(required ? 0.1 : 0.5)) continue; // a missing field
            out[name] = depth < 4 ? valueFor(property, depth + 1) : null;
          }
          if (chance(0.2))
            out[pick(['extra', '__proto__', 'constructor', 'tenant_id', 'status'])] = anyValue(depth);
          return out;
        }
      }
    };
    const deepJson = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

    /** A request body and its content type, as bytes: JSON from the schema, or broken on purpose. */
    const bodyFor = (operation: Operation): { body: Buffer | string; type: string } | undefined => {
      const roll = random();
      if (roll < 0.55) return { body: JSON.stringify(valueFor(operation.body)), type: 'application/json' };
      if (roll < 0.6) return { body: deepJson(pick([1_000, 10_000, 100_000])), type: 'application/json' };
      if (roll < 0.63)
        return {
          body: JSON.stringify({ payload: { blob: 'x'.repeat(2_000_000) } }),
          type: 'application/json',
        };
      if (roll < 0.68)
        return {
          body: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc3, 0x28, 0x22, 0x7d]),
          type: 'application/json',
        };
      if (roll < 0.72) return { body: '{"type": "sleep", "payload": {', type: 'application/json' };
      if (roll < 0.75)
        return { body: '{"type":"sleep","payload":{"a":"\\ud800"}}', type: 'application/json' };
      if (roll < 0.8)
        return {
          body: JSON.stringify(valueFor(operation.body)),
          type: pick([
            'text/plain',
            'application/xml',
            'application/json; charset=utf-16',
            'application/x-www-form-urlencoded',
            '',
          ]),
        };
      if (roll < 0.9) {
        const boundary = pick(['xyz', '', '-'.repeat(80), 'a b']);
        const parts = [
          `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nanalyze\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${pick(['{}', '{"patterns":["a"]}', 'not json', '[]'])}\r\n`,
          `--${boundary}\r\nContent-Disposition: form-data; name="${pick(['file', 'filename', 'other'])}"; filename="a.log"\r\nContent-Type: text/plain\r\n\r\n${'line\n'.repeat(pick([1, 1000]))}\r\n`,
          chance(0.5) ? `--${boundary}--\r\n` : '',
        ];
        return {
          body: parts.filter(() => chance(0.8)).join(''),
          type: `multipart/form-data; boundary=${boundary}`,
        };
      }
      if (roll < 0.95) return { body: '', type: 'application/json' };
      return undefined;
    };

    const authFor = (operation: Operation): string | undefined => {
      const adminRoute = /^\/api\/v1\/(tenants|keys)/.test(operation.path);
      const roll = random();
      if (roll < 0.8) return adminRoute && chance(0.5) ? admin.bearer : fuzzer.bearer;
      return pick([
        undefined,
        'Bearer',
        'Bearer ',
        `Bearer ${'x'.repeat(8_000)}`,
        'Basic dXNlcjpwYXNz',
        `bearer ${fuzzer.key}`,
        `Bearer ${fuzzer.key} extra`,
        `Bearer ${fuzzer.key.slice(0, -1)}`,
        'Bearer cvr_\u00e9\u00e9',
      ]);
    };

    const pathFor = (operation: Operation): string => {
      let path = operation.path;
      for (const name of operation.pathParams) {
        const value = pick<() => string>([
          () => pick(victimJobs),
          () => pick(victimJobs),
          () => victim.id,
          () => victim.keyId,
          () => pick(ownJobs),
          () => crypto.randomUUID(),
          () => percentEncoded(pick(NASTY_STRINGS).slice(0, 2_000)),
          () => pick(victimJobs).toUpperCase(),
          () => `${pick(victimJobs)}%00`,
        ])();
        path = path.replace(`{${name}}`, value);
      }
      const query = new URLSearchParams();
      for (const parameter of operation.query) {
        if (chance(0.4)) continue;
        const value =
          parameter.name === 'cursor'
            ? pick([
                Buffer.from(pick(NASTY_STRINGS).slice(0, 100)).toString('base64url'),
                'e30',
                '!!!',
                'x'.repeat(5_000),
                Buffer.from(JSON.stringify({ id: pick(victimJobs), created_at: 'bad' })).toString(
                  'base64url',
                ),
              ])
            : String(valueFor(parameter.schema));
        query.append(parameter.name, value.slice(0, 8_000));
        if (chance(0.1)) query.append(parameter.name, 'again');
      }
      if (chance(0.05)) query.append('__proto__[x]', '1');
      const search = query.toString();
      return search ? `${path}?${search}` : path;
    };

    const statuses = new Map<number, number>();
    const serverErrors: string[] = [];
    let noAnswer = 0;
    let sent = 0;
    const one = async (): Promise<void> => {
      const operation = pick(operations);
      const headers: Record<string, string> = {};
      const authorization = authFor(operation);
      if (authorization !== undefined) headers.authorization = authorization;
      const body = operation.method === 'GET' ? undefined : bodyFor(operation);
      if (body && body.type) headers['content-type'] = body.type;
      if (chance(0.1)) headers['idempotency-key'] = pick(['', 'k', 'x'.repeat(5_000), '\u00ff\u00fe']);
      if (chance(0.05)) headers['content-encoding'] = pick(['gzip', 'br', 'deflate', 'identity, gzip']);
      if (chance(0.05)) headers.accept = pick(['application/xml', '*/*;q=abc', '']);
      if (chance(0.03)) headers['x-request-id'] = 'x'.repeat(2_000);
      const url = `${api.base}${pathFor(operation)}`;
      const result: HttpResult = await http(url, {
        method: operation.method,
        headers,
        body: body?.body as RequestInit['body'],
        timeoutMs: 30_000,
      });
      sent++;
      statuses.set(result.status, (statuses.get(result.status) ?? 0) + 1);
      if (result.status === 0) noAnswer++;
      if (result.status >= 500 || result.error === 'TIMEOUT')
        serverErrors.push(
          `${operation.method} ${url.slice(0, 200)} → ${result.status || result.error} ${JSON.stringify(result.body)?.slice(0, 200)}`,
        );
    };
    let started = 0;
    const lanes = Array.from({ length: options.parallel }, async () => {
      while (started++ < options.requests) await one();
    });
    await Promise.all(lanes);

    const health = await http(`${api.base}/health`);
    const after = await snapshot();
    const [{ n: victimCount }] = await sql<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM jobs WHERE tenant_id = $1`,
      [victim.id],
    );

    findings.set('operations in the OpenAPI document', operations.length);
    findings.set('requests', sent);
    findings.set(
      'answers by status',
      [...statuses]
        .sort((a, b) => a[0] - b[0])
        .map(([status, n]) => `${status || 'none'}×${n}`)
        .join(' '),
    );
    findings.set('5xx (or hung)', serverErrors.length);
    findings.set('no answer (connection closed early)', noAnswer);
    findings.set('API alive afterwards', String(api.alive() && health.status === 200));
    findings.set("other tenant's jobs changed", before === after ? 0 : 'yes');

    findings.expect(
      serverErrors.length === 0,
      `${serverErrors.length} answers were 5xx or hung, e.g.\n     ${serverErrors.slice(0, 5).join('\n     ')}`,
    );
    findings.expect(
      api.alive() && health.status === 200,
      `the API is down after the fuzz:\n${api.tail().slice(-2000)}`,
    );
    findings.expect(
      before === after && Number(victimCount) === victimJobs.length,
      "the other tenant's jobs changed",
    );
    findings.expect(
      (statuses.get(201) ?? 0) + (statuses.get(200) ?? 0) > 0,
      'no fuzzed request was accepted: the generator only made noise',
    );
  });
}
