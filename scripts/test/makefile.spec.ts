import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { REPO_ROOT } from '../../backend/test/support/processes';

const hasMake = !spawnSync('make', ['--version']).error;

/** Runs make with only PATH and HOME from this environment, so no STACK or OVERLAY leaks in. */
function make(args: string[], options: { cwd?: string; input?: string } = {}) {
  const run = spawnSync('make', ['--no-print-directory', ...args], {
    cwd: options.cwd ?? REPO_ROOT,
    input: options.input ?? '',
    encoding: 'utf8',
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
  });
  return { status: run.status, stdout: run.stdout.trim(), stderr: run.stderr.trim() };
}

const DEV = 'docker compose -f docker-compose.dev.yml';
const PROD = 'docker compose -f docker-compose.prod.yml';
const TEARDOWN = `POSTGRES_PASSWORD=\${POSTGRES_PASSWORD:-unused-for-teardown} ${PROD}`;

// What each target runs, as `make -n` prints it (the commands, without running them).
const DRY_RUNS: Array<[string, string[]]> = [
  [
    'build',
    [
      'docker build -f deploy/docker/backend.Dockerfile -t conveyor-backend:dev .',
      'docker build -f deploy/docker/frontend.Dockerfile -t conveyor-dashboard:dev .',
    ],
  ],
  ['build-prod', [`${PROD} build`]],
  ['up', [`${DEV} up -d`]],
  [
    'up-prod',
    [
      'test -f .env || { echo "No .env: copy .env.example to .env and set POSTGRES_PASSWORD first."; exit 1; }',
      `${PROD} up -d --build`,
    ],
  ],
  ['down', [`${DEV} down --remove-orphans`, `${TEARDOWN} down --remove-orphans`]],
  ['logs', [`${DEV} logs -f --tail=200`]],
  ['logs-backend', [`${DEV} logs -f --tail=200 api`]],
  ['logs-worker', [`${DEV} logs -f --tail=200 worker`]],
  ['logs-frontend', [`${DEV} logs -f --tail=200 frontend`]],
  ['logs-worker STACK=prod', [`${PROD} logs -f --tail=200 worker`]],
  ['test', ['npm test']],
  [
    'create-user USER_ID=tenant1 API_KEY=my-api-key-123',
    [`${DEV} exec -T api node dist/scripts/src/create-user.js 'tenant1' 'my-api-key-123'`],
  ],
  [
    'create-user USER_ID=ops API_KEY=my-admin-key-123 ADMIN=1 STACK=prod',
    [`${PROD} exec -T api node dist/scripts/src/create-user.js 'ops' 'my-admin-key-123' --admin`],
  ],
  ['create-user-local USER_ID=tenant1', ["npm run create-user -- 'tenant1'"]],
  [
    'create-user-local USER_ID=tenant1 API_KEY=my-api-key-123',
    ["npm run create-user -- 'tenant1' 'my-api-key-123'"],
  ],
  ['scale-workers COUNT=6', [`${DEV} up -d --no-deps --no-recreate --scale worker=6 worker`]],
  ['scale-workers COUNT=6 STACK=prod', [`${PROD} up -d --no-deps --no-recreate --scale worker=6 worker`]],
  ['start', ['npm start']],
  ['migrate', ['npm run migrate']],
  ['bench', ['npm run bench']],
  ['bench QUICK=1', ['npm run bench -- --quick']],
  ['k8s-render', ['kubectl kustomize deploy/k8s/overlays/dev']],
  ['k8s-render OVERLAY=prod', ['kubectl kustomize deploy/k8s/overlays/prod']],
  ['k8s-apply OVERLAY=prod', ['kubectl apply -k deploy/k8s/overlays/prod']],
];

const MISSING: Array<[string, RegExp]> = [
  ['create-user', /USER_ID is required: make create-user USER_ID=tenant1 API_KEY=/],
  ['create-user USER_ID=tenant1', /API_KEY is required/],
  ['create-user-local', /USER_ID is required/],
  ['scale-workers', /COUNT is required: make scale-workers COUNT=4/],
  ['scale-workers COUNT=many', /COUNT must be a whole number, not "many"/],
  ['k8s-apply', /OVERLAY is required/],
];

(hasMake ? describe : describe.skip)('Makefile', () => {
  it('prints every target with its description by default', () => {
    const help = make([]);
    expect(help.status).toBe(0);
    expect(help.stdout).toBe(make(['help']).stdout);
    const targets = help.stdout.split('\n').map((line) => line.trim().split(/\s+/)[0]);
    const expected = [...DRY_RUNS.map(([args]) => args.split(' ')[0]), 'help', 'clean', 'k8s-apply'];
    for (const target of new Set(expected)) expect(targets).toContain(target);
    for (const line of help.stdout.split('\n')) expect(line.trim()).toMatch(/^[a-z0-9-]+ +\S.{10,}$/);
  });

  it.each(DRY_RUNS)('make -n %s', (args, commands) => {
    const run = make(['-n', ...args.split(' ')]);
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout.split('\n').map((line) => line.trimEnd())).toEqual(commands);
  });

  it.each(MISSING)('make -n %s fails naming what is missing', (args, message) => {
    const run = make(['-n', ...args.split(' ')]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
    expect(run.stdout).toBe('');
  });

  it('make -n clean FORCE=1 removes both stacks with their volumes and the build output', () => {
    const run = make(['-n', 'clean', 'FORCE=1']);
    expect(run.status).toBe(0);
    const lines = run.stdout.split('\n');
    expect(lines.slice(-3)).toEqual([
      `${DEV} down --volumes --remove-orphans`,
      `${TEARDOWN} down --volumes --remove-orphans`,
      'rm -rf dist frontend/dist .jest-cache',
    ]);
  });

  it('make clean asks first, and removes nothing unless answered y', () => {
    // A copy of the Makefile in a scratch directory, so a broken prompt could only remove scratch.
    const dir = mkdtempSync(path.join(tmpdir(), 'conveyor-make-'));
    try {
      copyFileSync(path.join(REPO_ROOT, 'Makefile'), path.join(dir, 'Makefile'));
      mkdirSync(path.join(dir, 'dist'));
      const run = make(['clean'], { cwd: dir, input: 'n\n' });
      expect(run.status).not.toBe(0);
      expect(run.stdout).toContain('clean: aborted, nothing removed');
      expect(existsSync(path.join(dir, 'dist'))).toBe(true);
      // FORCE=1 does not ask: it goes on to the removal (here with a `docker` that only says what it got).
      mkdirSync(path.join(dir, 'bin'));
      const fakeDocker = path.join(dir, 'bin', 'docker');
      writeFileSync(fakeDocker, '#!/bin/sh\necho "docker $*"\n', { mode: 0o755 });
      const forced = spawnSync('make', ['--no-print-directory', 'clean', 'FORCE=1'], {
        cwd: dir,
        encoding: 'utf8',
        env: { PATH: `${path.join(dir, 'bin')}:${process.env.PATH}`, HOME: process.env.HOME },
      });
      expect(forced.status).toBe(0);
      expect(forced.stdout).toContain(
        'docker compose -f docker-compose.dev.yml down --volumes --remove-orphans',
      );
      expect(existsSync(path.join(dir, 'dist'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('acts on services that both Compose files define', () => {
    for (const file of ['docker-compose.dev.yml', 'docker-compose.prod.yml']) {
      const { services } = parse(readFileSync(path.join(REPO_ROOT, file), 'utf8'), { merge: true });
      for (const service of ['api', 'worker', 'frontend'])
        expect([file, service in services]).toEqual([file, true]);
    }
  });
});
