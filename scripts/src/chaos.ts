import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { EmbeddedDatabase } from '../../backend/src/database/embedded/embedded-database';
import { SCENARIOS } from './chaos/scenarios';
import { type ChaosContext, type Findings } from './chaos/harness';

/**
 * `npm run chaos [scenario …]`: runs the chaos scenarios at full size (all of them, in order, or
 * the ones named), prints what each did and found, and exits 1 when any invariant broke.
 * Scratch databases go to DATABASE_URL's server when it is set, else to an embedded PostgreSQL in
 * a temp directory; the PostgreSQL-restart scenario always runs a throwaway server of its own.
 * CHAOS_SEED changes the seeded choices (victims, job mix, fuzz cases).
 */
async function main(): Promise<void> {
  const names = process.argv.slice(2);
  const unknown = names.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
  if (unknown.length > 0) {
    console.error(
      `unknown scenario(s): ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`,
    );
    process.exit(2);
  }
  const seed = Number(process.env.CHAOS_SEED ?? 1);
  let release = async (): Promise<void> => undefined;
  let adminUrl = process.env.DATABASE_URL;
  if (!adminUrl) {
    const dir = await mkdtemp(path.join(tmpdir(), 'conveyor-chaos-'));
    await chmod(dir, 0o755);
    const handle = await new EmbeddedDatabase(dir).open();
    adminUrl = handle.url;
    release = async () => {
      await handle.stop();
      await rm(dir, { recursive: true, force: true });
    };
  }
  const context: ChaosContext = { adminUrl, log: (message) => console.log(`   … ${message}`) };
  const results: Findings[] = [];
  try {
    for (const scenario of SCENARIOS) {
      if (names.length > 0 && !names.includes(scenario.name)) continue;
      console.log(`-- ${scenario.name}: ${scenario.checks}`);
      const findings = await scenario.full(context, seed);
      console.log(findings.report());
      results.push(findings);
    }
  } finally {
    await release();
  }
  const broken = results.filter((findings) => findings.failures.length > 0);
  console.log(`chaos: ${results.length - broken.length} of ${results.length} scenarios held`);
  process.exit(broken.length === 0 ? 0 : 1);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
