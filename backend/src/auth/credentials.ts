import { type DataSource, type EntityManager } from 'typeorm';
import { API_KEY_MIN_LENGTH, displayPrefix, generateApiKey, hashApiKey } from './api-key-secret';
import { ApiKeyEntity, type ApiKeyRole } from './api-key.entity';
import { TenantEntity } from './tenant.entity';

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
export async function issueApiKey(dataSource: DataSource, request: IssueKeyRequest): Promise<IssuedKey> {
  const { tenantName, key } = validate(request);
  const role = request.role ?? 'tenant';
  return dataSource.transaction(async (manager) => {
    const { tenant, created } = await ensureTenant(manager, tenantName);
    const keyHash = hashApiKey(key);
    if (await manager.existsBy(ApiKeyEntity, { keyHash })) {
      throw new CredentialsError(CredentialsErrorCode.ApiKeyTaken, 'That API key is already in use');
    }
    const saved = await manager.save(
      manager.create(ApiKeyEntity, {
        tenantId: tenant.id,
        keyHash,
        prefix: displayPrefix(key),
        name: request.keyName ?? null,
        role,
      }),
    );
    return { tenantId: tenant.id, tenantName, tenantCreated: created, keyId: saved.id, key, role };
  });
}

async function ensureTenant(
  manager: EntityManager,
  name: string,
): Promise<{ tenant: TenantEntity; created: boolean }> {
  const inserted = await manager
    .createQueryBuilder()
    .insert()
    .into(TenantEntity)
    .values({ name })
    .orIgnore()
    .returning('id')
    .execute();
  const created = inserted.raw.length > 0;
  const tenant = await manager.findOneByOrFail(TenantEntity, { name });
  return { tenant, created };
}

export async function countActiveApiKeys(dataSource: DataSource): Promise<number> {
  return dataSource
    .getRepository(ApiKeyEntity)
    .createQueryBuilder('k')
    .where('k.revoked_at IS NULL')
    .getCount();
}
