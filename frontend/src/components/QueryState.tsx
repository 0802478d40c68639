import { type ReactNode } from 'react';
import { ApiError } from '../lib/api';

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ error, retry }: { error: unknown; retry?: () => void }) {
  const message =
    error instanceof ApiError
      ? `${error.status} ${error.body?.error ?? ''}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return (
    <div className="error-box" role="alert">
      <span>{message}</span>
      {retry && (
        <button type="button" onClick={retry}>
          Try again
        </button>
      )}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}
