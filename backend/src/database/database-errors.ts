/**
 * What a failed database call means, in one place: every retry loop and the API's error filter
 * ask here instead of keeping their own lists of codes.
 */

/** SQLSTATEs after which the same statement may well succeed if sent again (after a pause). */
const RETRYABLE_SQLSTATES: ReadonlyMap<string, string> = new Map([
  ['40001', 'serialization_failure'],
  ['40P01', 'deadlock_detected'],
  ['55P03', 'lock_not_available'],
  ['57014', 'query_canceled'], // statement_timeout: a busy database or a held lock
  ['57P01', 'admin_shutdown'],
  ['57P02', 'crash_shutdown'],
  ['57P03', 'cannot_connect_now'],
  ['53000', 'insufficient_resources'],
  ['53100', 'disk_full'],
  ['53200', 'out_of_memory'],
  ['53300', 'too_many_connections'],
  ['58000', 'system_error'],
  ['58030', 'io_error'],
]);

/** Socket-level failures node reports before PostgreSQL could answer. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

/** How pg reports a connection lost or never made, without a code. */
const CONNECTION_MESSAGES =
  /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i;

/**
 * Data exceptions caused by a value as sent (not by our SQL): untranslatable characters,
 * out-of-range numbers and dates, unparseable text, a string too long, and a value too large for
 * an index entry (54000). Other class-22 codes, such as division by zero, are faults of ours.
 */
const REFUSED_VALUE_SQLSTATES = new Set([
  '22P05',
  '22021',
  '22003',
  '22007',
  '22008',
  '22P02',
  '22001',
  '54000',
]);

/** The SQLSTATE (or node's error code) of an error, if it has one. */
export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** The database is down, restarting or unreachable: not the caller's fault, and likely to pass. */
export function isConnectionFailure(error: unknown): boolean {
  const code = errorCode(error);
  if (
    code !== undefined &&
    (NETWORK_CODES.has(code) || code.startsWith('08') || code === '57P01' || code === '57P03')
  )
    return true;
  return error instanceof Error && CONNECTION_MESSAGES.test(error.message);
}

/** Sending the same statement again, after a pause, may succeed. */
export function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  return isConnectionFailure(error) || (code !== undefined && RETRYABLE_SQLSTATES.has(code));
}

/** statement_timeout (or an operator) cut the statement. */
export function isStatementCancelled(error: unknown): boolean {
  return errorCode(error) === '57014';
}

/** PostgreSQL refused a value as sent: the input's fault, and a retry fails the same way. */
export function isRefusedValue(error: unknown): boolean {
  const code = errorCode(error);
  return code !== undefined && REFUSED_VALUE_SQLSTATES.has(code);
}

/**
 * A statement over many rows failed because of one of them (any data exception, a constraint, a
 * key too large for its index) or lost a deadlock or serialization race: smaller groups of the
 * same rows can succeed, and a bad row alone fails alone.
 */
export function isSplittable(error: unknown): boolean {
  const code = errorCode(error);
  return (
    code !== undefined &&
    (code.startsWith('22') ||
      code.startsWith('23') ||
      code === '54000' ||
      code === '40P01' ||
      code === '40001')
  );
}
