import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { installedVersion } from '../bench-peer-harness';
import { type BenchServer } from './server';
import { pgbenchPath } from './scenario-pgbench';

export interface Machine {
  cores: number;
  cpu_model: string;
  memory_gib: number;
  os: string;
  node_version: string;
  postgres_version: string;
  database: string;
  postgres_settings: Record<string, string>;
  pgbench_version?: string;
  peer_versions: Record<string, string>;
  /** The code measured: HEAD, and how many files differed from it (uncommitted work is measured too). */
  git?: { commit: string; changed_files: number };
  date: string;
  load_average_start: number[];
  load_average_end?: number[];
}

function gitState(): Machine['git'] {
  const cwd = path.resolve(__dirname, '..', '..', '..', '..');
  try {
    const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd, encoding: 'utf8' }).trim();
    const status = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], {
      cwd,
      encoding: 'utf8',
    });
    return { commit, changed_files: status.split('\n').filter(Boolean).length };
  } catch {
    return undefined;
  }
}

/** What the report is headed by: the machine, PostgreSQL and the versions under test. */
export function describeMachine(server: BenchServer): Machine {
  const pgbench = pgbenchPath();
  let pgbenchVersion: string | undefined;
  if (pgbench)
    try {
      pgbenchVersion = /([\d.]+)/.exec(execFileSync(pgbench, ['--version'], { encoding: 'utf8' }))?.[1];
    } catch {
      pgbenchVersion = undefined;
    }
  return {
    cores: os.cpus().length,
    cpu_model: os.cpus()[0]?.model.trim() ?? 'unknown',
    memory_gib: +(os.totalmem() / 2 ** 30).toFixed(1),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node_version: process.version,
    postgres_version: server.version,
    database: server.describe,
    postgres_settings: server.settings,
    pgbench_version: pgbenchVersion,
    peer_versions: {
      'pg-boss': installedVersion('pg-boss'),
      'graphile-worker': installedVersion('graphile-worker'),
    },
    git: gitState(),
    date: new Date().toISOString(),
    load_average_start: os.loadavg(),
  };
}
