import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { Link, Navigate } from 'react-router';
import { ConfirmDialog } from '../components/ConfirmDialog';
import { CopyButton } from '../components/CopyButton';
import { ErrorMessage, QueryView } from '../components/QueryState';
import { RelativeTime } from '../components/RelativeTime';
import { ApiError } from '../lib/api';
import { useSession } from '../lib/session';
import { queryKeys } from '../services/queryKeys';
import {
  type ApiKey,
  createKey,
  createTenant,
  fetchKeys,
  fetchTenants,
  revokeKey,
  type Tenant,
  updateTenant,
} from '../services/tenants';
import { CompactTable } from '../components/CompactTable';

interface LimitsDraft {
  name: string;
  rate: string;
  burst: string;
  concurrency: string;
}

const draftOf = (tenant?: Tenant): LimitsDraft => ({
  name: tenant?.name ?? '',
  rate: tenant?.rate_limit_per_second?.toString() ?? '',
  burst: tenant?.rate_limit_burst?.toString() ?? '',
  concurrency: tenant?.max_concurrency?.toString() ?? '',
});

/** A number field, or null when empty: on an edit, null puts the server's default back. */
const limit = (text: string): number | null => (text.trim() === '' ? null : Number(text));

function LimitsForm({
  initial,
  submitLabel,
  busy,
  error,
  onSubmit,
  onCancel,
}: {
  initial: LimitsDraft;
  submitLabel: string;
  busy: boolean;
  error: unknown;
  onSubmit: (draft: LimitsDraft) => void;
  onCancel?: () => void;
}) {
  const [draft, setDraft] = useState(initial);
  const fields = error instanceof ApiError ? error.fieldMessages() : {};
  const input = (key: keyof LimitsDraft, label: string, field: string, type = 'number') => (
    <div className={`field${fields[field] ? ' has-error' : ''}`}>
      <label>
        {label}
        <input
          type={type}
          min={type === 'number' ? 1 : undefined}
          value={draft[key]}
          placeholder={type === 'number' ? 'default' : ''}
          onChange={(event) => setDraft({ ...draft, [key]: event.target.value })}
        />
      </label>
      {fields[field] && (
        <span className="field-error" role="alert">
          {fields[field]}
        </span>
      )}
    </div>
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onSubmit(draft);
  };
  return (
    <form className="limits-form" onSubmit={submit}>
      {input('name', 'Name', 'name', 'text')}
      {input('rate', 'Rate limit (requests/s)', 'rate_limit_per_second')}
      {input('burst', 'Burst', 'rate_limit_burst')}
      {input('concurrency', 'Max concurrency', 'max_concurrency')}
      {error !== null && error !== undefined && Object.keys(fields).length === 0 && (
        <ErrorMessage error={error} />
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {submitLabel}
        </button>
        {onCancel && (
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function Keys({ tenant }: { tenant: Tenant }) {
  const client = useQueryClient();
  const keys = useQuery({ queryKey: queryKeys.tenants.keys(tenant.id), queryFn: () => fetchKeys(tenant.id) });
  const [name, setName] = useState('');
  const [role, setRole] = useState<'tenant' | 'admin'>('tenant');
  const [revoking, setRevoking] = useState<ApiKey | null>(null);
  const create = useMutation({
    mutationFn: () => createKey(tenant.id, { name: name.trim() || undefined, role }),
    onSuccess: () => {
      setName('');
      void client.invalidateQueries({ queryKey: queryKeys.tenants.keys(tenant.id) });
    },
  });
  const revoke = useMutation({
    mutationFn: (key: ApiKey) => revokeKey(key.id),
    onSuccess: () => void client.invalidateQueries({ queryKey: queryKeys.tenants.keys(tenant.id) }),
  });
  return (
    <section className="panel wide" aria-labelledby={`keys-${tenant.id}`}>
      <h3 id={`keys-${tenant.id}`}>API keys of {tenant.name}</h3>
      <form
        className="toolbar"
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <label>
          Label
          <input
            value={name}
            onChange={(event) => setName(event.target.value)}
            placeholder="e.g. ci-deploys"
          />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as 'tenant' | 'admin')}>
            <option value="tenant">tenant</option>
            <option value="admin">admin</option>
          </select>
        </label>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create key
        </button>
      </form>
      {create.error && <ErrorMessage error={create.error} />}
      {create.data && (
        <div className="new-key" role="status">
          <p>
            New key <strong>{create.data.name ?? create.data.prefix}</strong>: copy it now, it is not shown
            again.
          </p>
          <code className="secret" data-testid="new-key">
            {create.data.key}
          </code>
          <CopyButton text={create.data.key} label="Copy key" />
        </div>
      )}
      <QueryView query={keys} what="keys" isEmpty={(data) => data.length === 0} empty="No keys yet.">
        {(data) => (
          <CompactTable columns={['Key', 'Label', 'Role', 'Created', 'Last used', 'State']}>
            {data.map((key) => (
              <tr key={key.id} data-key-id={key.id}>
                <td className="mono">{key.prefix}…</td>
                <td>{key.name ?? '—'}</td>
                <td>{key.role}</td>
                <td>
                  <RelativeTime iso={key.created_at} />
                </td>
                <td>
                  <RelativeTime iso={key.last_used_at} />
                </td>
                <td>
                  {key.revoked_at ? (
                    <span className="status status-cancelled">Revoked</span>
                  ) : (
                    <button type="button" className="danger" onClick={() => setRevoking(key)}>
                      Revoke
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </CompactTable>
        )}
      </QueryView>
      {revoke.error && <ErrorMessage error={revoke.error} />}
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke this key?"
        message={
          revoking ? `Key ${revoking.prefix}… stops working at once, on every API replica and socket.` : ''
        }
        confirmLabel="Revoke"
        danger
        onCancel={() => setRevoking(null)}
        onConfirm={() => {
          if (revoking) revoke.mutate(revoking);
          setRevoking(null);
        }}
      />
    </section>
  );
}

/** Admins: tenants with their limits, and their API keys. Tenant keys never see this page. */
export default function Tenants() {
  const { me } = useSession();
  const client = useQueryClient();
  const tenants = useQuery({
    queryKey: queryKeys.tenants.list,
    queryFn: fetchTenants,
    enabled: me.role === 'admin',
  });
  const [creating, setCreating] = useState(false);
  const [editing, setEditing] = useState<string | null>(null);
  const [keysOf, setKeysOf] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: (draft: LimitsDraft) =>
      createTenant({
        name: draft.name.trim(),
        rate_limit_per_second: limit(draft.rate) ?? undefined,
        rate_limit_burst: limit(draft.burst) ?? undefined,
        max_concurrency: limit(draft.concurrency) ?? undefined,
      }),
    onSuccess: (tenant) => {
      setCreating(false);
      setKeysOf(tenant.id);
      void client.invalidateQueries({ queryKey: queryKeys.tenants.list });
    },
  });
  const update = useMutation({
    mutationFn: ({ id, draft }: { id: string; draft: LimitsDraft }) =>
      updateTenant(id, {
        name: draft.name.trim(),
        rate_limit_per_second: limit(draft.rate),
        rate_limit_burst: limit(draft.burst),
        max_concurrency: limit(draft.concurrency),
      }),
    onSuccess: () => {
      setEditing(null);
      void client.invalidateQueries({ queryKey: queryKeys.tenants.list });
    },
  });

  if (me.role !== 'admin') return <Navigate to="/" replace />;
  const shownKeys = tenants.data?.find((tenant) => tenant.id === keysOf);

  return (
    <div>
      <div className="title-row">
        <h1>Tenants</h1>
        <button
          type="button"
          className="primary"
          onClick={() => setCreating(!creating)}
          aria-expanded={creating}
        >
          New tenant
        </button>
      </div>
      {creating && (
        <section className="panel wide" aria-label="New tenant">
          <LimitsForm
            initial={draftOf()}
            submitLabel="Create tenant"
            busy={create.isPending}
            error={create.error}
            onSubmit={(draft) => create.mutate(draft)}
            onCancel={() => setCreating(false)}
          />
        </section>
      )}
      <QueryView query={tenants} what="tenants" isEmpty={(data) => data.length === 0} empty="No tenants.">
        {(data) => (
          <div className="table-wrap">
            <table className="table">
              <caption className="visually-hidden">Tenants</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Rate limit /s</th>
                  <th scope="col">Burst</th>
                  <th scope="col">Max concurrency</th>
                  <th scope="col">Created</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {data.map((tenant) =>
                  editing === tenant.id ? (
                    <tr key={tenant.id}>
                      <td colSpan={6}>
                        <LimitsForm
                          initial={draftOf(tenant)}
                          submitLabel="Save"
                          busy={update.isPending}
                          error={update.error}
                          onSubmit={(draft) => update.mutate({ id: tenant.id, draft })}
                          onCancel={() => setEditing(null)}
                        />
                      </td>
                    </tr>
                  ) : (
                    <tr key={tenant.id} data-tenant-id={tenant.id}>
                      <td>{tenant.name}</td>
                      <td>{tenant.rate_limit_per_second ?? 'default'}</td>
                      <td>{tenant.rate_limit_burst ?? 'default'}</td>
                      <td>{tenant.max_concurrency ?? 'no cap'}</td>
                      <td>
                        <RelativeTime iso={tenant.created_at} />
                      </td>
                      <td>
                        <div className="row-actions">
                          <button type="button" onClick={() => setEditing(tenant.id)}>
                            Edit
                          </button>
                          <button
                            type="button"
                            aria-expanded={keysOf === tenant.id}
                            onClick={() => setKeysOf(keysOf === tenant.id ? null : tenant.id)}
                          >
                            Keys
                          </button>
                          <Link to={`/jobs?tenant_id=${tenant.id}`}>Jobs</Link>
                        </div>
                      </td>
                    </tr>
                  ),
                )}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {shownKeys && <Keys key={shownKeys.id} tenant={shownKeys} />}
    </div>
  );
}
