import { builtScript, cleanEnv, runNode } from '../../backend/test/support/processes';

describe('the API types in contracts/src/api.ts', () => {
  it('match the OpenAPI document the API serves (npm run api-types regenerates them)', async () => {
    const { code, output } = await runNode(
      builtScript('scripts/src/api-types.js'),
      ['--check'],
      cleanEnv({}),
    );
    expect(output).toContain('matches the API');
    expect(code).toBe(0);
  });
});
