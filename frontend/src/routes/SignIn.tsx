import { type FormEvent, useState } from 'react';
import { Navigate, useLocation } from 'react-router';
import { ApiError } from '../lib/api';
import { sessionStore, useSessionState } from '../lib/session';
import { fetchMe } from '../services/tenants';

/** Paste an API key; the API says whose it is (GET /api/v1/auth/me) before it is kept. */
export default function SignIn() {
  const { session, message } = useSessionState();
  const location = useLocation();
  const from = (location.state as { from?: string } | null)?.from ?? '/';
  const [key, setKey] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  if (session) return <Navigate to={from} replace />;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const trimmed = key.trim();
    setBusy(true);
    setError(null);
    try {
      const me = await fetchMe(trimmed);
      sessionStore.signIn({ key: trimmed, me });
    } catch (caught) {
      setError(
        caught instanceof ApiError ? caught.message : `The API could not be reached: ${String(caught)}`,
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="sign-in">
      <form className="card" onSubmit={(event) => void submit(event)} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Conveyor</h1>
        <p className="muted">Sign in with an API key. It stays in this tab only (sessionStorage).</p>
        {message && (
          <p className="banner banner-warning" role="alert">
            {message}
          </p>
        )}
        <label htmlFor="api-key">API key</label>
        <input
          id="api-key"
          type="password"
          autoComplete="off"
          spellCheck={false}
          value={key}
          onChange={(event) => setKey(event.target.value)}
          aria-invalid={error !== null}
          aria-describedby={error ? 'api-key-error' : undefined}
          autoFocus
        />
        {error && (
          <p id="api-key-error" className="field-error" role="alert">
            {error}
          </p>
        )}
        <button type="submit" className="primary" disabled={busy || key.trim() === ''}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
