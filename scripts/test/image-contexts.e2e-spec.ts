import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT } from '../../backend/test/support/processes';

/** One instruction of a Dockerfile, continuation lines joined. */
interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

function parseDockerfile(text: string): Stage[] {
  const logical = text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'));
  const stages: Stage[] = [];
  for (const line of logical) {
    const [, keyword, args] = /^(\S+)\s*(.*)$/.exec(line)!;
    if (keyword.toUpperCase() === 'FROM') {
      const [from, , name] = args.split(/\s+/);
      stages.push({ from, name, instructions: [] });
    } else {
      stages.at(-1)!.instructions.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ') });
    }
  }
  return stages;
}

/**
 * .dockerignore as Docker reads it: paths relative to the context, `*` and `?` within one path
 * element, `**` across any number, `!` re-includes, the last matching line wins, and a pattern that
 * matches a directory matches everything under it.
 */
function dockerIgnore(text: string): (relative: string) => boolean {
  const rules = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const negate = line.startsWith('!');
      const pattern = path.posix.normalize(line.slice(negate ? 1 : 0).replace(/^\/+/, ''));
      const source = pattern
        .split('')
        .map((char, i, chars) => {
          if (char === '*' && chars[i + 1] === '*') return '';
          if (char === '*' && chars[i - 1] === '*') return chars[i + 1] === '/' ? '(?:.*/)?' : '.*';
          if (char === '/' && chars[i - 1] === '*' && chars[i - 2] === '*') return '';
          if (char === '*') return '[^/]*';
          if (char === '?') return '[^/]';
          return char.replace(/[.+^${}()|[\]\\]/g, '\\$&');
        })
        .join('');
      return { negate, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  return (relative) => {
    let ignored = false;
    for (const rule of rules) if (rule.regex.test(relative)) ignored = !rule.negate;
    return ignored;
  };
}

/** Copies `source` (a context-relative path) to `target` as COPY does, leaving out ignored files. */
function copyFromContext(source: string, target: string, ignored: (relative: string) => boolean): void {
  const from = path.join(REPO_ROOT, source);
  if (ignored(source) || !existsSync(from))
    throw new Error(`COPY ${source}: not in the build context (missing or .dockerignore'd)`);
  if (!statSync(from).isDirectory()) {
    mkdirSync(path.dirname(target), { recursive: true });
    cpSync(from, target);
    return;
  }
  // A directory's contents go into the target, as COPY does.
  mkdirSync(target, { recursive: true });
  for (const entry of readdirSync(from)) {
    const relative = path.posix.join(source, entry);
    if (!ignored(relative)) copyFromContext(relative, path.join(target, entry), ignored);
  }
}

/**
 * Runs a Dockerfile's build stage outside Docker: its WORKDIR becomes a temporary directory, its
 * COPY lines copy from the repository honouring .dockerignore, and its RUN lines run there (npm
 * with --prefer-offline, from the shared npm cache). Returns the directory the stage built in.
 */
function runBuildStage(stage: Stage, ignored: (relative: string) => boolean, root: string): string {
  let workdir = root;
  for (const { keyword, args } of stage.instructions) {
    if (keyword === 'WORKDIR') {
      workdir = path.join(root, args);
      mkdirSync(workdir, { recursive: true });
    } else if (keyword === 'COPY') {
      if (args.startsWith('--')) throw new Error(`COPY flags are not handled here: ${args}`);
      const parts = args.split(' ');
      const destination = parts.pop()!;
      const target = path.resolve(workdir, destination);
      for (const source of parts) {
        const into = destination.endsWith('/') || parts.length > 1;
        copyFromContext(source, into ? path.join(target, path.basename(source)) : target, ignored);
      }
    } else if (keyword === 'RUN') {
      const command = args.replace(/\bnpm (ci|prune)\b/g, 'npm $1 --prefer-offline');
      const run = spawnSync('sh', ['-c', command], {
        cwd: workdir,
        encoding: 'utf8',
        env: { PATH: process.env.PATH, HOME: process.env.HOME, npm_config_update_notifier: 'false' },
      });
      if (run.status !== 0)
        throw new Error(`RUN ${command} failed (${run.status}):\n${run.stdout}\n${run.stderr}`.slice(-6000));
    } else if (keyword !== 'ENV' && keyword !== 'ARG') {
      throw new Error(`${keyword} in a build stage is not handled here`);
    }
  }
  return workdir;
}

const read = (file: string): string => readFileSync(path.join(REPO_ROOT, file), 'utf8');

describe('Dockerfile parsing and .dockerignore matching', () => {
  it('joins continuation lines and splits stages', () => {
    const stages = parseDockerfile(
      'FROM a AS build\n# note\nRUN one \\\n  && two\nFROM b\nCOPY --from=build /x y\n',
    );
    expect(stages).toEqual([
      { from: 'a', name: 'build', instructions: [{ keyword: 'RUN', args: 'one && two' }] },
      { from: 'b', name: undefined, instructions: [{ keyword: 'COPY', args: '--from=build /x y' }] },
    ]);
  });

  it('matches as Docker does', () => {
    const ignored = dockerIgnore('node_modules\n**/node_modules\n.env.*\n!.env.example\ndist\n');
    expect(ignored('node_modules')).toBe(true);
    expect(ignored('backend/node_modules/x/y.js')).toBe(true);
    expect(ignored('dist/backend/x.js')).toBe(true);
    expect(ignored('backend/dist')).toBe(false); // root-anchored, as Docker reads `dist`
    expect(ignored('.env.local')).toBe(true);
    expect(ignored('.env.example')).toBe(false);
    expect(ignored('backend/src/main.api.ts')).toBe(false);
  });
});

// What `docker build` would do with each image's context, without a Docker engine: a file the build
// needs but no COPY line brings in fails here.
describe.each([
  {
    dockerfile: 'deploy/docker/backend.Dockerfile',
    built: [
      'dist/backend/src/main.api.js',
      'dist/backend/src/main.worker.js',
      'dist/scripts/src/migrate.js',
      'dist/scripts/src/create-user.js',
    ],
    // Its runtime stage takes node_modules as the build stage left it: production dependencies only.
    leftOut: ['node_modules/jest', 'node_modules/vite', 'node_modules/typescript', 'dist/backend/test'],
    // Without DATABASE_URL the worker exits 1 with its message, having loaded every module it imports.
    starts: { script: 'dist/backend/src/main.worker.js', exitCode: 1, prints: 'DATABASE_URL is required' },
  },
  {
    dockerfile: 'deploy/docker/frontend.Dockerfile',
    built: ['frontend/dist/index.html'],
    leftOut: [],
    starts: undefined,
  },
])('$dockerfile', ({ dockerfile, built, leftOut, starts }) => {
  const stages = parseDockerfile(read(dockerfile));
  const ignored = dockerIgnore(read('.dockerignore'));
  let root: string;
  let workdir: string;

  beforeAll(() => {
    root = mkdtempSync(path.join(tmpdir(), 'conveyor-image-'));
    workdir = runBuildStage(stages[0], ignored, root);
  }, 300_000);
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('pins every base image to a version, never latest', () => {
    for (const { from } of stages)
      expect(from).toMatch(/^[\w./-]+:\d+\.\d+\.\d+[\w.-]*(@sha256:[0-9a-f]{64})?$/);
  });

  it('installs from the lockfile and runs its final stage as a non-root user', () => {
    const runs = stages[0].instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args);
    expect(runs.some((run) => /^npm ci /.test(run))).toBe(true);
    expect(runs.join(' ')).not.toMatch(/npm (install|i) /);
    const user = stages
      .at(-1)!
      .instructions.filter((i) => i.keyword === 'USER')
      .at(-1);
    expect(user?.args).toMatch(/^(node|[1-9]\d*)$/);
  });

  it('builds in a directory holding only what its COPY lines bring', () => {
    for (const file of built) expect(existsSync(path.join(workdir, file))).toBe(true);
  });

  it('leaves out of the build what the runtime must not carry', () => {
    for (const file of leftOut) expect(existsSync(path.join(workdir, file))).toBe(false);
  });

  it('loads its entry point from what the build left', () => {
    if (!starts) return;
    const run = spawnSync(process.execPath, [starts.script], {
      cwd: workdir,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, NODE_ENV: 'production' },
    });
    expect(run.stderr + run.stdout).toContain(starts.prints);
    expect(run.status).toBe(starts.exitCode);
  });

  it('has everything its final stage copies, from the build stage or the context', () => {
    for (const { keyword, args } of stages.at(-1)!.instructions) {
      if (keyword !== 'COPY') continue;
      const [source] = args.replace(/^--from=\S+ /, '').split(' ');
      if (args.startsWith('--from=')) expect(existsSync(path.join(root, source))).toBe(true);
      else expect(ignored(source) || !existsSync(path.join(REPO_ROOT, source))).toBe(false);
    }
  });
});
