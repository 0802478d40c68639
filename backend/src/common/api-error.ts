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

/** A 400 naming the bad fields. */
export class InvalidInputException extends HttpException {
  constructor(message: string, details: FieldProblem[]) {
    super({ message, details }, HttpStatus.BAD_REQUEST);
  }
}
