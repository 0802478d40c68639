import { STATUS_CODES } from 'node:http';
import { type Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpException, Logger } from '@nestjs/common';
import { type FastifyInstance, type FastifyRequest } from 'fastify';
import { type ApiErrorBody } from './api-error';
import { markPlainJsonBody } from './fast-validation';
import { scanJsonBody } from './json-body-check';

const JSON_TYPE = 'application/json';
const MULTIPART_TYPE = 'multipart/form-data';

/** The Content-Encodings a JSON body may come in, as Node decodes them. */
const DECODERS: Record<string, () => Transform> = {
  gzip: createGunzip,
  'x-gzip': createGunzip,
  deflate: createInflate,
  br: createBrotliDecompress,
};

const CHARSET = /;\s*charset\s*=\s*"?([^";\s]*)"?/i;

const logger = new Logger('BodyParsing');

/**
 * A body refused before routing gets its own log line under the request's id: the request line
 * is written later and names only the status.
 */
export function logRefusal(request: FastifyRequest, body: ApiErrorBody): void {
  logger.log(
    `request ${request.id} ${request.method} ${request.url} refused: ${body.statusCode} ${body.message}`,
  );
}

/** A refusal in the API's error shape, logged; what a parser hands Fastify as its error. */
function refusal(request: FastifyRequest, body: ApiErrorBody): HttpException {
  logRefusal(request, body);
  return new HttpException(body, body.statusCode);
}

const badRequest = (message: string, extra: Partial<ApiErrorBody> = {}): ApiErrorBody => ({
  statusCode: 400,
  error: 'Bad Request',
  message,
  ...extra,
});

/**
 * An error of a body's stream (a Content-Encoding that does not match the bytes, a body cut
 * short): Fastify gives it a 4xx statusCode. Fastify's own errors (FST_ERR_*) reach the filter
 * as Nest's HttpException instead.
 */
export function isBodyReadError(error: unknown): error is Error & { statusCode: number } {
  // Not `instanceof Error`: a stream's error (zlib's) may come from another realm (jest's sandbox).
  const { statusCode, message } = (error ?? {}) as { statusCode?: unknown; message?: unknown };
  return (
    typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500 && typeof message === 'string'
  );
}

/** The API's answer to a body whose stream failed, naming what was wrong. */
export function bodyReadRefusal(error: Error & { statusCode: number }): ApiErrorBody {
  const statusCode = error.statusCode;
  return {
    statusCode,
    error: STATUS_CODES[statusCode] ?? 'Bad Request',
    message: `Cannot read the request body: ${error.message}`,
  };
}

const tooLarge = (limitBytes: number): ApiErrorBody => ({
  statusCode: 413,
  error: STATUS_CODES[413]!,
  message: `Request body exceeds ${limitBytes} bytes`,
});

const unsupported = (message: string): ApiErrorBody => ({
  statusCode: 415,
  error: STATUS_CODES[415]!,
  message,
});

/**
 * `source` cut at `limitBytes`: past it, the stream fails with `refuse()`'s error, before Fastify's
 * own count (its message names no limit). Tells Fastify the bytes read off the socket, for its
 * check against Content-Length.
 */
function limited(
  source: Readable & { receivedEncodedLength?: number },
  limitBytes: number,
  refuse: () => Error,
): Transform {
  let seen = 0;
  const out = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      if (seen > limitBytes) return callback(refuse());
      callback(null, chunk);
    },
  });
  source.on('error', (error) => out.destroy(error));
  Object.defineProperty(out, 'receivedEncodedLength', { get: () => source.receivedEncodedLength ?? seen });
  return source.pipe(out);
}

/**
 * The JSON body's stream as the parser reads it: refused at once when its Content-Length is over
 * the limit, decoded when it has a Content-Encoding, and counted against the limit when its length
 * was not known up front (chunked or encoded).
 */
function jsonBodyStream(
  request: FastifyRequest,
  payload: Readable,
  limitBytes: number,
): Readable | HttpException {
  const encoding = request.headers['content-encoding']?.trim().toLowerCase() ?? 'identity';
  const length = Number(request.headers['content-length']);
  if (encoding === 'identity') {
    if (length > limitBytes) return refusal(request, tooLarge(limitBytes));
    // Node's parser reads no more than Content-Length: nothing to count.
    if (!Number.isNaN(length)) return payload;
  }
  let decoded: Readable & { receivedEncodedLength?: number } = payload;
  if (encoding !== 'identity') {
    const decoder = DECODERS[encoding];
    if (!decoder)
      return refusal(
        request,
        unsupported(`Unsupported Content-Encoding "${encoding}": send gzip, deflate, br or identity`),
      );
    const stream = decoder();
    let encodedBytes = 0;
    payload.on('data', (chunk: Buffer) => (encodedBytes += chunk.length));
    payload.on('error', (error) => stream.destroy(error));
    decoded = Object.defineProperty(payload.pipe(stream), 'receivedEncodedLength', {
      get: () => encodedBytes,
    });
  }
  return limited(decoded, limitBytes, () => refusal(request, tooLarge(limitBytes)));
}

/**
 * Parses a JSON body as the API accepts it: UTF-8, an object or an array at the top, nothing no
 * route could store (too deep, a NUL, a key named `__proto__`, `constructor` or `prototype`: a 400
 * naming the place). An empty body is `{}`. A body without keys named like Object.prototype's
 * members is marked plain, so that the validation pipe may take its fast path.
 */
function parseJson(request: FastifyRequest, text: string): unknown {
  if (text.length === 0) return {};
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (error) {
    throw refusal(request, badRequest(`Malformed JSON body: ${(error as Error).message}`));
  }
  if (typeof body !== 'object' || body === null)
    throw refusal(request, badRequest('Malformed JSON body: a JSON object or array is expected'));
  const { problem, prototypeKeys } = scanJsonBody(body);
  if (problem) throw refusal(request, badRequest(problem.message, { details: [problem] }));
  if (!prototypeKeys) markPlainJsonBody(body);
  return body;
}

/**
 * The bodies the API reads, replacing Fastify's own parsers: JSON up to `limitBytes` (its
 * refusals in the API's error shape: malformed JSON a 400, an oversized body a 413, a charset
 * other than UTF-8 a 415, a body that does not match its gzip, deflate or br Content-Encoding a
 * 400, an unknown encoding a 415), and multipart/form-data left unread for MultipartJobGuard,
 * which streams it only after the key and rate-limit guards. A body of any other type, or of
 * none, is a 415 naming the type.
 */
export function parseBodies(instance: FastifyInstance, limitBytes: number): void {
  instance.removeAllContentTypeParsers();
  instance.addContentTypeParser(
    JSON_TYPE,
    { parseAs: 'string', bodyLimit: limitBytes },
    (request, text, done) => {
      const charset = CHARSET.exec(request.headers['content-type'] ?? '')?.[1]?.toLowerCase();
      if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')
        return done(
          refusal(request, unsupported(`Unsupported charset "${charset.toUpperCase()}": send JSON in UTF-8`)),
          undefined,
        );
      try {
        done(null, parseJson(request, text as string));
      } catch (error) {
        done(error as HttpException, undefined);
      }
    },
  );
  instance.addContentTypeParser(MULTIPART_TYPE, (_request, _payload, done) => done(null, undefined));
  instance.addContentTypeParser('*', (request, _payload, done) => {
    const type = request.headers['content-type'] ?? '(none)';
    const message = `Content-Type ${type} is not accepted: send ${JSON_TYPE}, or ${MULTIPART_TYPE} to submit a job with a file`;
    done(refusal(request, unsupported(message)), undefined);
  });
  instance.addHook('preParsing', (request, _reply, payload, done) => {
    // A multipart body is read by its guard straight off the socket, never through this stream.
    if (!request.headers['content-type']?.toLowerCase().startsWith(JSON_TYPE)) return done(null, payload);
    const stream = jsonBodyStream(request, payload, limitBytes);
    if (stream instanceof HttpException) return done(stream, undefined);
    done(null, stream);
  });
}
