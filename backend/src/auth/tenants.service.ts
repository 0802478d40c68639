import { ConflictException, Injectable, NotFoundException } from '@nestjs/common';
import { JobQueue } from '../queue/job-queue';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { displayPrefix, generateApiKey, hashApiKey } from './api-key-secret';
import { type AuthContext } from './auth-context';
import { type ApiKeyRow, AuthRepository, type TenantChanges, type TenantRow } from './auth.repository';
import {
  type ApiKeyDto,
  type CreateApiKeyDto,
  type CreatedApiKeyDto,
  type WhoAmIDto,
} from './dto/api-key.dto';
import { type CreateTenantDto, type TenantDto, type UpdateTenantDto } from './dto/tenant.dto';

function toTenantDto(row: TenantRow): TenantDto {
  return {
    id: row.id,
    name: row.name,
    rate_limit_per_second: row.rate_limit_per_second,
    rate_limit_burst: row.rate_limit_burst,
    max_concurrency: row.max_concurrency,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function toApiKeyDto(row: ApiKeyRow): ApiKeyDto {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    prefix: row.prefix,
    name: row.name,
    role: row.role,
    created_at: row.created_at.toISOString(),
    last_used_at: row.last_used_at?.toISOString() ?? null,
    revoked_at: row.revoked_at?.toISOString() ?? null,
  };
}

/** Tenant and API-key management (admin routes) and the caller's own identity. */
@Injectable()
export class TenantsService {
  constructor(
    private readonly repository: AuthRepository,
    private readonly queue: JobQueue,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async whoAmI(auth: AuthContext): Promise<WhoAmIDto> {
    const tenant = await this.tenantOrFail(auth.tenantId);
    return { tenant_id: tenant.id, tenant_name: tenant.name, key_id: auth.keyId, role: auth.role };
  }

  async create(dto: CreateTenantDto): Promise<TenantDto> {
    const created = await this.repository.createTenant({
      name: dto.name,
      rate_limit_per_second: dto.rate_limit_per_second ?? null,
      rate_limit_burst: dto.rate_limit_burst ?? null,
      max_concurrency: dto.max_concurrency ?? null,
    });
    if (!created) throw new ConflictException(`A tenant named "${dto.name}" already exists`);
    return toTenantDto(created);
  }

  async list(): Promise<TenantDto[]> {
    return (await this.repository.listTenants()).map(toTenantDto);
  }

  async get(id: string): Promise<TenantDto> {
    return toTenantDto(await this.tenantOrFail(id));
  }

  async update(id: string, dto: UpdateTenantDto): Promise<TenantDto> {
    const before = await this.tenantOrFail(id);
    if (dto.name !== undefined && (await this.repository.tenantNameTaken(dto.name, id)))
      throw new ConflictException(`A tenant named "${dto.name}" already exists`);
    const changes = Object.fromEntries(
      Object.entries(dto).filter(([, value]) => value !== undefined),
    ) as TenantChanges;
    const updated = await this.repository.updateTenant(id, changes);
    if (!updated) throw new NotFoundException(`No tenant ${id}`);
    // Running jobs were not counted while the tenant had no cap; count them now.
    if (before.max_concurrency === null && updated.max_concurrency !== null)
      await this.queue.recountTenantSlots(id);
    return toTenantDto(updated);
  }

  async createKey(tenantId: string, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    await this.tenantOrFail(tenantId);
    const key = generateApiKey();
    const row = await this.repository.createKey({
      tenantId,
      keyHash: hashApiKey(key),
      prefix: displayPrefix(key),
      name: dto.name ?? null,
      role: dto.role ?? 'tenant',
    });
    return { ...toApiKeyDto(row), key };
  }

  async listKeys(tenantId: string): Promise<ApiKeyDto[]> {
    await this.tenantOrFail(tenantId);
    return (await this.repository.listKeys(tenantId)).map(toApiKeyDto);
  }

  async revokeKey(id: string): Promise<ApiKeyDto> {
    const revoked = await this.repository.revokeKey(id);
    if (!revoked) throw new NotFoundException(`No API key ${id}`);
    // This replica at once, before it answers; the others when the NOTIFY reaches them.
    this.authenticator.forgetKey(revoked.id);
    return toApiKeyDto(revoked);
  }

  private async tenantOrFail(id: string): Promise<TenantRow> {
    const tenant = await this.repository.findTenant(id);
    if (!tenant) throw new NotFoundException(`No tenant ${id}`);
    return tenant;
  }
}
