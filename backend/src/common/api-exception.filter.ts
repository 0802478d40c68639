import { STATUS_CODES } from 'node:http';
import {
  type ArgumentsHost,
  Catch,
  type ExceptionFilter,
  HttpException,
  HttpStatus,
  Logger,
} from '@nestjs/common';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { isConnectionFailure, isRefusedValue, isStatementCancelled } from '../database/database-errors';
import { QueueError } from '../queue/queue.errors';
import { type ApiErrorBody, apiErrorBody, type FieldProblem } from './api-error';
import { bodyReadRefusal, isBodyReadError, logRefusal } from './body-parsing';

/** Seconds a client is told to wait after a 503. */
const RETRY_AFTER_SECONDS = '5';

function bodyOf(status: number, response: unknown): ApiErrorBody {
  const error = STATUS_CODES[status] ?? 'Error';
  if (typeof response === 'string') return apiErrorBody(status, response);
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
    const response = http.getResponse<FastifyReply>();
    const request = http.getRequest<FastifyRequest>();
    let body: ApiErrorBody;
    if (exception instanceof HttpException) {
      body = bodyOf(exception.getStatus(), exception.getResponse());
    } else if (isBodyReadError(exception)) {
      // The body's stream failed before routing (an encoding that does not match, a body cut short).
      body = bodyReadRefusal(exception);
      logRefusal(request, body);
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
      response.header('Retry-After', RETRY_AFTER_SECONDS);
    } else if (isConnectionFailure(exception)) {
      this.logger.warn(`request ${request.id}: database unavailable: ${(exception as Error).message}`);
      body = {
        statusCode: HttpStatus.SERVICE_UNAVAILABLE,
        error: 'Service Unavailable',
        message: 'The database is unavailable; try again shortly',
      };
      response.header('Retry-After', RETRY_AFTER_SECONDS);
    } else {
      this.logger.error(`request ${request.id} failed: ${(exception as Error)?.stack ?? String(exception)}`);
      body = { statusCode: 500, error: 'Internal Server Error', message: 'Internal server error' };
    }
    if (!response.sent) void response.code(body.statusCode).send(body);
  }
}
