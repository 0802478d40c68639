import { InvalidInputException } from '../common/api-error';
import { UUID } from '../common/uuid';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/;

/** A keyset position: the exact timestamp (as PostgreSQL prints it, microseconds kept) and the id. */
export interface PagePosition {
  at: string;
  id: string;
}

export function encodeCursor(position: PagePosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id])).toString('base64url');
}

/** An opaque cursor back to its position; anything we did not make is a 400 naming `cursor`. */
export function decodeCursor(cursor: string): PagePosition {
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    decoded = undefined;
  }
  if (
    !Array.isArray(decoded) ||
    decoded.length !== 2 ||
    typeof decoded[0] !== 'string' ||
    typeof decoded[1] !== 'string' ||
    !TIMESTAMP.test(decoded[0]) ||
    !UUID.test(decoded[1])
  ) {
    const message = 'cursor is not a cursor this API returned';
    throw new InvalidInputException(message, [{ field: 'cursor', message }]);
  }
  return { at: decoded[0], id: decoded[1] };
}

/** Rows a list answers when the query gives no limit. */
const DEFAULT_PAGE = 50;

/**
 * One page of a keyset list. `read` is asked for one row more than the page: that row's presence
 * is what says another page follows, so no count is needed.
 */
export async function keysetPage<Row, Item>(
  query: { limit?: number; cursor?: string },
  read: (limit: number, after: PagePosition | undefined) => Promise<Row[]>,
  positionOf: (row: Row) => PagePosition,
  toItem: (row: Row) => Item,
): Promise<{ jobs: Item[]; next_cursor: string | null }> {
  const limit = query.limit ?? DEFAULT_PAGE;
  const rows = await read(limit + 1, query.cursor !== undefined ? decodeCursor(query.cursor) : undefined);
  const page = rows.slice(0, limit);
  return {
    jobs: page.map(toItem),
    next_cursor: rows.length > limit ? encodeCursor(positionOf(page[page.length - 1])) : null,
  };
}
