import { Injectable } from '@nestjs/common';
import { inTransaction } from '../database/in-transaction';
import { PgPool } from '../database/pg-pool';
import { type ApiKeyRole } from './api-key-role';
import { type AuthContext } from './auth-context';

/** Key revocations and tenant changes, so every API replica drops what it cached at once. */
export const AUTH_CHANGED_CHANNEL = 'conveyor_auth_changed';

export interface TenantRow {
  id: string;
  name: string;
  rate_limit_per_second: number | null;
  rate_limit_burst: number | null;
  max_concurrency: number | null;
  created_at: Date;
  updated_at: Date;
}

export interface ApiKeyRow {
  id: string;
  tenant_id: string;
  prefix: string;
  name: string | null;
  role: ApiKeyRole;
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface TenantChanges {
  name?: string;
  rate_limit_per_second?: number | null;
  rate_limit_burst?: number | null;
  max_concurrency?: number | null;
}

const TENANT_COLUMNS =
  'id, name, rate_limit_per_second, rate_limit_burst, max_concurrency, created_at, updated_at';
const KEY_COLUMNS = 'id, tenant_id, prefix, name, role, created_at, last_used_at, revoked_at';

/** Tenants and API keys, in SQL on the API's pg pool. */
@Injectable()
export class AuthRepository {
  constructor(private readonly pg: PgPool) {}

  /** The active key with this hash and when it was last used; a read only (see touchKey). */
  /** Which of these key ids are not revoked: one read for every socket a replica holds open. */
  async activeKeyIds(ids: string[]): Promise<string[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.pg.pool.query<{ id: string }>(
      'SELECT id FROM api_keys WHERE id = ANY($1::uuid[]) AND revoked_at IS NULL',
      [ids],
    );
    return rows.map((row) => row.id);
  }

  async findActiveKey(keyHash: string): Promise<{ auth: AuthContext; lastUsedAt: Date | null } | null> {
    const { rows } = await this.pg.pool.query<{
      id: string;
      tenant_id: string;
      role: ApiKeyRole;
      last_used_at: Date | null;
      rate_limit_per_second: number | null;
      rate_limit_burst: number | null;
    }>(
      `SELECT k.id, k.tenant_id, k.role, k.last_used_at, t.rate_limit_per_second, t.rate_limit_burst
       FROM api_keys k JOIN tenants t ON t.id = k.tenant_id
       WHERE k.key_hash = $1 AND k.revoked_at IS NULL`,
      [keyHash],
    );
    const [row] = rows;
    if (!row) return null;
    return {
      auth: {
        keyId: row.id,
        tenantId: row.tenant_id,
        role: row.role,
        rateLimit: { perSecond: row.rate_limit_per_second, burst: row.rate_limit_burst },
      },
      lastUsedAt: row.last_used_at,
    };
  }

  /**
   * Sets last_used_at unless another replica did within the last minute: then the row is not
   * rewritten at all, so replicas together write a busy key's row about once a minute.
   */
  async touchKey(id: string): Promise<void> {
    await this.pg.pool.query(
      `UPDATE api_keys SET last_used_at = now()
       WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`,
      [id],
    );
  }

  /** null: the name is taken. */
  async createTenant(tenant: Required<TenantChanges>): Promise<TenantRow | null> {
    const { rows } = await this.pg.pool.query<TenantRow>(
      `INSERT INTO tenants (name, rate_limit_per_second, rate_limit_burst, max_concurrency)
       VALUES ($1, $2, $3, $4)
       ON CONFLICT (name) DO NOTHING
       RETURNING ${TENANT_COLUMNS}`,
      [tenant.name, tenant.rate_limit_per_second, tenant.rate_limit_burst, tenant.max_concurrency],
    );
    return rows[0] ?? null;
  }

  async listTenants(): Promise<TenantRow[]> {
    return (await this.pg.pool.query<TenantRow>(`SELECT ${TENANT_COLUMNS} FROM tenants ORDER BY name`)).rows;
  }

  async findTenant(id: string): Promise<TenantRow | null> {
    const { rows } = await this.pg.pool.query<TenantRow>(
      `SELECT ${TENANT_COLUMNS} FROM tenants WHERE id = $1`,
      [id],
    );
    return rows[0] ?? null;
  }

  async tenantNameTaken(name: string, exceptId: string): Promise<boolean> {
    const { rows } = await this.pg.pool.query('SELECT 1 FROM tenants WHERE name = $1 AND id <> $2', [
      name,
      exceptId,
    ]);
    return rows.length > 0;
  }

  /**
   * Applies the given changes and tells every replica to drop the tenant's cached settings.
   * A cap set from nothing is followed by a re-count of its running jobs (see tenantSlotsRecount).
   */
  async updateTenant(id: string, changes: TenantChanges): Promise<TenantRow | null> {
    const columns = Object.keys(changes) as Array<keyof TenantChanges>;
    if (columns.length === 0) return this.findTenant(id);
    const assignments = columns.map((column, i) => `${column} = $${i + 2}`).join(', ');
    return inTransaction(this.pg.pool, async ({ client }) => {
      const { rows } = await client.query<TenantRow>(
        `UPDATE tenants SET ${assignments}, updated_at = now() WHERE id = $1 RETURNING ${TENANT_COLUMNS}`,
        [id, ...columns.map((column) => changes[column])],
      );
      if (rows.length > 0)
        await client.query(`SELECT pg_notify($1, $2)`, [AUTH_CHANGED_CHANNEL, `tenant:${id}`]);
      return rows[0] ?? null;
    });
  }

  async createKey(key: {
    tenantId: string;
    keyHash: string;
    prefix: string;
    name: string | null;
    role: ApiKeyRole;
  }): Promise<ApiKeyRow> {
    const { rows } = await this.pg.pool.query<ApiKeyRow>(
      `INSERT INTO api_keys (tenant_id, key_hash, prefix, name, role) VALUES ($1, $2, $3, $4, $5)
       RETURNING ${KEY_COLUMNS}`,
      [key.tenantId, key.keyHash, key.prefix, key.name, key.role],
    );
    return rows[0];
  }

  async listKeys(tenantId: string): Promise<ApiKeyRow[]> {
    return (
      await this.pg.pool.query<ApiKeyRow>(
        `SELECT ${KEY_COLUMNS} FROM api_keys WHERE tenant_id = $1 ORDER BY created_at, id`,
        [tenantId],
      )
    ).rows;
  }

  /**
   * Revokes a key and, in the same statement, tells every replica to forget it: NOTIFY `key:<id>`.
   * The id, not the hash: any database session may LISTEN, and a hash is what the API looks keys
   * up by. null when there is no such key.
   */
  async revokeKey(id: string): Promise<ApiKeyRow | null> {
    const { rows } = await this.pg.pool.query<ApiKeyRow & { notified: unknown }>(
      `WITH revoked AS (
         UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()) WHERE id = $1
         RETURNING ${KEY_COLUMNS}
       )
       SELECT ${KEY_COLUMNS}, pg_notify($2, 'key:' || id) AS notified FROM revoked`,
      [id, AUTH_CHANGED_CHANNEL],
    );
    if (rows.length === 0) return null;
    const { notified: _notified, ...key } = rows[0];
    return key;
  }
}
