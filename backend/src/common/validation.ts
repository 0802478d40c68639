import {
  type ArgumentMetadata,
  ValidationPipe,
  type ValidationError,
  type ValidationPipeOptions,
} from '@nestjs/common';
import type { ValidateFunction } from 'ajv';
import { type DtoClass, compileFastCheck, isPlainJsonBody } from './fast-validation';
import { type FieldProblem, InvalidInputException } from './api-error';
import { PROTOTYPE_KEYS } from './json-body-check';

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

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null;

/**
 * Keys named like members of Object.prototype (`toString`, `valueOf`, …) that were sent but are
 * missing from what the pipe made of the body: class-transformer skips them when it copies an
 * object into a DTO, so forbidNonWhitelisted never sees them, and they would be dropped silently
 * where any other unknown key is refused. Walks the sent body beside the DTO it became; a part
 * handed on as sent (a payload, @KeptAsSent) is the same object, and not walked.
 */
export function droppedPrototypeKeys(sent: unknown, kept: unknown, parent = ''): FieldProblem[] {
  if (sent === kept || !isObject(sent) || !isObject(kept)) return [];
  const at = (key: string | number) => (parent ? `${parent}.${key}` : String(key));
  if (Array.isArray(sent))
    return Array.isArray(kept) ? sent.flatMap((item, i) => droppedPrototypeKeys(item, kept[i], at(i))) : [];
  return Object.keys(sent).flatMap((key) => {
    if (Object.hasOwn(kept, key)) return droppedPrototypeKeys(sent[key], kept[key], at(key));
    return PROTOTYPE_KEYS.has(key) ? [{ field: at(key), message: `${at(key)} should not exist` }] : [];
  });
}

const invalidInput = (details: FieldProblem[]) =>
  new InvalidInputException(
    `Invalid input: ${details.map((d) => d.message).join('; ')}`.slice(0, 1000),
    details,
  );

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
    const transformed: unknown = await super.transform(value, metadata);
    // A body marked plain holds no such key anywhere (scanJsonBody looked): nothing to walk.
    if (metadata.type === 'body' && !isPlainJsonBody(value)) {
      const dropped = droppedPrototypeKeys(value, transformed);
      if (dropped.length > 0) throw invalidInput(dropped);
    }
    return transformed;
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
      exceptionFactory: (errors) => invalidInput(fieldProblems(errors)),
    },
    fastPath,
  );
}
