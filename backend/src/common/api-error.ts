import { STATUS_CODES } from 'node:http';
import { HttpException, HttpStatus } from '@nestjs/common';

/** One bad field, as listed in an error's `details`. */
export interface FieldProblem {
  field: string;
  message: string;
  /** Position in a batch, for per-item errors. */
  index?: number;
}

/** The single error shape of the API: `{ statusCode, error, message, details? }`. */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: FieldProblem[];
}

/** The error shape for a status and message, `error` being the status's standard name. */
export function apiErrorBody(statusCode: number, message: string): ApiErrorBody {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message };
}

/** A 400 naming the bad fields. */
export class InvalidInputException extends HttpException {
  constructor(message: string, details: FieldProblem[]) {
    super({ message, details }, HttpStatus.BAD_REQUEST);
  }
}
