import { type FastifyRequest } from 'fastify';
import { type ApiKeyRole } from './api-key-role';

/** Who is calling: resolved from the Bearer key by the global ApiKeyGuard, once per request. */
export interface AuthContext {
  keyId: string;
  tenantId: string;
  role: ApiKeyRole;
  /** The tenant's own token bucket; null fields fall back to RATE_LIMIT_* from config. */
  rateLimit: { perSecond: number | null; burst: number | null };
}

/**
 * The tenants a caller may read and act on: a tenant key, its own tenant (a tenant it names is
 * ignored, never an error, so that one client works with either kind of key); an admin key, the
 * tenant it names, or every tenant (null). The one place this rule is written.
 */
export function tenantScope(auth: AuthContext, requested?: string): string | null {
  return auth.role === 'admin' ? (requested ?? null) : auth.tenantId;
}

export interface AuthenticatedRequest extends FastifyRequest {
  auth?: AuthContext;
}
