import { STATUS_CODES } from 'node:http';
import { type INestApplication, Logger } from '@nestjs/common';
import { json, type NextFunction, type Request, type Response } from 'express';
import { type ApiErrorBody } from './api-error';
import { markPlainJsonBody } from './fast-validation';
import { scanJsonBody } from './json-body-check';

/** body-parser's errors are http-errors: a status, `expose` for client errors, and mostly a `type`. */
interface BodyParserError extends Error {
  type?: string;
  status?: number;
  expose?: boolean;
}

function refusal(error: BodyParserError, limitBytes: number): ApiErrorBody {
  const status = error.status!;
  const name = STATUS_CODES[status] ?? 'Bad Request';
  if (error.type === 'entity.too.large')
    return { statusCode: 413, error: name, message: `Request body exceeds ${limitBytes} bytes` };
  if (error.type === 'entity.parse.failed')
    return { statusCode: status, error: name, message: `Malformed JSON body: ${error.message}` };
  return { statusCode: status, error: name, message: `Cannot read the request body: ${error.message}` };
}

/**
 * JSON bodies up to `limitBytes`. Body-parser runs before Nest's routing, so its refusals are
 * turned into the API's error shape here: malformed JSON is a 400, an oversized body a 413, an
 * unknown charset a 415, a body that does not match its Content-Encoding a 400. A parsed body
 * that nothing could store (too deep, or holding a NUL) is a 400 naming the place. One without
 * prototype keys is marked plain, so that the validation pipe may take its fast path.
 */
export function parseJsonBodies(app: INestApplication, limitBytes: number): void {
  app.use(json({ limit: limitBytes }));
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (typeof req.body !== 'object' || req.body === null) return next();
    const { problem, prototypeKeys } = scanJsonBody(req.body);
    if (!problem) {
      if (!prototypeKeys) markPlainJsonBody(req.body as object);
      return next();
    }
    refuse(req, res, { statusCode: 400, error: 'Bad Request', message: problem.message, details: [problem] });
  });
  app.use((error: BodyParserError, req: Request, res: Response, next: NextFunction) => {
    const clientError = error.expose === true && typeof error.status === 'number' && error.status < 500;
    if (!clientError) return next(error);
    refuse(req, res, refusal(error, limitBytes));
  });
}

const logger = new Logger('BodyParsing');

/**
 * Answers a request refused before routing. The request logger runs later (as Nest middleware)
 * and never sees it, so the refusal gets its own line, under the request's id.
 */
function refuse(req: Request, res: Response, body: ApiErrorBody): void {
  logger.log(
    `request ${req.id} ${req.method} ${req.originalUrl} refused: ${body.statusCode} ${body.message}`,
  );
  res.status(body.statusCode).json(body);
}
