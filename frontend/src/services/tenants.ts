import { type Schemas } from '@conveyor/contracts';
import { api } from '../lib/api';

export type Tenant = Schemas['TenantDto'];
export type CreateTenant = Schemas['CreateTenantDto'];
export type UpdateTenant = Schemas['UpdateTenantDto'];
export type ApiKey = Schemas['ApiKeyDto'];
export type CreatedApiKey = Schemas['CreatedApiKeyDto'];
export type CreateApiKey = Schemas['CreateApiKeyDto'];
export type WhoAmI = Schemas['WhoAmIDto'];

export const fetchMe = (apiKey?: string) => api<WhoAmI>('GET', '/api/v1/auth/me', { apiKey });

export const fetchTenants = () => api<Tenant[]>('GET', '/api/v1/tenants');

export const createTenant = (tenant: CreateTenant) =>
  api<Tenant>('POST', '/api/v1/tenants', { body: tenant });

export const updateTenant = (id: string, patch: UpdateTenant) =>
  api<Tenant>('PATCH', `/api/v1/tenants/${encodeURIComponent(id)}`, { body: patch });

export const fetchKeys = (tenantId: string) =>
  api<ApiKey[]>('GET', `/api/v1/tenants/${encodeURIComponent(tenantId)}/keys`);

export const createKey = (tenantId: string, key: CreateApiKey) =>
  api<CreatedApiKey>('POST', `/api/v1/tenants/${encodeURIComponent(tenantId)}/keys`, { body: key });

export const revokeKey = (keyId: string) =>
  api<ApiKey>('POST', `/api/v1/keys/${encodeURIComponent(keyId)}/revoke`);
