import 'reflect-metadata';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { type Browser, type Page } from 'playwright-core';
import { io } from 'socket.io-client';
import { EVENTS_NAMESPACE, type JobEvent } from '../../contracts/src/event-map';
import { cleanEnv, startNode } from '../../backend/test/support/processes';
import { freePort } from '../../backend/src/database/embedded/embedded-database';
import { openBenchDatabase } from './bench-database';
import { launchChromium } from './chromium';
import { sleep, waitFor, wholeNumberArg } from './bench-stats';

const BENCH_DB = 'conveyor_bench_dashboard';
const DIST = path.resolve(__dirname, '..', '..', '..', 'frontend', 'dist');
/** Each job makes three events (submitted, started, completed): 334 jobs/s ≈ 1,000 events/s. */
const EVENTS_PER_JOB = 3;
const BATCH_EVERY_MS = 100;
const COLD_LOADS = 3;

interface Asset {
  file: string;
  bytes: number;
  gzip: number;
  initial: boolean;
}

/** Every built asset with its gzipped size; `initial` ones are what index.html loads before any route. */
function bundleSizes(): Asset[] {
  const html = readFileSync(path.join(DIST, 'index.html'), 'utf8');
  const initial = new Set([...html.matchAll(/(?:src|href)="\/(assets\/[^"]+)"/g)].map((m) => m[1]));
  return readdirSync(path.join(DIST, 'assets'))
    .map((name) => {
      const file = `assets/${name}`;
      const content = readFileSync(path.join(DIST, file));
      return {
        file,
        bytes: statSync(path.join(DIST, file)).size,
        gzip: gzipSync(content).length,
        initial: initial.has(file),
      };
    })
    .sort((a, b) => b.gzip - a.gzip);
}

/** Runs in the page before its scripts: long tasks, frames and the moment the counters first show. */
const INSTRUMENT = `
  window.__bench = { longTasks: [], frames: 0, countersAt: null };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) window.__bench.longTasks.push(entry.duration);
  }).observe({ type: 'longtask', buffered: true });
  const frame = () => { window.__bench.frames++; requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
  new MutationObserver((_, observer) => {
    if (document.querySelector('[data-testid="pending_jobs"]')) {
      window.__bench.countersAt = performance.now();
      observer.disconnect();
    }
  }).observe(document, { childList: true, subtree: true });
`;

interface PageProbe {
  longTasks: number[];
  frames: number;
  countersAt: number | null;
}

const probe = (page: Page) => page.evaluate<PageProbe>('window.__bench');

async function heapAfterGc(page: Page): Promise<number> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  await cdp.detach();
  return usedSize;
}

async function signedInPage(
  browser: Browser,
  base: string,
  key: string,
  me: unknown,
  route: string,
): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.addInitScript(
    `sessionStorage.setItem('conveyor.session', ${JSON.stringify(JSON.stringify({ key, me }))});${INSTRUMENT}`,
  );
  const page = await context.newPage();
  await page.goto(`${base}${route}`);
  return page;
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;

/**
 * `npm run bench:dashboard`: the built dashboard in real headless Chromium against the whole
 * system (`npm start`'s launcher on a scratch database): bundle sizes, cold first render of the
 * overview, then 1,000 job events a second for --seconds (60) to an open jobs page and overview,
 * counting main-thread tasks over 100 ms, frames per second and the JS heap (after a GC) at 10 s
 * and at the end. Real jobs make the events: sleep jobs of 0 s, submitted in batches.
 */
async function main(): Promise<void> {
  const seconds = wholeNumberArg(process.argv.slice(2), 'seconds', 60);
  const eventsPerSecond = wholeNumberArg(process.argv.slice(2), 'events', 1_000);
  const scratch = await openBenchDatabase(BENCH_DB);
  const url = new URL(scratch.url);

  const assets = bundleSizes();
  const port = await freePort();
  const launcher = startNode(
    path.join(__dirname, 'start.js'),
    [],
    cleanEnv({
      DATABASE_URL: url.toString(),
      DASHBOARD_DIR: DIST,
      PORT: String(port),
      WORKER_PROCESSES: '1',
      WORKER_CONCURRENCY: '50',
      WORKER_METRICS_PORT: String(await freePort()),
      RATE_LIMIT_PER_SECOND: '100000',
      RATE_LIMIT_BURST: '100000',
    }),
  );
  const browser = await launchChromium();
  try {
    const [, key] = await launcher.waitFor(/API key: (\S+)/, 120_000);
    const base = `http://127.0.0.1:${port}`;
    const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };
    const me = await (await fetch(`${base}/api/v1/auth/me`, { headers })).json();

    // Cold loads: a fresh context each (no cache), timed from navigation start to the counters.
    const firstRender: number[] = [];
    for (let i = 0; i < COLD_LOADS; i++) {
      const page = await signedInPage(browser, base, key, me, '/');
      // Polled from here: the API's CSP forbids the eval a waitForFunction string would need.
      await waitFor(async () => (await probe(page)).countersAt !== null, 20);
      firstRender.push(Math.round((await probe(page)).countersAt!));
      await page.context().close();
    }

    const pages = {
      jobs: await signedInPage(browser, base, key, me, '/jobs'),
      overview: await signedInPage(browser, base, key, me, '/'),
    };
    for (const page of Object.values(pages)) await page.getByText('Live', { exact: true }).waitFor();

    let received = 0;
    const socket = io(`${base}${EVENTS_NAMESPACE}`, { auth: { token: key }, transports: ['websocket'] });
    socket.on('events', (batch: JobEvent[]) => (received += batch.length));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));

    const perBatch = Math.max(1, Math.round((eventsPerSecond / EVENTS_PER_JOB) * (BATCH_EVERY_MS / 1000)));
    const jobs = Array.from({ length: perBatch }, () => ({ type: 'sleep', payload: { seconds: 0 } }));
    const start = Date.now();
    const startProbe = { jobs: await probe(pages.jobs), overview: await probe(pages.overview) };
    let heapAt10: Record<string, number> | null = null;
    let submitted = 0;
    let refused = 0;
    for (let tick = 0; Date.now() - start < seconds * 1000; tick++) {
      const due = start + tick * BATCH_EVERY_MS;
      if (due > Date.now()) await sleep(due - Date.now());
      void fetch(`${base}/api/v1/jobs/batch`, {
        method: 'POST',
        headers,
        body: JSON.stringify({ jobs }),
      }).then(
        (response) => (response.ok ? (submitted += perBatch) : (refused += 1)),
        () => (refused += 1),
      );
      if (heapAt10 === null && Date.now() - start >= 10_000)
        heapAt10 = { jobs: await heapAfterGc(pages.jobs), overview: await heapAfterGc(pages.overview) };
    }
    const elapsed = (Date.now() - start) / 1000;
    const endProbe = { jobs: await probe(pages.jobs), overview: await probe(pages.overview) };
    const heapEnd = { jobs: await heapAfterGc(pages.jobs), overview: await heapAfterGc(pages.overview) };
    socket.disconnect();

    const perPage = (name: 'jobs' | 'overview') => {
      const tasks = endProbe[name].longTasks.slice(startProbe[name].longTasks.length);
      return {
        long_tasks_over_100ms: tasks.filter((ms) => ms > 100).length,
        longest_task_ms: Math.round(Math.max(0, ...tasks)),
        long_tasks_over_50ms: tasks.length,
        frames_per_second:
          Math.round(((endProbe[name].frames - startProbe[name].frames) / elapsed) * 10) / 10,
        heap_at_10s_mb: heapAt10 ? Math.round((heapAt10[name] / 1048576) * 10) / 10 : null,
        heap_at_end_mb: Math.round((heapEnd[name] / 1048576) * 10) / 10,
        heap_growth_percent: heapAt10
          ? Math.round(((heapEnd[name] - heapAt10[name]) / heapAt10[name]) * 1000) / 10
          : null,
      };
    };
    const initial = assets.filter((asset) => asset.initial);
    const result = {
      machine: `${(await import('node:os')).cpus().length} cores`,
      bundle: {
        initial_js_gzip_kb:
          Math.round(initial.filter((a) => a.file.endsWith('.js')).reduce((s, a) => s + a.gzip, 0) / 102.4) /
          10,
        initial_css_gzip_kb:
          Math.round(initial.filter((a) => a.file.endsWith('.css')).reduce((s, a) => s + a.gzip, 0) / 102.4) /
          10,
        assets: assets.map((a) => ({ ...a, gzip_kb: Math.round(a.gzip / 102.4) / 10 })),
      },
      first_render_ms: {
        runs: firstRender,
        median: [...firstRender].sort((a, b) => a - b)[Math.floor(firstRender.length / 2)],
      },
      load: {
        seconds: Math.round(elapsed),
        jobs_submitted: submitted,
        batches_refused: refused,
        events_received_per_second: Math.round(received / elapsed),
        jobs_page: perPage('jobs'),
        overview: perPage('overview'),
      },
    };
    console.log(JSON.stringify(result, null, 2));
    console.log('\nBundle (gzip):');
    for (const asset of assets)
      console.log(
        `  ${asset.initial ? '*' : ' '} ${asset.file.padEnd(44)} ${kb(asset.gzip).padStart(9)}  (${kb(asset.bytes)} raw)`,
      );
    console.log(
      `  * initial: JS ${result.bundle.initial_js_gzip_kb} KB, CSS ${result.bundle.initial_css_gzip_kb} KB gzipped`,
    );
    console.log(
      `First render of the overview (cold, navigation start → counters): ${firstRender.join(', ')} ms`,
    );
    console.log(`Load: ${result.load.events_received_per_second} events/s for ${result.load.seconds} s`);
    console.log('| page | tasks > 100 ms | longest task | frames/s | heap at 10 s | heap at end | growth |');
    console.log('|---|---|---|---|---|---|---|');
    for (const name of ['jobs', 'overview'] as const) {
      const p = perPage(name);
      console.log(
        `| ${name} | ${p.long_tasks_over_100ms} | ${p.longest_task_ms} ms | ${p.frames_per_second} | ${p.heap_at_10s_mb} MB | ${p.heap_at_end_mb} MB | ${p.heap_growth_percent}% |`,
      );
    }
  } finally {
    await browser.close();
    launcher.child.kill('SIGTERM');
    await launcher.exited;
    await scratch.drop();
  }
  process.exit(0);
}

void main().catch((error) => {
  console.error(error);
  process.exit(1);
});
