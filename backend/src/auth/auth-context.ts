import { type Request } from 'express';
import { type ApiKeyRole } from './api-key.entity';

/** Who is calling: resolved from the Bearer key by the global ApiKeyGuard, once per request. */
export interface AuthContext {
  keyId: string;
  tenantId: string;
  role: ApiKeyRole;
  /** The tenant's own token bucket; null fields fall back to RATE_LIMIT_* from config. */
  rateLimit: { perSecond: number | null; burst: number | null };
}

export interface AuthenticatedRequest extends Request {
  auth?: AuthContext;
}
