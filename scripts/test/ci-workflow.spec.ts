import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../backend/test/support/processes';

interface Step {
  uses?: string;
  run?: string;
}
interface Job {
  container?: string;
  services?: Record<string, { image: string; options?: string }>;
  env?: Record<string, string>;
  steps: Step[];
}

const workflow = parse(readFileSync(path.join(REPO_ROOT, '.github/workflows/ci.yml'), 'utf8')) as {
  on: Record<string, unknown>;
  jobs: Record<string, Job>;
};
const scripts = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  }
).scripts;
const runs = (job: string): string[] =>
  workflow.jobs[job].steps.flatMap((step) => (step.run ? [step.run] : []));

// The workflow runs on the repository host, not here: its structure is what can be checked.
describe('.github/workflows/ci.yml', () => {
  it('runs on pushes to main and on pull requests, checking out first in every job', () => {
    expect(Object.keys(workflow.on).sort()).toEqual(['pull_request', 'push']);
    for (const job of Object.values(workflow.jobs))
      expect(job.steps[0].uses).toMatch(/^actions\/checkout@v\d+$/);
  });

  it('installs from the lockfile, then lints, type-checks and tests with npm scripts that exist', () => {
    expect(runs('test')).toEqual(
      expect.arrayContaining([
        'npm ci --no-audit --no-fund',
        'npm run lint',
        'npm run typecheck',
        'npm test',
      ]),
    );
    const commands = runs('test').join('\n');
    expect(commands.indexOf('npm ci')).toBeLessThan(commands.indexOf('npm run lint'));
    for (const [, script] of commands.matchAll(/npm run ([\w:-]+)/g)) expect(scripts).toHaveProperty(script);
    expect(commands).not.toMatch(/npm install/);
  });

  it('tests against a PostgreSQL service container, with Debian chromium installed', () => {
    const job = workflow.jobs.test;
    expect(job.services?.postgres.image).toMatch(/^postgres:15\./);
    expect(job.services?.postgres.options).toContain('--health-cmd');
    expect(job.env?.DATABASE_URL).toMatch(/^postgres:\/\/\S+@postgres:5432\//);
    expect(job.container).toMatch(/^node:\d+\.\d+\.\d+-bookworm$/);
    expect(runs('test').join('\n')).toMatch(/apt-get install .*\bchromium\b/);
  });

  it('builds both images from Dockerfiles that exist', () => {
    const builds = runs('images').flatMap((run) =>
      [...run.matchAll(/docker build -f (\S+) /g)].map((m) => m[1]),
    );
    expect(builds.sort()).toEqual(['deploy/docker/backend.Dockerfile', 'deploy/docker/frontend.Dockerfile']);
    for (const file of builds) expect(existsSync(path.join(REPO_ROOT, file))).toBe(true);
  });

  it('renders both overlays, and checks that prod refuses without its secret file', () => {
    const commands = runs('kustomize').join('\n');
    expect(commands).toContain('kubectl kustomize deploy/k8s/overlays/dev');
    expect(commands).toMatch(/^! kubectl kustomize deploy\/k8s\/overlays\/prod/m);
    expect(commands).toMatch(/cp (deploy\/k8s\/overlays\/prod\/database\.env)\.example \1\n/);
    expect(existsSync(path.join(REPO_ROOT, 'deploy/k8s/overlays/prod/database.env.example'))).toBe(true);
  });
});
