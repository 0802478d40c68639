import { readFileSync } from 'node:fs';
import { freePort } from '../src/database/embedded/embedded-database';
import { createCaller, type TestCaller } from './support/api';
import { builtScript, cleanEnv, type RunningProcess, startNode, waitForStatus } from './support/processes';
import { createTestDatabase, query, type TestDatabase } from './support/test-database';

const FILE_BYTES = 10 * 1024 * 1024;
const UPLOADS = 24;

function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : 0;
}

/**
 * Uploaded files stream to disk, and each is read back whole for its insert: an API process must
 * not hold every upload in flight in memory at once. 24 uploads of 10 MiB sent together to a real
 * API process: all stored, and its RSS grows by far less than the 240 MiB they add up to (it grew
 * by ~360 MiB when each was read back as soon as it had arrived).
 */
describe('uploads in flight and API memory (a real API process)', () => {
  let db: TestDatabase;
  let api: RunningProcess;
  let base: string;
  let caller: TestCaller;

  beforeAll(async () => {
    db = await createTestDatabase();
    caller = await createCaller(db.url, 'uploader');
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    api = startNode(
      builtScript('backend/src/main.api.js'),
      [],
      cleanEnv({
        DATABASE_URL: db.url,
        PORT: String(port),
        DASHBOARD_DIR: '',
        UPLOAD_MAX_BYTES: String(FILE_BYTES),
      }),
    );
    await waitForStatus(`${base}/ready`);
  });
  afterAll(async () => {
    api.child.kill('SIGTERM');
    await api.exited;
    await db.drop();
  });

  it('holds a bounded number of uploaded files in memory at once, storing every one', async () => {
    const pid = api.child.pid!;
    const before = rssMb(pid);
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, rssMb(pid))), 50);
    const file = new Blob([Buffer.alloc(FILE_BYTES, 'ERROR line\n')]);
    const statuses = await Promise.all(
      Array.from({ length: UPLOADS }, async () => {
        const form = new FormData();
        form.append('type', 'analyze');
        form.append('payload', '{"patterns": ["ERROR"]}');
        form.append('file', file, 'big.log');
        const response = await fetch(`${base}/api/v1/jobs`, {
          method: 'POST',
          headers: { authorization: caller.bearer },
          body: form,
        });
        await response.text();
        return response.status;
      }),
    ).finally(() => clearInterval(sampler));
    expect(statuses).toEqual(Array(UPLOADS).fill(201));
    const [stored] = await query<{ files: number; bytes: string }>(
      db.url,
      'SELECT count(*)::int AS files, sum(octet_length(content)) AS bytes FROM job_files WHERE job_id IS NOT NULL',
    );
    expect(stored).toEqual({ files: UPLOADS, bytes: String(UPLOADS * FILE_BYTES) });
    // The budget (32 MiB of files, each costing about twice its size until inserted) and the
    // garbage of the reads: well under the 240 MiB of files.
    process.stdout.write(`API RSS ${Math.round(before)} MiB before, ${Math.round(peak)} MiB at its peak\n`);
    expect(peak - before).toBeLessThan(200);
  });
});
