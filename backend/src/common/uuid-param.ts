import { Param, ParseUUIDPipe } from '@nestjs/common';
import { InvalidInputException } from './api-error';

/** A route parameter that must be a UUID; anything else is a 400 naming the parameter. */
export const UuidParam = (name: string): ParameterDecorator =>
  Param(
    name,
    new ParseUUIDPipe({
      exceptionFactory: () =>
        new InvalidInputException(`${name} must be a UUID`, [
          { field: name, message: `${name} must be a UUID` },
        ]),
    }),
  );
