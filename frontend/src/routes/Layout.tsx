import { useQuery } from '@tanstack/react-query';
import { Suspense, useEffect } from 'react';
import { Navigate, NavLink, Outlet, useLocation, useSearchParams } from 'react-router';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { Loading } from '../components/QueryState';
import { ServiceBanner } from '../components/ServiceBanner';
import { LiveProvider, useConnection } from '../lib/live';
import { serviceStatus } from '../lib/serviceStatus';
import { useScope, useScopedPath } from '../lib/scope';
import { type Session, sessionStore, useSessionState } from '../lib/session';
import { queryKeys } from '../services/queryKeys';
import { useHealth } from '../services/health';
import { fetchMe, fetchTenants } from '../services/tenants';

/** Every signed-in page: the header, the banners and the live connection; no session, no page. */
export function Layout() {
  const { session } = useSessionState();
  const location = useLocation();
  if (!session)
    return <Navigate to="/sign-in" replace state={{ from: `${location.pathname}${location.search}` }} />;
  return <SignedIn session={session} />;
}

function SignedIn({ session }: { session: Session }) {
  const { tenantId } = useScope();
  // The stored identity is re-checked once per page load: a revoked key signs out here (401).
  const me = useQuery({ queryKey: queryKeys.me(session.key), queryFn: () => fetchMe(), staleTime: 60_000 });
  useEffect(() => {
    if (me.data && JSON.stringify(me.data) !== JSON.stringify(session.me)) sessionStore.update(me.data);
  }, [me.data, session.me]);
  // The database's state reaches the banner on every page, also while the socket brings nothing.
  const health = useHealth();
  const readiness = health.data?.readiness;
  useEffect(() => {
    if (readiness?.state === 'unavailable') serviceStatus.setUnavailable(readiness.reason ?? 'not ready');
    else if (readiness?.state === 'up') serviceStatus.setUnavailable(null);
  }, [readiness?.state, readiness?.reason]);
  return (
    <LiveProvider apiKey={session.key} tenantId={tenantId}>
      <div className="shell">
        <Header session={session} />
        <ServiceBanner />
        <main className="page" id="main">
          <Suspense fallback={<Loading what="page" />}>
            <Outlet />
          </Suspense>
        </main>
      </div>
    </LiveProvider>
  );
}

function Header({ session }: { session: Session }) {
  const scoped = useScopedPath();
  const connection = useConnection();
  const isAdmin = session.me.role === 'admin';
  const links: Array<[string, string]> = [
    ['/', 'Overview'],
    ['/jobs', 'Jobs'],
    ['/create', 'Create job'],
    ['/dlq', 'Dead letters'],
  ];
  if (isAdmin) links.push(['/tenants', 'Tenants']);
  return (
    <header className="header">
      <a className="skip" href="#main">
        Skip to content
      </a>
      <span className="brand">Conveyor</span>
      <nav aria-label="Pages" className="nav">
        {links.map(([path, label]) => (
          <NavLink key={path} to={scoped(path)} end={path === '/'}>
            {label}
          </NavLink>
        ))}
      </nav>
      <div className="header-right">
        {isAdmin && <TenantPicker />}
        <ConnectionIndicator state={connection} />
        <span className="who" data-testid="who">
          {session.me.tenant_name} · <strong>{session.me.role}</strong>
        </span>
        <button type="button" onClick={() => sessionStore.signOut()}>
          Sign out
        </button>
      </div>
    </header>
  );
}

/** Admins: whose jobs every page shows (`?tenant_id=`), kept in the URL so a link keeps it. */
function TenantPicker() {
  const [params, setParams] = useSearchParams();
  const { tenantId } = useScope();
  const tenants = useQuery({ queryKey: queryKeys.tenants.list, queryFn: fetchTenants });
  return (
    <label className="tenant-picker">
      <span className="visually-hidden">Tenant shown</span>
      <select
        value={tenantId ?? ''}
        onChange={(event) => {
          const next = new URLSearchParams(params);
          if (event.target.value) next.set('tenant_id', event.target.value);
          else next.delete('tenant_id');
          setParams(next);
        }}
      >
        <option value="">All tenants</option>
        {tenants.data?.map((tenant) => (
          <option key={tenant.id} value={tenant.id}>
            {tenant.name}
          </option>
        ))}
      </select>
    </label>
  );
}
