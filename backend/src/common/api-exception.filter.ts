import { STATUS_CODES } from 'node:http';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { type Request, type Response } from 'express';
import { QueueError } from '../queue/queue.errors';
import { type ApiErrorBody, type FieldProblem } from './api-error';

/** Connection-level failures: the database is down or restarting, not the request's fault. */
const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'ETIMEDOUT', '57P01', '57P03']);

function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: string }).code;
  return (
    (code !== undefined && (UNAVAILABLE_CODES.has(code) || code.startsWith('08'))) ||
    /Connection terminated|timeout exceeded when trying to connect/i.test(error.message)
  );
}

/**
 * 57014 query_canceled: statement_timeout (API_STATEMENT_TIMEOUT_MS) cut the statement, or an
 * operator cancelled it. The database is busy or something holds a lock: retry, not a fault.
 */
function isStatementCancelled(error: unknown): boolean {
  return error instanceof Error && (error as { code?: string }).code === '57014';
}

/** Seconds a client is told to wait after a 503. */
const RETRY_AFTER_SECONDS = '5';

/**
 * PostgreSQL data exceptions caused by a value as sent (not by our SQL): untranslatable
 * characters, out-of-range numbers and dates, unparseable text, and a value too large for an
 * index entry (54000). Other class-22 codes, such as division by zero, stay server faults.
 */
const REFUSED_VALUE_CODES = new Set(['22P05', '22021', '22003', '22007', '22008', '22P02', '22001', '54000']);

function isRefusedValue(error: unknown): boolean {
  const code = error instanceof Error ? (error as { code?: string }).code : undefined;
  return code !== undefined && REFUSED_VALUE_CODES.has(code);
}

function bodyOf(status: number, response: unknown): ApiErrorBody {
  const error = STATUS_CODES[status] ?? 'Error';
  if (typeof response === 'string') return { statusCode: status, error, message: response };
  const fields = (response ?? {}) as Record<string, unknown>;
  const message = Array.isArray(fields.message)
    ? fields.message.join('; ')
    : typeof fields.message === 'string'
      ? fields.message
      : typeof fields.reason === 'string'
        ? fields.reason
        : error;
  const extra = Object.fromEntries(
    Object.entries(fields).filter(([key]) => !['statusCode', 'error', 'message'].includes(key)),
  );
  return { statusCode: status, error, message, ...extra };
}

/**
 * Maps every error to the one shape `{ statusCode, error, message, details? }`. A refused job
 * (QueueError) is a 400 naming its field; a database outage or a statement cut by its deadline
 * is a 503 with Retry-After; anything else unexpected
 * is logged with the request id and answered with a bare 500, never with its internals.
 */
@Catch()
export class ApiExceptionFilter implements ExceptionFilter {
  private readonly logger = new Logger('ApiExceptionFilter');

  catch(exception: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const response = http.getResponse<Response>();
    const request = http.getRequest<Request & { id?: string }>();
    let body: ApiErrorBody;
    if (exception instanceof HttpException) {
      body = bodyOf(exception.getStatus(), exception.getResponse());
    } else if (exception instanceof QueueError) {
      const details: FieldProblem[] = [{ field: exception.field, message: exception.message }];
      body = { statusCode: 400, error: 'Bad Request', message: exception.message, details };
    } else if (isRefusedValue(exception)) {
      // A value the client sent that PostgreSQL cannot store, such as a \u0000 inside a JSON
      // string: the client's mistake, so a 400, not a 500.
      body = {
        statusCode: 400,
        error: 'Bad Request',
        message: `A value cannot be stored: ${(exception as Error).message}`,
      };
    } else if (isStatementCancelled(exception)) {
      this.logger.warn(`request ${request.id}: statement cancelled: ${(exception as Error).message}`);
      body = {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'The database took too long to answer; try again shortly',
      };
      response.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    } else if (isDatabaseUnavailable(exception)) {
      this.logger.warn(`request ${request.id}: database unavailable: ${(exception as Error).message}`);
      body = {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'The database is unavailable; try again shortly',
      };
      response.setHeader('Retry-After', RETRY_AFTER_SECONDS);
    } else {
      this.logger.error(`request ${request.id} failed: ${(exception as Error)?.stack ?? String(exception)}`);
      body = { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
    }
    if (!response.headersSent) response.status(body.statusCode).json(body);
  }
}
