import { useState } from 'react';

export interface KeysetPages {
  /** The cursor of the page shown; null on the first (the live one). */
  cursor: string | null;
  /** 1 on the first page. */
  number: number;
  newer(): void;
  older(nextCursor: string): void;
}

/**
 * Keyset paging by `next_cursor`: the cursors that led to the page shown, so Newer goes back
 * one. A change of `resetOn` (new filters, another tenant) starts again from the first page.
 */
export function useKeysetPages(resetOn: unknown): KeysetPages {
  const [cursors, setCursors] = useState<string[]>([]);
  const [pagedFor, setPagedFor] = useState(resetOn);
  if (pagedFor !== resetOn) {
    setPagedFor(resetOn);
    setCursors([]);
  }
  return {
    cursor: cursors.at(-1) ?? null,
    number: cursors.length + 1,
    newer: () => setCursors((list) => list.slice(0, -1)),
    older: (nextCursor) => setCursors((list) => [...list, nextCursor]),
  };
}
