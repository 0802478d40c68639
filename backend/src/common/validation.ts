import { ValidationPipe, type ValidationError } from '@nestjs/common';
import { type FieldProblem, InvalidInputException } from './api-error';

/** Flattens class-validator's tree into one problem per failed constraint, with dotted paths (`jobs.3.type`). */
export function fieldProblems(errors: ValidationError[], parent = ''): FieldProblem[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const own = Object.values(error.constraints ?? {}).map((message) => ({
      field,
      message: message.replace(/^property /, '').replace(error.property, field),
    }));
    return [...own, ...fieldProblems(error.children ?? [], field)];
  });
}

/** Registered once, globally: unknown fields are refused, types converted, every problem named. */
export function apiValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    transform: true,
    exceptionFactory: (errors) => {
      const details = fieldProblems(errors);
      return new InvalidInputException(
        `Invalid input: ${details.map((d) => d.message).join('; ')}`.slice(0, 1000),
        details,
      );
    },
  });
}
