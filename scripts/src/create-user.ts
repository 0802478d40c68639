import 'reflect-metadata';
import { API_KEY_MIN_LENGTH } from '../../backend/src/auth/api-key-secret';
import { type ApiKeyRole } from '../../backend/src/auth/api-key-role';
import { CredentialsError, issueApiKey } from '../../backend/src/auth/credentials';
import { loadConfigOrExit } from '../../backend/src/common/process-lifecycle';
import { createPgPool } from '../../backend/src/database/pg-pool';
import { migrateUp } from '../../backend/src/database/migrator';
import { openDatabaseTarget } from '../../backend/src/launcher/database-target';

const USAGE = 'Usage: npm run create-user -- <tenant> [<api-key> | --key-stdin] [--admin]';
const FLAGS = ['--admin', '--key-stdin'];

interface Arguments {
  tenantName: string;
  key?: string;
  keyFromStdin: boolean;
  role: ApiKeyRole;
}

function parseArgs(argv: string[]): Arguments {
  const role: ApiKeyRole = argv.includes('--admin') ? 'admin' : 'tenant';
  const keyFromStdin = argv.includes('--key-stdin');
  const positional = argv.filter((arg) => !FLAGS.includes(arg));
  const unknownFlag = positional.find((arg) => arg.startsWith('--'));
  if (unknownFlag) throw new UsageError(`Unknown option ${unknownFlag}`);
  if (positional.length < 1 || positional.length > 2)
    throw new UsageError('Expected a tenant and an optional key');
  if (keyFromStdin && positional.length > 1)
    throw new UsageError('Give the key either as an argument or with --key-stdin, not both');
  return { tenantName: positional[0], key: positional[1], keyFromStdin, role };
}

class UsageError extends Error {}

/**
 * The key as piped in (`printf %s "$KEY" | npm run create-user -- acme --key-stdin`): a key on
 * the command line is visible to every user of the host in `ps` and lands in shell history.
 * One trailing newline is dropped, as `echo` adds one.
 */
async function readKeyFromStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('--key-stdin reads the key from a pipe, not a terminal');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 4096) throw new UsageError('The key on stdin is longer than 4096 bytes');
    chunks.push(chunk);
  }
  const key = Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
  if (key === '') throw new UsageError('--key-stdin was given but stdin was empty');
  return key;
}

/** `create-user tenant1 my-api-key-123`: a tenant and its key, on the database `npm start` uses. */
async function main(): Promise<void> {
  const config = loadConfigOrExit();
  let request;
  try {
    request = parseArgs(process.argv.slice(2));
    if (request.keyFromStdin) request.key = await readKeyFromStdin();
    if (request.tenantName.trim() === '') throw new UsageError('The tenant name must not be empty');
    // Checked here as well as in issueApiKey so that bad input never starts the embedded server.
    if (request.key !== undefined && request.key.length < API_KEY_MIN_LENGTH) {
      throw new UsageError(`An API key must be at least ${API_KEY_MIN_LENGTH} characters`);
    }
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(1);
  }

  const log = (message: string): void => console.error(`[conveyor] ${message}`);
  const target = await openDatabaseTarget(config, log);
  try {
    await migrateUp(target.url);
    const pool = createPgPool(target.url, 'conveyor-create-user', 1, false);
    try {
      const issued = await issueApiKey(pool, request);
      console.log(`Tenant "${issued.tenantName}" ${issued.tenantCreated ? 'created' : 'already existed'}.`);
      console.log(`API key: ${issued.key}`);
      console.log(`Role: ${issued.role}`);
    } finally {
      await pool.end();
    }
  } catch (error) {
    if (!(error instanceof CredentialsError)) throw error;
    console.error(error.message);
    process.exitCode = 1;
  } finally {
    await target.release();
  }
}

main().catch((error: unknown) => {
  console.error(`create-user failed: ${(error as Error).message}`);
  process.exit(1);
});
