import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigValidationError, loadConfig, withEnvFile } from './load-config';

function problemsOf(env: NodeJS.ProcessEnv): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({
      PORT: 8000,
      DATA_DIR: './.data',
      WORKER_PROCESSES: 2,
      WORKER_CONCURRENCY: 5,
      LOG_LEVEL: 'info',
    });
    expect(config.DATABASE_URL).toBeUndefined();
  });

  it('parses numbers and keeps a postgres URL', () => {
    const config = loadConfig({ PORT: '9001', WORKER_PROCESSES: '0', DATABASE_URL: 'postgresql://u@h:5/db' });
    expect(config.PORT).toBe(9001);
    expect(config.WORKER_PROCESSES).toBe(0);
    expect(config.DATABASE_URL).toBe('postgresql://u@h:5/db');
  });

  it('lists every bad variable in one error', () => {
    const problems = problemsOf({
      PORT: 'eighty',
      WORKER_PROCESSES: '-1',
      WORKER_CONCURRENCY: '2.5',
      LOG_LEVEL: 'loud',
      DATABASE_URL: 'mysql://localhost/db',
    });
    const named = problems.map((problem) => problem.split(':')[0]).sort();
    expect(named).toEqual(['DATABASE_URL', 'LOG_LEVEL', 'PORT', 'WORKER_CONCURRENCY', 'WORKER_PROCESSES']);
    expect(problems.find((p) => p.startsWith('PORT'))).toContain('"eighty"');
  });

  it('takes a fraction of a day for RETENTION_DAYS, and refuses none at all', () => {
    expect(loadConfig({ RETENTION_DAYS: '0.25' }).RETENTION_DAYS).toBe(0.25);
    expect(loadConfig({ RETENTION_DAYS: '30' }).RETENTION_DAYS).toBe(30);
    expect(problemsOf({ RETENTION_DAYS: '0' })).toEqual([expect.stringMatching(/^RETENTION_DAYS: /)]);
    expect(problemsOf({ RETENTION_DAYS: 'a week' })).toEqual([expect.stringMatching(/^RETENTION_DAYS: /)]);
  });

  it('refuses a port above 65535', () => {
    expect(problemsOf({ PORT: '70000' })).toEqual([expect.stringMatching(/^PORT: .*65535/)]);
  });

  it('accepts CONCURRENCY_LIMIT as an alias of WORKER_CONCURRENCY', () => {
    expect(loadConfig({ CONCURRENCY_LIMIT: '7' }).WORKER_CONCURRENCY).toBe(7);
  });

  it('prefers WORKER_CONCURRENCY over its alias', () => {
    expect(loadConfig({ CONCURRENCY_LIMIT: '7', WORKER_CONCURRENCY: '3' }).WORKER_CONCURRENCY).toBe(3);
  });

  it('names the real variable when the alias is bad', () => {
    expect(problemsOf({ CONCURRENCY_LIMIT: 'many' })).toEqual([
      expect.stringMatching(/^WORKER_CONCURRENCY: /),
    ]);
  });

  it('leaves /metrics open by default and refuses a METRICS_TOKEN without echoing it', () => {
    expect(loadConfig({}).METRICS_TOKEN).toBe('');
    expect(loadConfig({ METRICS_TOKEN: 's3cret-scrape' }).METRICS_TOKEN).toBe('s3cret-scrape');
    const problems = problemsOf({ METRICS_TOKEN: 'two words' });
    expect(problems).toEqual([expect.stringMatching(/^METRICS_TOKEN: .*whitespace/)]);
    expect(problems[0]).not.toContain('two words');
  });

  it('treats empty strings as unset', () => {
    expect(loadConfig({ PORT: '', DATABASE_URL: '' })).toMatchObject({ PORT: 8000, DATABASE_URL: undefined });
  });
});

describe('withEnvFile', () => {
  it('reads .env under the real environment, which wins', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-env-'));
    const file = path.join(dir, '.env');
    writeFileSync(file, 'PORT=9100\nLOG_LEVEL=debug\n# a comment\n');
    const config = loadConfig(withEnvFile({ LOG_LEVEL: 'warn' }, file));
    expect(config.PORT).toBe(9100);
    expect(config.LOG_LEVEL).toBe('warn');
  });

  it('returns the environment unchanged when there is no file', () => {
    const env = { PORT: '1' };
    expect(withEnvFile(env, '/nonexistent/.env')).toBe(env);
  });
});
