import { isRetryable } from '../database/database-errors';

/** The part of Nest's Logger (and of the worker's RuntimeLogger) a failure is written to. */
export interface FailureLogger {
  warn(message: string): void;
  error(message: string, stack?: string): void;
}

/**
 * Writes a failure the process survives and tries again later: a passing database failure (the
 * server down or restarting, a deadlock: isRetryable) is a warning with its message, as the
 * operator expects such lines in an outage; anything else is an error with its stack, since it
 * is a fault someone has to find.
 */
export function logFailure(logger: FailureLogger, what: string, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  if (isRetryable(error)) logger.warn(`${what}: ${message}`);
  else logger.error(`${what}: ${message}`, error instanceof Error ? error.stack : undefined);
}
