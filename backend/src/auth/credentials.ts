import { type Pool, type PoolClient } from 'pg';
import { inTransaction } from '../database/in-transaction';
import { API_KEY_MIN_LENGTH, displayPrefix, generateApiKey, hashApiKey } from './api-key-secret';
import { type ApiKeyRole } from './api-key-role';

export enum CredentialsErrorCode {
  TenantNameBlank = 'TENANT_NAME_BLANK',
  ApiKeyTooShort = 'API_KEY_TOO_SHORT',
  ApiKeyTaken = 'API_KEY_TAKEN',
}

export class CredentialsError extends Error {
  override name = 'CredentialsError';
  constructor(
    readonly code: CredentialsErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface IssuedKey {
  tenantId: string;
  tenantName: string;
  tenantCreated: boolean;
  keyId: string;
  key: string;
  role: ApiKeyRole;
}

export interface IssueKeyRequest {
  tenantName: string;
  /** Omitted: a random key is generated. */
  key?: string;
  role?: ApiKeyRole;
  keyName?: string;
}

function validate(request: IssueKeyRequest): { tenantName: string; key: string } {
  const tenantName = request.tenantName.trim();
  if (tenantName === '') {
    throw new CredentialsError(CredentialsErrorCode.TenantNameBlank, 'The tenant name must not be empty');
  }
  const key = request.key ?? generateApiKey();
  if (key.length < API_KEY_MIN_LENGTH || key.trim() !== key) {
    throw new CredentialsError(
      CredentialsErrorCode.ApiKeyTooShort,
      `An API key must be at least ${API_KEY_MIN_LENGTH} characters, without surrounding spaces`,
    );
  }
  return { tenantName, key };
}

/**
 * Creates the tenant if it is new and gives it an API key, in one transaction: either both are
 * written or neither is. Shared by create-user and the launcher's first-start bootstrap.
 */
export async function issueApiKey(pool: Pool, request: IssueKeyRequest): Promise<IssuedKey> {
  const { tenantName, key } = validate(request);
  const role = request.role ?? 'tenant';
  return inTransaction(pool, async ({ client }) => {
    const { tenantId, created } = await ensureTenant(client, tenantName);
    const keyHash = hashApiKey(key);
    const taken = await client.query(`SELECT 1 FROM api_keys WHERE key_hash = $1`, [keyHash]);
    if (taken.rows.length > 0)
      throw new CredentialsError(CredentialsErrorCode.ApiKeyTaken, 'That API key is already in use');
    const { rows } = await client.query<{ id: string }>(
      `INSERT INTO api_keys (tenant_id, key_hash, prefix, name, role) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
      [tenantId, keyHash, displayPrefix(key), request.keyName ?? null, role],
    );
    return { tenantId, tenantName, tenantCreated: created, keyId: rows[0].id, key, role };
  });
}

async function ensureTenant(
  client: PoolClient,
  name: string,
): Promise<{ tenantId: string; created: boolean }> {
  const inserted = await client.query<{ id: string }>(
    `INSERT INTO tenants (name) VALUES ($1) ON CONFLICT (name) DO NOTHING RETURNING id`,
    [name],
  );
  if (inserted.rows.length > 0) return { tenantId: inserted.rows[0].id, created: true };
  const { rows } = await client.query<{ id: string }>(`SELECT id FROM tenants WHERE name = $1`, [name]);
  return { tenantId: rows[0].id, created: false };
}

export async function countActiveApiKeys(pool: Pool): Promise<number> {
  const { rows } = await pool.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM api_keys WHERE revoked_at IS NULL`,
  );
  return rows[0].n;
}
