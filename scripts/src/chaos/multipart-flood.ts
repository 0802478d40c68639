import { request } from 'node:http';
import { Readable } from 'node:stream';
import { type ReadableStream as WebReadableStream } from 'node:stream/web';
import {
  type Api,
  type ChaosContext,
  type Findings,
  type Tenant,
  createTenant,
  RssSampler,
  runScenario,
  sql,
  stage,
} from './harness';

export interface MultipartFloodOptions {
  /** Concurrent upload loops, split between two tenants. */
  clients: number;
  /** Uploads each loop sends, one after another, cycling through the kinds below. */
  uploadsPerClient: number;
  /** UPLOAD_MAX_BYTES of the API: the good uploads' files are exactly this big. */
  fileBytes: number;
  /** TENANT_FILE_QUOTA_BYTES, in files of `fileBytes`: the good uploads go past it. */
  quotaFiles: number;
  /** The API's RSS must stay under this, sampled every 100 ms. */
  rssBoundMb: number;
}

export const MULTIPART_FLOOD_FULL: MultipartFloodOptions = {
  clients: 32,
  uploadsPerClient: 16,
  fileBytes: 10_485_760,
  quotaFiles: 8,
  rssBoundMb: 400,
};

/** The quota burst: this many uploads of BURST_FILE_BYTES at once, with room for one. */
const BURST = 16;
const BURST_FILE_BYTES = 262_144;

/** MAX_BODY_BYTES (default): a text field `payload` may be this long, other fields 1 KiB. */
const MAX_BODY_BYTES = 1_048_576;

interface Kind {
  name: string;
  form(file: Blob, overFile: Blob): FormData;
  /** The status and the field its details must name; a good upload may also meet the quota. */
  expect: { status: number; field: string };
}

const base = (): FormData => {
  const form = new FormData();
  form.append('type', 'analyze');
  form.append('payload', JSON.stringify({ patterns: ['ERROR'] }));
  return form;
};

/** The uploads, at and over every limit the multipart guard has (backend/src/jobs/multipart-job.guard.ts). */
const KINDS: Kind[] = [
  {
    name: 'file at UPLOAD_MAX_BYTES',
    form: (file) => {
      const form = base();
      form.append('file', file, 'at-limit.log');
      return form;
    },
    expect: { status: 201, field: '' },
  },
  {
    name: 'file 1 byte over UPLOAD_MAX_BYTES',
    form: (_, overFile) => {
      const form = base();
      form.append('file', overFile, 'over.log');
      return form;
    },
    expect: { status: 413, field: 'file' },
  },
  {
    name: 'unknown field after the file',
    form: (file) => {
      const form = base();
      form.append('file', file, 'a.log');
      form.append('sneaky', 'x');
      return form;
    },
    expect: { status: 400, field: 'sneaky' },
  },
  {
    name: 'a second file',
    form: (file) => {
      const form = base();
      form.append('file', file, 'a.log');
      form.append('filename', new Blob(['x\n']), 'b.log');
      return form;
    },
    expect: { status: 400, field: 'file' },
  },
  {
    name: 'file in an unknown field',
    form: (file) => {
      const form = base();
      form.append('attachment', file, 'a.log');
      return form;
    },
    expect: { status: 400, field: 'attachment' },
  },
  {
    name: 'payload field over MAX_BODY_BYTES',
    form: (file) => {
      const form = new FormData();
      form.append('type', 'analyze');
      form.append('payload', JSON.stringify({ patterns: ['x'.repeat(MAX_BODY_BYTES)] }));
      form.append('file', file, 'a.log');
      return form;
    },
    expect: { status: 413, field: 'payload' },
  },
  {
    name: 'queue field over 1 KiB',
    form: (file) => {
      const form = base();
      form.append('queue', 'q'.repeat(2_000));
      form.append('file', file, 'a.log');
      return form;
    },
    expect: { status: 413, field: 'queue' },
  },
];

/**
 * One multipart upload on a connection of its own (so no kept-alive connection the API closed
 * can fail it), streamed as FormData encodes it. The answer is taken as soon as it comes: the API
 * may answer a refusal before the body is all sent, and then closes the connection (EPIPE or
 * ECONNRESET follow on the request, after the answer). No answer at all: status 0 and the error.
 */
function upload(
  url: string,
  bearer: string,
  form: FormData,
): Promise<{ status: number; body?: unknown; error?: string }> {
  return new Promise((resolve) => {
    const encoded = new Response(form);
    const source = Readable.fromWeb(encoded.body! as WebReadableStream<Uint8Array>);
    const req = request(
      url,
      {
        method: 'POST',
        agent: false,
        headers: { authorization: bearer, 'content-type': encoded.headers.get('content-type')! },
        timeout: 120_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('end', () => {
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString());
          } catch {
            body = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body });
        });
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })));
    req.on('error', (error: NodeJS.ErrnoException) => {
      source.destroy();
      resolve({ status: 0, error: error.code ?? error.message });
    });
    source.pipe(req);
  });
}

interface Outcome {
  kind: string;
  status: number;
  /** A closed connection before the answer was read (the API refuses without reading on). */
  error?: string;
  field?: string;
  message?: string;
}

/**
 * Many concurrent multipart uploads at and over the limits (files of exactly UPLOAD_MAX_BYTES and
 * one byte more, an unknown field after a file, a second file, a file in an unknown field, a
 * payload over MAX_BODY_BYTES, a short field over 1 KiB) from two tenants whose good uploads go
 * past their file quota, while the API's RSS is sampled every 100 ms. Files go to disk as they
 * arrive, so RSS stays under `rssBoundMb`; every bad upload is a 4xx naming its problem (or, when
 * the API answered before the body was all sent, a closed connection), 0 × 5xx; every accepted
 * upload's job exists with its file, whole; no tenant's stored files exceed its quota.
 */
export function multipartFlood(context: ChaosContext, options: MultipartFloodOptions): Promise<Findings> {
  return runScenario('multipart upload flood', async (findings, cleanup) => {
    const quotaBytes = options.quotaFiles * options.fileBytes;
    const { database, tenants, api } = await stage(
      context,
      cleanup,
      { 'uploader-a': {}, 'uploader-b': {} },
      { UPLOAD_MAX_BYTES: String(options.fileBytes), TENANT_FILE_QUOTA_BYTES: String(quotaBytes) },
    );
    const rss = new RssSampler(api.pid, 100);
    cleanup.push(() => rss.stop());
    const restRss = rss.peak();

    const files: Files = {
      file: new Blob([Buffer.alloc(options.fileBytes, 'ERROR line\n')]),
      overFile: new Blob([Buffer.alloc(options.fileBytes + 1, 'ERROR line\n')]),
    };
    const accepted: Accepted[] = [];
    const flood = await floodUploads(
      api,
      [tenants['uploader-a'], tenants['uploader-b']],
      files,
      options,
      accepted,
    );
    const burster = await createTenant(database.url, 'burster');
    const burst = await quotaBurst(api, burster, files.file, quotaBytes, options, accepted);
    rss.stop();
    const stored = await storedFiles(database.url, accepted);

    report(findings, options, { quotaBytes, flood, restRss, peakRss: rss.peak(), accepted, stored, burst });

    findings.expect(
      burst.every((status) => status === 201 || status === 413),
      `the quota burst got answers other than 201 or 413: ${burst.join(', ')}`,
    );
    const fiveXx = flood.outcomes.filter((o) => o.status >= 500);
    findings.expect(
      fiveXx.length === 0,
      `${fiveXx.length} uploads got a 5xx: ${JSON.stringify(fiveXx.slice(0, 3))}`,
    );
    findings.expect(api.alive(), 'the API died');
    findings.expect(
      rss.peak() <= options.rssBoundMb,
      `the API's RSS reached ${rss.peak()} MiB, over ${options.rssBoundMb}`,
    );
    findings.expect(accepted.length > 0, 'no upload was accepted: the check saw nothing');
    checkStored(findings, stored, quotaBytes);
    findings.expect(flood.outcomes.some(metQuota), 'no upload met the quota: the check saw nothing');
    for (const kind of KINDS) checkKind(findings, kind, flood.outcomes);
  });
}

interface Files {
  /** Exactly UPLOAD_MAX_BYTES, and one byte more. */
  file: Blob;
  overFile: Blob;
}

/** An upload the API took: its job and file must be stored, whole, in its tenant. */
interface Accepted {
  tenant: Tenant;
  id: string;
  fileId: string;
  size: number;
  expected: number;
}

const bodyOf = (result: { body?: unknown }) =>
  (result.body ?? {}) as {
    id?: string;
    message?: string;
    details?: Array<{ field: string }>;
    payload?: { file_id: string; file_size: number };
  };

/** Adds an accepted upload (a 201) to `accepted`, with the file size it should have stored. */
function keepAccepted(
  accepted: Accepted[],
  tenant: Tenant,
  result: { status: number; body?: unknown },
  expected: number,
): void {
  if (result.status !== 201) return;
  const body = bodyOf(result);
  accepted.push({
    tenant,
    id: body.id!,
    fileId: body.payload!.file_id,
    size: body.payload!.file_size,
    expected,
  });
}

/** The flood: `clients` loops over both tenants, each sending its uploads one after another. */
async function floodUploads(
  api: Api,
  tenants: Tenant[],
  files: Files,
  options: MultipartFloodOptions,
  accepted: Accepted[],
): Promise<{ outcomes: Outcome[]; seconds: number }> {
  const outcomes: Outcome[] = [];
  const started = performance.now();
  await Promise.all(
    Array.from({ length: options.clients }, async (_, client) => {
      const tenant = tenants[client % tenants.length];
      for (let i = 0; i < options.uploadsPerClient; i++) {
        // Every client's first upload is a good one, all at once: the most files in hand together.
        const kind = i === 0 ? KINDS[0] : KINDS[(client + i) % KINDS.length];
        const result = await upload(
          `${api.base}/api/v1/jobs`,
          tenant.bearer,
          kind.form(files.file, files.overFile),
        );
        const body = bodyOf(result);
        outcomes.push({
          kind: kind.name,
          status: result.status,
          error: result.error,
          field: body.details?.[0]?.field,
          message: body.message,
        });
        keepAccepted(accepted, tenant, result, options.fileBytes);
      }
    }),
  );
  return { outcomes, seconds: (performance.now() - started) / 1000 };
}

/**
 * A burst against the quota: a third tenant fills its quota to within one small file, then sends
 * BURST small files at once. One fits; more stored would be past the quota. The burst's statuses.
 */
async function quotaBurst(
  api: Api,
  burster: Tenant,
  file: Blob,
  quotaBytes: number,
  options: MultipartFloodOptions,
  accepted: Accepted[],
): Promise<number[]> {
  const keep = async (size: number, blob: Blob): Promise<number> => {
    const form = base();
    form.append('file', blob, 'burst.log');
    const result = await upload(`${api.base}/api/v1/jobs`, burster.bearer, form);
    keepAccepted(accepted, burster, result, size);
    return result.status;
  };
  for (let room = quotaBytes - BURST_FILE_BYTES; room > 0; room -= options.fileBytes) {
    const size = Math.min(room, options.fileBytes);
    const status = await keep(size, file.slice(0, size));
    if (status !== 201) throw new Error(`filling the burster's quota was answered ${status}`);
  }
  const small = file.slice(0, BURST_FILE_BYTES);
  return Promise.all(Array.from({ length: BURST }, () => keep(BURST_FILE_BYTES, small)));
}

interface Stored {
  /** Accepted uploads without their job, or without their whole file in their tenant. */
  missing: Accepted[];
  usage: Array<{ tenant_id: string; bytes: string; files: string }>;
  orphans: number;
}

/** Every accepted upload: its job, and its file whole, in its tenant. */
async function storedFiles(databaseUrl: string, accepted: Accepted[]): Promise<Stored> {
  const stored = await sql<{
    id: string;
    tenant_id: string;
    file_id: string | null;
    size: number | null;
    length: number | null;
  }>(
    databaseUrl,
    `SELECT j.id, j.tenant_id, f.id AS file_id, f.size, octet_length(f.content) AS length
     FROM jobs j LEFT JOIN job_files f ON f.job_id = j.id AND f.tenant_id = j.tenant_id`,
  );
  const byId = new Map(stored.map((row) => [row.id, row]));
  const missing = accepted.filter((upload) => {
    const row = byId.get(upload.id);
    return (
      !row ||
      row.tenant_id !== upload.tenant.id ||
      row.file_id !== upload.fileId ||
      Number(row.length) !== upload.expected ||
      upload.size !== upload.expected
    );
  });
  const usage = await sql<{ tenant_id: string; bytes: string; files: string }>(
    databaseUrl,
    `SELECT tenant_id, sum(size) AS bytes, count(*) AS files FROM job_files GROUP BY tenant_id`,
  );
  const orphans = await sql<{ n: string }>(
    databaseUrl,
    'SELECT count(*) AS n FROM job_files WHERE job_id IS NULL',
  );
  return { missing, usage, orphans: Number(orphans[0].n) };
}

/** Each kind's answers ("413 file", "closed (EPIPE)", …) and how often each came. */
function answersByKind(outcomes: Outcome[]): Map<string, Map<string, number>> {
  const table = new Map<string, Map<string, number>>();
  for (const outcome of outcomes) {
    const answer =
      outcome.status === 0
        ? `closed (${outcome.error})`
        : outcome.field
          ? `${outcome.status} ${outcome.field}`
          : String(outcome.status);
    const row = table.get(outcome.kind) ?? new Map<string, number>();
    row.set(answer, (row.get(answer) ?? 0) + 1);
    table.set(outcome.kind, row);
  }
  return table;
}

/** A good upload refused only because its tenant's quota was full. */
const metQuota = (o: Outcome): boolean =>
  o.status === 413 && o.field === 'file' && /quota/.test(o.message ?? '');

function checkStored(findings: Findings, stored: Stored, quotaBytes: number): void {
  findings.expect(
    stored.missing.length === 0,
    `${stored.missing.length} accepted uploads have no job or not their whole file`,
  );
  findings.expect(stored.orphans === 0, `${stored.orphans} files are stored without a job`);
  for (const row of stored.usage)
    findings.expect(
      Number(row.bytes) <= quotaBytes,
      `a tenant stores ${row.bytes} bytes of files, over its quota of ${quotaBytes}`,
    );
}

/** Every upload of a kind answered as the kind expects (a good one may meet the quota instead). */
function checkKind(findings: Findings, kind: Kind, outcomes: Outcome[]): void {
  const mine = outcomes.filter((o) => o.kind === kind.name);
  const wrong = mine.filter((o) => {
    if (o.status === 0) return kind.expect.status === 201;
    if (kind.expect.status === 201) return !(o.status === 201 || metQuota(o));
    return o.status !== kind.expect.status || o.field !== kind.expect.field;
  });
  findings.expect(
    wrong.length === 0,
    `${kind.name}: ${wrong.length} of ${mine.length} answered otherwise than ${kind.expect.status} ${kind.expect.field}: ${JSON.stringify(wrong.slice(0, 2))}`,
  );
  if (kind.expect.status !== 201)
    findings.expect(
      mine.some((o) => o.status === kind.expect.status),
      `${kind.name}: no answer was read (every connection closed first): the check saw nothing`,
    );
}

/** What the run measured, for its figures. */
interface Measured {
  quotaBytes: number;
  flood: { outcomes: Outcome[]; seconds: number };
  restRss: number;
  peakRss: number;
  accepted: Accepted[];
  stored: Stored;
  burst: number[];
}

function report(findings: Findings, options: MultipartFloodOptions, run: Measured): void {
  findings.set(
    'uploads: clients × each, seconds',
    `${options.clients} × ${options.uploadsPerClient} = ${run.flood.outcomes.length}, ${run.flood.seconds.toFixed(1)}`,
  );
  findings.set(
    'file bytes (UPLOAD_MAX_BYTES), quota a tenant',
    `${options.fileBytes}, ${run.quotaBytes} (${options.quotaFiles} files)`,
  );
  for (const [kind, answers] of answersByKind(run.flood.outcomes))
    findings.set(`  ${kind}`, [...answers].map(([answer, n]) => `${answer} × ${n}`).join(', '));
  findings.set(
    'API RSS MiB at rest / peak (bound)',
    `${run.restRss} / ${run.peakRss} (${options.rssBoundMb})`,
  );
  findings.set(
    'accepted: jobs with their file whole / accepted',
    `${run.accepted.length - run.stored.missing.length} / ${run.accepted.length}`,
  );
  findings.set(
    'stored files a tenant (bytes)',
    run.stored.usage.map((row) => `${row.files} (${row.bytes})`).join(', '),
  );
  findings.set(
    `quota burst: ${BURST} files of ${BURST_FILE_BYTES} bytes at once with room for 1`,
    [...new Set(run.burst)]
      .map((status) => `${status} × ${run.burst.filter((s) => s === status).length}`)
      .join(', '),
  );
}
