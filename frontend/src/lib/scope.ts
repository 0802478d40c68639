import { useSearchParams } from 'react-router';
import { useSession } from './session';

export interface Scope {
  /** Cache key part: the tenant whose data is shown, or 'all' (an admin watching every tenant). */
  scope: string;
  /** `tenant_id` to send: an admin's pick, undefined for tenant keys (the API scopes those itself). */
  tenantId: string | undefined;
  isAdmin: boolean;
}

/** Whose jobs the pages show: a tenant key's own; for an admin, `?tenant_id=` or every tenant. */
export function useScope(): Scope {
  const { me } = useSession();
  const [params] = useSearchParams();
  if (me.role !== 'admin') return { scope: me.tenant_id, tenantId: undefined, isAdmin: false };
  const picked = params.get('tenant_id') || undefined;
  return { scope: picked ?? 'all', tenantId: picked, isAdmin: true };
}

/** A link's target with the admin's tenant pick carried along. */
export function useScopedPath(): (path: string) => string {
  const { tenantId } = useScope();
  return (path: string) => {
    if (!tenantId) return path;
    return `${path}${path.includes('?') ? '&' : '?'}tenant_id=${encodeURIComponent(tenantId)}`;
  };
}
