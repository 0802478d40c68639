import { type INestApplication } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { type ApiErrorBody } from './api-error';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/**
 * JSON bodies up to `limitBytes`. Body-parser errors happen before Nest's routing, so they are
 * turned into the API's error shape here: malformed JSON is a 400, an oversized body a 413.
 */
export function parseJsonBodies(app: INestApplication, limitBytes: number): void {
  app.use(json({ limit: limitBytes }));
  app.use((error: BodyParserError, _req: Request, res: Response, next: NextFunction) => {
    if (
      !error.type?.startsWith('entity.') &&
      error.type !== 'encoding.unsupported' &&
      error.type !== 'charset.unsupported'
    )
      return next(error);
    const status = error.status ?? 400;
    const body: ApiErrorBody =
      error.type === 'entity.too.large'
        ? { statusCode: 413, error: 'Payload Too Large', message: `Request body exceeds ${limitBytes} bytes` }
        : error.type === 'entity.parse.failed'
          ? { statusCode: 400, error: 'Bad Request', message: `Malformed JSON body: ${error.message}` }
          : { statusCode: status, error: 'Bad Request', message: error.message };
    res.status(body.statusCode).json(body);
  });
}
