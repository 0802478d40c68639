import { InvalidInputException } from '../common/api-error';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?([+-]\d{2}(:?\d{2})?|Z)$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

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
