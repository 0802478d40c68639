import {
  type Api,
  type ChaosContext,
  type Findings,
  type HttpResult,
  type Tenant,
  http,
  runScenario,
  seededRandom,
  sql,
  stage,
  submitBatch,
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
    // Failed authentications are part of the fuzz: the per-address limit would turn them into 429s.
    const { database, tenants, api } = await stage(
      context,
      cleanup,
      { fuzzer: {}, 'fuzz-admin': { role: 'admin' }, victim: {} },
      { AUTH_FAILURE_LIMIT: '1000000' },
    );
    const { fuzzer, 'fuzz-admin': admin, victim } = tenants;
    const victimJobs = await submitBatch(api, victim.bearer, seedJobs(20));
    const ownJobs = await submitBatch(api, fuzzer.bearer, seedJobs(20));
    const snapshot = () => jobsSnapshot(database.url, victim.id);
    const before = await snapshot();

    const docs = await http(`${api.base}/docs-json`);
    if (docs.status !== 200) throw new Error(`/docs-json answered ${docs.status}`);
    const document = docs.body as OpenApi;
    const operations = operationsOf(document);
    const maker = new RequestMaker(seededRandom(options.seed), document, {
      fuzzer,
      admin,
      victim,
      victimJobs,
      ownJobs,
    });
    const tally = await sendAll(api, maker, operations, options);

    const health = await http(`${api.base}/health`);
    const after = await snapshot();
    const [{ n: victimCount }] = await sql<{ n: string }>(
      database.url,
      `SELECT count(*) AS n FROM jobs WHERE tenant_id = $1`,
      [victim.id],
    );
    const apiUp = api.alive() && health.status === 200;
    const untouched = before === after;

    findings.set('operations in the OpenAPI document', operations.length);
    report(findings, tally);
    findings.set('API alive afterwards', String(apiUp));
    findings.set("other tenant's jobs changed", untouched ? 0 : 'yes');

    findings.expect(
      tally.serverErrors.length === 0,
      `${tally.serverErrors.length} answers were 5xx or hung, e.g.\n     ${tally.serverErrors.slice(0, 5).join('\n     ')}`,
    );
    findings.expect(apiUp, `the API is down after the fuzz:\n${api.tail().slice(-2000)}`);
    findings.expect(
      untouched && Number(victimCount) === victimJobs.length,
      "the other tenant's jobs changed",
    );
    findings.expect(
      (tally.statuses.get(201) ?? 0) + (tally.statuses.get(200) ?? 0) > 0,
      'no fuzzed request was accepted: the generator only made noise',
    );
  });
}

const seedJobs = (count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: 'sleep', payload: { seconds: 1, n: i } }));

/** A tenant's jobs, every column, as one string: equal strings mean nothing changed. */
async function jobsSnapshot(databaseUrl: string, tenantId: string): Promise<string> {
  return JSON.stringify(
    await sql(databaseUrl, `SELECT to_jsonb(j) AS row FROM jobs j WHERE tenant_id = $1 ORDER BY id`, [
      tenantId,
    ]),
  );
}

/** Whose keys and ids the fuzzed requests use and aim at. */
interface Targets {
  fuzzer: Tenant;
  admin: Tenant;
  victim: Tenant;
  victimJobs: string[];
  ownJobs: string[];
}

/** Seeded requests: values made from each schema, then broken. */
class RequestMaker {
  /** Ids of the other tenant, its key and its jobs: what a value aims at when it is an id. */
  private readonly ids: string[];

  constructor(
    private readonly random: () => number,
    private readonly document: OpenApi,
    private readonly targets: Targets,
  ) {
    this.ids = [...targets.victimJobs, targets.victim.id, targets.victim.keyId];
  }

  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)];
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  /** The headers, path and body of one request to `operation`. */
  request(operation: Operation): { path: string; headers: Record<string, string>; body?: Buffer | string } {
    const headers: Record<string, string> = {};
    const authorization = this.authFor(operation);
    if (authorization !== undefined) headers.authorization = authorization;
    const body = operation.method === 'GET' ? undefined : this.bodyFor(operation);
    if (body && body.type) headers['content-type'] = body.type;
    if (this.chance(0.1))
      headers['idempotency-key'] = this.pick(['', 'k', 'x'.repeat(5_000), '\u00ff\u00fe']);
    if (this.chance(0.05))
      headers['content-encoding'] = this.pick(['gzip', 'br', 'deflate', 'identity, gzip']);
    if (this.chance(0.05)) headers.accept = this.pick(['application/xml', '*/*;q=abc', '']);
    if (this.chance(0.03)) headers['x-request-id'] = 'x'.repeat(2_000);
    return { path: this.pathFor(operation), headers, body: body?.body };
  }

  private resolve(schema: Schema | undefined): Schema {
    if (!schema) return {};
    if (schema.$ref) return this.resolve(this.document.components.schemas[schema.$ref.split('/').pop()!]);
    if (schema.allOf) return this.resolve(schema.allOf[0]);
    if (schema.oneOf) return this.resolve(this.pick(schema.oneOf));
    return schema;
  }

  private anyValue(depth = 0): unknown {
    return this.pick<() => unknown>([
      () => this.pick(NASTY_STRINGS),
      () => Math.floor(this.random() * 2 ** 31) * (this.chance(0.5) ? -1 : 1),
      () => this.random() * 1e308,
      () => this.chance(0.5),
      () => null,
      () => (depth < 3 ? [this.anyValue(depth + 1), this.anyValue(depth + 1)] : []),
      () => (depth < 3 ? { [this.pick(NASTY_STRINGS).slice(0, 40) || 'k']: this.anyValue(depth + 1) } : {}),
      () => this.pick(this.ids),
    ])();
  }

  private valueFor(raw: Schema | undefined, depth = 0): unknown {
    const schema = this.resolve(raw);
    if (this.chance(0.15)) return this.anyValue(depth); // a wrong type, often
    if (schema.enum) return this.pick(schema.enum);
    switch (schema.type) {
      case 'string':
        return schema.format === 'uuid'
          ? this.pick(this.ids)
          : this.pick(['sleep', 'fail', 'email', 'default', 'x', ...NASTY_STRINGS]);
      case 'integer':
      case 'number':
        return this.pick([0, 1, -1, 3, 1000, 2 ** 31, -(2 ** 53), 1.5]);
      case 'boolean':
        return this.chance(0.5);
      case 'array':
        return depth < 3
          ? Array.from({ length: this.pick([0, 1, 2, 1001]) }, () => this.valueFor(schema.items, depth + 1))
          : [];
      case 'object':
      default:
        return this.objectFor(schema, depth);
    }
  }

  /** The schema's properties, some missing, maybe one extra (a prototype key, a field not ours to set). */
  private objectFor(schema: Schema, depth: number): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(schema.properties ?? {})) {
      const required = schema.required?.includes(name);
      if (this.chance(required ? 0.1 : 0.5)) continue; // a missing field
      out[name] = depth < 4 ? this.valueFor(property, depth + 1) : null;
    }
    if (this.chance(0.2))
      out[this.pick(['extra', '__proto__', 'constructor', 'tenant_id', 'status'])] = this.anyValue(depth);
    return out;
  }

  /** A request body and its content type, as bytes: JSON from the schema, or broken on purpose. */
  private bodyFor(operation: Operation): { body: Buffer | string; type: string } | undefined {
    const roll = this.random();
    if (roll < 0.55) return { body: JSON.stringify(this.valueFor(operation.body)), type: 'application/json' };
    if (roll < 0.6) return { body: deepJson(this.pick([1_000, 10_000, 100_000])), type: 'application/json' };
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
    if (roll < 0.75) return { body: '{"type":"sleep","payload":{"a":"\\ud800"}}', type: 'application/json' };
    if (roll < 0.8)
      return {
        body: JSON.stringify(this.valueFor(operation.body)),
        type: this.pick([
          'text/plain',
          'application/xml',
          'application/json; charset=utf-16',
          'application/x-www-form-urlencoded',
          '',
        ]),
      };
    if (roll < 0.9) return this.brokenMultipart();
    if (roll < 0.95) return { body: '', type: 'application/json' };
    return undefined;
  }

  /** An analyze upload with odd boundaries, parts dropped at random and maybe no closing line. */
  private brokenMultipart(): { body: string; type: string } {
    const boundary = this.pick(['xyz', '', '-'.repeat(80), 'a b']);
    const parts = [
      `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nanalyze\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="payload"\r\n\r\n${this.pick(['{}', '{"patterns":["a"]}', 'not json', '[]'])}\r\n`,
      `--${boundary}\r\nContent-Disposition: form-data; name="${this.pick(['file', 'filename', 'other'])}"; filename="a.log"\r\nContent-Type: text/plain\r\n\r\n${'line\n'.repeat(this.pick([1, 1000]))}\r\n`,
      this.chance(0.5) ? `--${boundary}--\r\n` : '',
    ];
    return {
      body: parts.filter(() => this.chance(0.8)).join(''),
      type: `multipart/form-data; boundary=${boundary}`,
    };
  }

  private authFor(operation: Operation): string | undefined {
    const { fuzzer, admin } = this.targets;
    const adminRoute = /^\/api\/v1\/(tenants|keys)/.test(operation.path);
    const roll = this.random();
    if (roll < 0.8) return adminRoute && this.chance(0.5) ? admin.bearer : fuzzer.bearer;
    return this.pick([
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
  }

  private pathFor(operation: Operation): string {
    const { victim, victimJobs, ownJobs } = this.targets;
    let path = operation.path;
    for (const name of operation.pathParams) {
      const value = this.pick<() => string>([
        () => this.pick(victimJobs),
        () => this.pick(victimJobs),
        () => victim.id,
        () => victim.keyId,
        () => this.pick(ownJobs),
        () => crypto.randomUUID(),
        () => percentEncoded(this.pick(NASTY_STRINGS).slice(0, 2_000)),
        () => this.pick(victimJobs).toUpperCase(),
        () => `${this.pick(victimJobs)}%00`,
      ])();
      path = path.replace(`{${name}}`, value);
    }
    const search = this.queryFor(operation).toString();
    return search ? `${path}?${search}` : path;
  }

  private queryFor(operation: Operation): URLSearchParams {
    const query = new URLSearchParams();
    for (const parameter of operation.query) {
      if (this.chance(0.4)) continue;
      const value = parameter.name === 'cursor' ? this.cursor() : String(this.valueFor(parameter.schema));
      query.append(parameter.name, value.slice(0, 8_000));
      if (this.chance(0.1)) query.append(parameter.name, 'again');
    }
    if (this.chance(0.05)) query.append('__proto__[x]', '1');
    return query;
  }

  private cursor(): string {
    return this.pick([
      Buffer.from(this.pick(NASTY_STRINGS).slice(0, 100)).toString('base64url'),
      'e30',
      '!!!',
      'x'.repeat(5_000),
      Buffer.from(JSON.stringify({ id: this.pick(this.targets.victimJobs), created_at: 'bad' })).toString(
        'base64url',
      ),
    ]);
  }
}

const deepJson = (depth: number): string => '['.repeat(depth) + ']'.repeat(depth);

/** What the fuzz got back. */
interface Tally {
  sent: number;
  statuses: Map<number, number>;
  serverErrors: string[];
  noAnswer: number;
}

/** `options.requests` requests to random operations, `options.parallel` in flight at once. */
async function sendAll(
  api: Api,
  maker: RequestMaker,
  operations: Operation[],
  options: FuzzOptions,
): Promise<Tally> {
  const tally: Tally = { sent: 0, statuses: new Map(), serverErrors: [], noAnswer: 0 };
  const one = async (): Promise<void> => {
    const operation = maker.pick(operations);
    const { path, headers, body } = maker.request(operation);
    const url = `${api.base}${path}`;
    const result: HttpResult = await http(url, {
      method: operation.method,
      headers,
      body: body as RequestInit['body'],
      timeoutMs: 30_000,
    });
    tally.sent++;
    tally.statuses.set(result.status, (tally.statuses.get(result.status) ?? 0) + 1);
    if (result.status === 0) tally.noAnswer++;
    if (result.status >= 500 || result.error === 'TIMEOUT')
      tally.serverErrors.push(
        `${operation.method} ${url.slice(0, 200)} → ${result.status || result.error} ${JSON.stringify(result.body)?.slice(0, 200)}`,
      );
  };
  let started = 0;
  const lanes = Array.from({ length: options.parallel }, async () => {
    while (started++ < options.requests) await one();
  });
  await Promise.all(lanes);
  return tally;
}

function report(findings: Findings, tally: Tally): void {
  findings.set('requests', tally.sent);
  findings.set(
    'answers by status',
    [...tally.statuses]
      .sort((a, b) => a[0] - b[0])
      .map(([status, n]) => `${status || 'none'}×${n}`)
      .join(' '),
  );
  findings.set('5xx (or hung)', tally.serverErrors.length);
  findings.set('no answer (connection closed early)', tally.noAnswer);
}
