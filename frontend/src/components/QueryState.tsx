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

/**
 * A query's place on a page: its error (with a retry) first, then Loading until data comes, then
 * `empty` when `isEmpty` says so, else what `children` makes of the data.
 */
export function QueryView<T>({
  query,
  what,
  isEmpty,
  empty,
  children,
}: {
  query: { error: unknown; data: T | undefined; refetch: () => unknown };
  what: string;
  isEmpty: (data: T) => boolean;
  empty: ReactNode;
  children: (data: T) => ReactNode;
}) {
  if (query.error) return <ErrorMessage error={query.error} retry={() => void query.refetch()} />;
  if (!query.data) return <Loading what={what} />;
  if (isEmpty(query.data)) return <Empty>{empty}</Empty>;
  return <>{children(query.data)}</>;
}
