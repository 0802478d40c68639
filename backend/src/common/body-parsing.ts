import { type Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { HttpException, Logger } from '@nestjs/common';
import { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { type ApiErrorBody, apiErrorBody } from './api-error';
import { markPlainJsonBody } from './fast-validation';
import { scanJsonBody } from './json-body-check';

const JSON_TYPE = 'application/json';
const MULTIPART_TYPE = 'multipart/form-data';

/**
 * The Content-Encodings a JSON body may come in, as Node decodes them. A Map, not an object: a
 * header naming `constructor` or `toString` must find nothing.
 */
const DECODERS = new Map<string, () => Transform>([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

/** `application/json` of `Application/JSON; charset=utf-8`; undefined without a Content-Type. */
function mediaTypeOf(request: FastifyRequest): string | undefined {
  return request.headers['content-type']?.split(';', 1)[0].trim().toLowerCase();
}

/** Whether a body comes with the request (a POST with nothing after its headers has none). */
export function hasBody(request: FastifyRequest): boolean {
  return (
    request.headers['transfer-encoding'] !== undefined || Number(request.headers['content-length'] ?? 0) > 0
  );
}

/** A multipart submission, whose body is left unread here for MultipartJobGuard. */
export function isMultipart(request: FastifyRequest): boolean {
  return mediaTypeOf(request) === MULTIPART_TYPE;
}

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

/**
 * A refusal that leaves the body unread: it says `Connection: close`, since the rest of the body
 * would otherwise have to be read (or would be taken for the next request) on a kept-alive one.
 */
function unreadRefusal(request: FastifyRequest, reply: FastifyReply, body: ApiErrorBody): HttpException {
  reply.header('Connection', 'close');
  return refusal(request, body);
}

const badRequest = (message: string, extra: Partial<ApiErrorBody> = {}): ApiErrorBody => ({
  ...apiErrorBody(400, message),
  ...extra,
});

/** Marks the errors of a JSON body's stream (a decoder's), which the filter answers as the client's. */
const BODY_STREAM_ERROR = Symbol('bodyStreamError');

/**
 * An error of a JSON body's stream: a Content-Encoding that does not match the bytes (Fastify
 * gives it a 400). Fastify's own errors (FST_ERR_*) reach the filter as Nest's HttpException.
 */
export function isBodyReadError(error: unknown): error is Error & { statusCode: number } {
  const { statusCode, message } = (error ?? {}) as { statusCode?: unknown; message?: unknown };
  return (
    (error as { [BODY_STREAM_ERROR]?: boolean } | null)?.[BODY_STREAM_ERROR] === true &&
    typeof statusCode === 'number' &&
    typeof message === 'string'
  );
}

/** The API's answer to a body whose stream failed, naming what was wrong. */
export function bodyReadRefusal(error: Error & { statusCode: number }): ApiErrorBody {
  return apiErrorBody(error.statusCode, `Cannot read the request body: ${error.message}`);
}

const tooLarge = (limitBytes: number): ApiErrorBody =>
  apiErrorBody(413, `Request body exceeds ${limitBytes} bytes`);

const unsupported = (message: string): ApiErrorBody => apiErrorBody(415, message);

const unsupportedType = (request: FastifyRequest): ApiErrorBody =>
  unsupported(
    `Content-Type ${request.headers['content-type'] ?? '(none)'} is not accepted: send ${JSON_TYPE}, or ${MULTIPART_TYPE} to submit a job with a file`,
  );

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
  Object.defineProperty(out, 'receivedEncodedLength', { get: () => source.receivedEncodedLength ?? seen });
  return source.pipe(out);
}

/**
 * The JSON body's stream as the parser reads it: refused at once when its Content-Length is over
 * the limit, decoded when it has a Content-Encoding, and counted against the limit when its length
 * was not known up front (chunked or encoded). Its refusals leave the rest of the body unread.
 */
function jsonBodyStream(
  request: FastifyRequest,
  reply: FastifyReply,
  payload: Readable,
  limitBytes: number,
): Readable | HttpException {
  const refuse = (body: ApiErrorBody) => unreadRefusal(request, reply, body);
  const encoding = request.headers['content-encoding']?.trim().toLowerCase() ?? 'identity';
  const length = Number(request.headers['content-length']);
  if (encoding === 'identity') {
    if (length > limitBytes) return refuse(tooLarge(limitBytes));
    // Node's parser reads no more than Content-Length: nothing to count.
    if (!Number.isNaN(length)) return payload;
  }
  let decoder: Transform | undefined;
  let decoded: Readable & { receivedEncodedLength?: number } = payload;
  let countEncoded: ((chunk: Buffer) => void) | undefined;
  if (encoding !== 'identity') {
    const makeDecoder = DECODERS.get(encoding);
    if (!makeDecoder)
      return refuse(
        unsupported(`Unsupported Content-Encoding "${encoding}": send gzip, deflate, br or identity`),
      );
    decoder = makeDecoder();
    let encodedBytes = 0;
    countEncoded = (chunk) => (encodedBytes += chunk.length);
    payload.on('data', countEncoded);
    decoded = Object.defineProperty(payload.pipe(decoder), 'receivedEncodedLength', {
      get: () => encodedBytes,
    });
  }
  const out = limited(decoded, limitBytes, () => refuse(tooLarge(limitBytes)));
  // Registered before Fastify's own listener: the answer carries Connection: close.
  const stop = (error?: Error) => {
    if (error && !(error instanceof HttpException)) {
      Object.assign(error, { [BODY_STREAM_ERROR]: true });
      reply.header('Connection', 'close');
    }
    payload.unpipe();
    if (countEncoded) payload.removeListener('data', countEncoded);
    decoder?.destroy();
    if (error && !out.destroyed) out.destroy(error);
  };
  decoder?.once('error', stop);
  out.once('error', stop);
  payload.once('error', stop);
  return out;
}

/**
 * Parses a JSON body as the API accepts it: UTF-8, an object or an array at the top, nothing no
 * route could store (too deep, a NUL, a key named `__proto__`, `constructor` or `prototype`: a 400
 * naming the place). An empty body is `{}`. A body without keys named like Object.prototype's
 * members is marked plain, so that the validation pipe may take its fast path.
 */
function parseJson(request: FastifyRequest, text: string): unknown {
  // A UTF-8 byte order mark is no part of the JSON (body-parser dropped it too).
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
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
 * which streams it only after the key and rate-limit guards. A body of any other type, or with
 * no Content-Type, is a 415 naming the type, its connection closed rather than the body read; a
 * request of any type with no body at all passes (`POST …/cancel` needs none).
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
  // Reached only by a type preParsing let through: one whose request has no body.
  instance.addContentTypeParser('*', (request, _payload, done) =>
    hasBody(request) ? done(refusal(request, unsupportedType(request)), undefined) : done(null, undefined),
  );
  instance.addHook('preParsing', (request, reply, payload, done) => {
    const type = mediaTypeOf(request);
    // A multipart body is read by its guard straight off the socket, never through this stream.
    if (type === MULTIPART_TYPE) return done(null, payload);
    if (type !== JSON_TYPE) {
      if (type === undefined || !hasBody(request)) return done(null, payload);
      return done(unreadRefusal(request, reply, unsupportedType(request)), undefined);
    }
    const stream = jsonBodyStream(request, reply, payload, limitBytes);
    if (stream instanceof HttpException) return done(stream, undefined);
    done(null, stream);
  });
}
