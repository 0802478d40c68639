import { hashApiKey } from '../../backend/src/auth/api-key-secret';
import { builtScript, cleanEnv, runNode, startNode } from '../../backend/test/support/processes';
import { createTestDatabase, query, type TestDatabase } from '../../backend/test/support/test-database';

const CREATE_USER = 'scripts/src/create-user.js';

describe('npm run create-user', () => {
  let db: TestDatabase;
  const createUser = (...args: string[]) =>
    runNode(builtScript(CREATE_USER), args, cleanEnv({ DATABASE_URL: db.url }));
  /** create-user with `input` piped to its stdin. */
  const createUserPiped = async (input: string, ...args: string[]) => {
    const running = startNode(builtScript(CREATE_USER), args, cleanEnv({ DATABASE_URL: db.url }));
    running.child.stdin.end(input);
    const { code } = await running.exited;
    return { code, output: running.output() };
  };
  const counts = async () =>
    (
      await query<{ tenants: number; keys: number }>(
        db.url,
        'SELECT (SELECT count(*)::int FROM tenants) AS tenants, (SELECT count(*)::int FROM api_keys) AS keys',
      )
    )[0];

  beforeAll(async () => {
    db = await createTestDatabase({ migrate: false });
  });
  afterAll(() => db.drop());

  it("takes a tenant and a key as arguments and stores only the key's sha256", async () => {
    const result = await createUser('tenant1', 'my-api-key-123');
    expect(result.code).toBe(0);
    expect(result.output).toContain('Tenant "tenant1" created.');
    expect(result.output).toContain('API key: my-api-key-123');
    const rows = await query<{ key_hash: string; role: string; prefix: string }>(
      db.url,
      'SELECT key_hash, role, prefix FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE t.name = $1',
      ['tenant1'],
    );
    // A third of the key at most: 4 of these 14 characters.
    expect(rows).toEqual([{ key_hash: hashApiKey('my-api-key-123'), role: 'tenant', prefix: 'my-a' }]);
    const leaked = await query(
      db.url,
      `SELECT 1 FROM api_keys WHERE key_hash LIKE '%my-api-key%' OR prefix = 'my-api-key-123'`,
    );
    expect(leaked).toEqual([]);
  });

  it('adds a generated key to an existing tenant', async () => {
    const result = await createUser('tenant1');
    expect(result.code).toBe(0);
    expect(result.output).toContain('Tenant "tenant1" already existed.');
    expect(result.output).toMatch(/API key: cvr_[\w-]{43}\n/);
    expect(await counts()).toEqual({ tenants: 1, keys: 2 });
  });

  it('reads the key from stdin with --key-stdin, keeping it off the command line', async () => {
    const result = await createUserPiped('piped-secret-key-42\n', 'piped', '--key-stdin', '--admin');
    expect(result.code).toBe(0);
    expect(result.output).toContain('Tenant "piped" created.');
    expect(result.output).toContain('Role: admin');
    const rows = await query<{ key_hash: string }>(
      db.url,
      'SELECT key_hash FROM api_keys k JOIN tenants t ON t.id = k.tenant_id WHERE t.name = $1',
      ['piped'],
    );
    expect(rows).toEqual([{ key_hash: hashApiKey('piped-secret-key-42') }]);
  });

  it.each([
    ['an empty stdin', '', ['piped2', '--key-stdin']],
    ['a short key on stdin', 'short\n', ['piped2', '--key-stdin']],
    [
      'a key both on stdin and as an argument',
      'piped-secret-key-43\n',
      ['piped2', 'arg-key-1234567', '--key-stdin'],
    ],
  ])('refuses %s and writes nothing', async (_case, input, args) => {
    const before = await counts();
    const result = await createUserPiped(input, ...args);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Usage: npm run create-user/);
    expect(await counts()).toEqual(before);
  });

  it('makes admin keys with --admin', async () => {
    const result = await createUser('ops', 'ops-admin-key-0001', '--admin');
    expect(result.output).toContain('Role: admin');
  });

  it.each([
    ['an empty tenant', ['', 'valid-key-123456']],
    ['a whitespace tenant', ['   ', 'valid-key-123456']],
    ['a key shorter than 12 characters', ['tenant9', 'short-key']],
    ['no arguments', []],
    ['an unknown option', ['tenant9', '--root']],
  ])('refuses %s with a message and writes nothing', async (_case, args) => {
    const before = await counts();
    const result = await createUser(...args);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/Usage: npm run create-user/);
    expect(await counts()).toEqual(before);
  });

  it('refuses a key that is already in use, writing nothing', async () => {
    const before = await counts();
    const result = await createUser('tenant-new', 'my-api-key-123');
    expect(result.code).toBe(1);
    expect(result.output).toContain('already in use');
    expect(await counts()).toEqual(before);
  });
});
