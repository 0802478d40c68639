import { builtScript, cleanEnv, runNode } from '../../backend/test/support/processes';

/**
 * `npm run bench:platforms` at a tiny size (one round of 200 requests) on the test server,
 * through the built script: both bare platforms and this build's submission route answer, and
 * each gets figures.
 */
describe('bench:platforms (smoke run)', () => {
  it('measures a bare Nest app on Express and on Fastify and this build’s POST /api/v1/jobs', async () => {
    const adminUrl = process.env.TEST_ADMIN_DATABASE_URL;
    if (!adminUrl)
      throw new Error('TEST_ADMIN_DATABASE_URL is unset: run through jest (globalSetup sets it)');
    const run = await runNode(
      builtScript('scripts/src/bench-platforms.js'),
      ['--requests', '200', '--rounds', '1'],
      cleanEnv({ DATABASE_URL: adminUrl }),
    );
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    for (const target of ['bare Nest on express', 'bare Nest on fastify', 'POST /api/v1/jobs, this build']) {
      const figures = new RegExp(
        `"target": "${target.replace(/[/.]/g, '\\$&')}",\\s*"requests_per_second": [1-9][\\d.]*,\\s*"server_cpu_ms_per_request": [\\d.]+`,
      );
      expect(run.output).toMatch(figures);
    }
  });

  it('with --batch N posts batches of N jobs to the batch route, and the same body to the bare apps', async () => {
    const adminUrl = process.env.TEST_ADMIN_DATABASE_URL!;
    const run = await runNode(
      builtScript('scripts/src/bench-platforms.js'),
      ['--requests', '40', '--rounds', '1', '--batch', '10'],
      cleanEnv({ DATABASE_URL: adminUrl }),
    );
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    for (const target of ['bare Nest on fastify', 'POST /api/v1/jobs/batch of 10, this build'])
      expect(run.output).toMatch(
        new RegExp(`"target": "${target.replace(/[/.]/g, '\\$&')}",\\s*"requests_per_second": [1-9]`),
      );
  });
});
