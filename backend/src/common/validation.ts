import {
  type ArgumentMetadata,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import type { ValidateFunction } from 'ajv';
import { type DtoClass, compileFastCheck, isPlainJsonBody } from './fast-validation';
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

/**
 * The pipe with a fast path for the DTOs given: a body parsed from JSON that their compiled
 * schema accepts is certainly valid, and is handed on as it came (plain data, the same fields
 * the pipe would give); anything else is validated as always, so every refusal and its
 * messages come from class-validator. See fast-validation.ts.
 */
class FastPathValidationPipe extends ValidationPipe {
  private readonly fastChecks: ReadonlyMap<DtoClass, ValidateFunction>;

  constructor(options: ValidationPipeOptions, fastPath: DtoClass[]) {
    super(options);
    this.fastChecks = new Map(fastPath.map((dto) => [dto, compileFastCheck(dto)]));
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    const check = metadata.type === 'body' && metadata.metatype && this.fastChecks.get(metadata.metatype);
    if (check && isPlainJsonBody(value) && check(value)) return value;
    return super.transform(value, metadata);
  }
}

/**
 * Registered once, globally: unknown fields are refused, types converted, every problem named.
 * Bodies of the `fastPath` DTOs may skip class-validator when certainly valid.
 */
export function apiValidationPipe(fastPath: DtoClass[] = []): ValidationPipe {
  return new FastPathValidationPipe(
    {
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
    },
    fastPath,
  );
}
