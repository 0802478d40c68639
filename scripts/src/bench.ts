import 'reflect-metadata';
import path from 'node:path';
import { type Mode } from './bench/model';
import { runBench, SCENARIOS } from './bench/run';

const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

const USAGE = `usage: npm run bench [-- --quick] [--only <scenario>[,<scenario>…]] [--rounds N] [--out DIR]
scenarios: ${SCENARIOS.map((s) => s.id).join(', ')}
The report (report.md, report.json, *.svg) goes to docs/benchmarks/, or to dist/benchmarks/ for a
run of some scenarios only (so a partial run never replaces the committed report), or to --out.`;

function parse(args: string[]) {
  let mode: Mode = 'full';
  let only: string[] = [];
  let rounds: number | undefined;
  let out: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === '--quick') mode = 'quick';
    else if (arg === '--smoke') mode = 'smoke';
    else if (arg === '--only') only = (args[++i] ?? '').split(',').filter(Boolean);
    else if (arg === '--rounds') rounds = Number(args[++i]);
    else if (arg === '--out') out = args[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  const unknown = only.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0 || (args.includes('--only') && only.length === 0))
    throw new Error(`unknown scenario(s): ${unknown.join(', ') || '(none given)'}`);
  if (rounds !== undefined && !(Number.isInteger(rounds) && rounds >= 1))
    throw new Error('--rounds needs a whole number above 0');
  if (out === '') throw new Error('--out needs a directory');
  const partial = only.length > 0 || mode === 'smoke';
  return {
    mode,
    only,
    rounds,
    out: path.resolve(out ?? path.join(REPO_ROOT, partial ? 'dist/benchmarks' : 'docs/benchmarks')),
  };
}

/**
 * `npm run bench [-- --quick] [--only …]`: the benchmark report, Conveyor against pg-boss and
 * graphile-worker on one PostgreSQL (DATABASE_URL's server, or an embedded one it starts),
 * written as Markdown, JSON and SVG charts (docs/benchmarks/). Exits 1 when a scenario failed.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  let options;
  try {
    options = parse(args);
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(2);
  }
  const command = `npm run bench${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
  const { report, files, failed } = await runBench({ ...options, command });
  const table = /## Figures\n\n([^]*?)\n\n/.exec(
    await import('node:fs').then((fs) => fs.readFileSync(path.join(options.out, 'report.md'), 'utf8')),
  )?.[1];
  console.log(table ?? '');
  console.log(
    `\n${report.mode} run in ${Math.round(report.seconds)} s; wrote ${files.map((f) => path.join(options.out, f)).join(', ')}`,
  );
  if (failed.length > 0) {
    console.error(`failed: ${failed.join(', ')}`);
    process.exit(1);
  }
  // pg-boss and graphile-worker leave timers behind; the report is written, so this ends the run.
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
