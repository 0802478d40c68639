import { type KeysetPages } from '../lib/keysetPages';

/** Newer / Older buttons for a keyset-paged list; the first page is the live one. */
export function KeysetPager({
  pages,
  nextCursor,
  label,
}: {
  pages: KeysetPages;
  nextCursor: string | null | undefined;
  label: string;
}) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" disabled={pages.number === 1} onClick={pages.newer}>
        ← Newer
      </button>
      <span className="muted">{pages.number === 1 ? 'Newest, live' : `Page ${pages.number}`}</span>
      <button type="button" disabled={!nextCursor} onClick={() => nextCursor && pages.older(nextCursor)}>
        Older →
      </button>
    </nav>
  );
}
