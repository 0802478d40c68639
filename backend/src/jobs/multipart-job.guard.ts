import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  PayloadTooLargeException,
} from '@nestjs/common';
import busboy from 'busboy';
import { getMetadataStorage } from 'class-validator';
import { type FastifyReply, type FastifyRequest } from 'fastify';
import { InvalidInputException } from '../common/api-error';
import { isMultipart } from '../common/body-parsing';
import { ByteBudget } from '../common/byte-budget';
import { unstorableJson } from '../common/json-body-check';
import { AppConfig } from '../config/app-config';
import { CreateJobDto } from './dto/create-job.dto';
import { type UploadedJobFile } from './jobs.service';

const INTEGER_FIELDS = ['priority', 'max_attempts', 'max_retries', 'delay_ms', 'timeout_ms'];

/** The upload's two accepted field names (curl scripts often send `filename`). */
const FILE_FIELDS = new Set(['file', 'filename']);

/** A text field other than payload is a short value (a queue, a number, a key): at most this long. */
const MAX_SMALL_FIELD = 1_024;

/**
 * Bytes of uploaded files an API process reads back into memory at once for their inserts (each
 * costs about twice its size until its insert ends: the buffer and the statement's copy). More
 * uploads wait their turn with their file on disk. Without it memory grew with every upload in
 * flight: 32 uploads of 10 MiB at once took the API to 616 MiB (docs/chaos.md, multipart-flood).
 */
const IN_MEMORY_FILE_BYTES = 32 * 1024 * 1024;
const inMemoryFiles = new ByteBudget(IN_MEMORY_FILE_BYTES);

export type RequestWithFiles = FastifyRequest & { files?: Record<string, UploadedJobFile[] | undefined> };

/** The text fields a submission may have: the JSON body's, read from its validation rules. */
function submissionFields(): Set<string> {
  const rules = getMetadataStorage().getTargetValidationMetadatas(CreateJobDto, '', true, false);
  return new Set(rules.map((rule) => rule.propertyName));
}

class RefusedUpload extends Error {
  constructor(readonly refusal: Error) {
    super(refusal.message);
  }
}

const invalid = (field: string, message: string) =>
  new RefusedUpload(new InvalidInputException(message, [{ field, message }]));

/**
 * Reads a multipart submission after the key and rate-limit guards (so an unauthenticated
 * caller's upload is never parsed), bounding what one request can cost:
 * - each part is judged as it starts: a field the submission does not have, or a second file,
 *   is refused before a byte of it is kept;
 * - text fields are held in memory only up to their limit (payload MAX_BODY_BYTES, the others
 *   1 KiB) and the file goes to a temporary file on disk as it arrives, cut at UPLOAD_MAX_BYTES
 *   (413), so a slow or huge upload holds no memory;
 * - a refused request is answered at once and its connection closed, rather than its body read.
 * Then `payload` is parsed as JSON and integer fields as numbers, so the global ValidationPipe
 * checks the body like a JSON one; the file is read back (its size known) for its insert, within
 * the process's IN_MEMORY_FILE_BYTES.
 *
 * A guard, not an interceptor: Nest wraps each request in an AsyncResource and an rxjs pipeline
 * per interceptor, and a JSON submission, which this only waves on, paid 1.56 ms of API CPU each
 * that way against 1.15 ms as a guard (same machine, one after the other).
 */
@Injectable()
export class MultipartJobGuard implements CanActivate {
  private readonly fields = submissionFields();

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithFiles>();
    // Fastify's parser for this type reads nothing (body-parsing.ts): the stream is still whole.
    if (!isMultipart(request)) return true;
    const response = context.switchToHttp().getResponse<FastifyReply>();
    try {
      const { body, file } = await this.read(request.raw, response.raw);
      request.body = fieldsOf(body);
      if (file) request.files = { file: [file] };
      return true;
    } catch (error) {
      if (!(error instanceof RefusedUpload)) throw error;
      // The rest of the body is not read: the answer goes now and the connection with it.
      response.header('Connection', 'close');
      request.raw.unpipe();
      throw error.refusal;
    }
  }

  private read(
    request: IncomingMessage,
    response: ServerResponse,
  ): Promise<{ body: Record<string, string>; file?: UploadedJobFile }> {
    const { MAX_BODY_BYTES: maxField, UPLOAD_MAX_BYTES: maxFile } = this.config;
    return new Promise((resolve, reject) => {
      let parser: ReturnType<typeof busboy>;
      try {
        parser = busboy({
          headers: request.headers,
          limits: {
            fieldNameSize: 100,
            // busboy reports a limit when a value reaches it, not when it passes it: a payload of
            // exactly MAX_BODY_BYTES and a file of exactly UPLOAD_MAX_BYTES are allowed, so each
            // limit given is one byte more.
            fieldSize: maxField + 1,
            fields: this.fields.size,
            files: 1,
            fileSize: maxFile + 1,
            parts: this.fields.size + 1,
          },
        });
      } catch (error) {
        // No boundary, or not multipart after all.
        return reject(invalid('body', `malformed multipart body: ${(error as Error).message}`));
      }
      const body: Record<string, string> = {};
      let stored:
        { path: string; info: { filename: string; mimeType: string }; done: Promise<number> } | undefined;
      let failed = false;
      const fail = (error: RefusedUpload) => {
        if (failed) return;
        failed = true;
        if (stored) void stored.done.catch(() => undefined).then(() => rm(stored!.path, { force: true }));
        reject(error);
      };
      parser.on('field', (name, value, info) => {
        if (!this.fields.has(name)) return fail(invalid(name, `unknown field ${name}`));
        if (info.valueTruncated || (name !== 'payload' && value.length > MAX_SMALL_FIELD))
          return fail(
            new RefusedUpload(
              new PayloadTooLargeException({
                message: `field ${name} is too large`,
                details: [{ field: name, message: 'too large' }],
              }),
            ),
          );
        body[name] = value;
      });
      parser.on('file', (name, stream, info) => {
        // A body cut short errors the part's stream as well as the parser: the parser's 'error'
        // answers it, and an unhandled stream error would take the whole process down.
        stream.on('error', () => undefined);
        if (!FILE_FIELDS.has(name)) {
          stream.resume();
          return fail(invalid(name, `unknown field ${name}: send the file in field file or filename`));
        }
        const filePath = path.join(tmpdir(), `conveyor-upload-${randomUUID()}`);
        let size = 0;
        stream.on('data', (chunk: Buffer) => (size += chunk.length));
        stream.on('limit', () =>
          fail(
            new RefusedUpload(
              new PayloadTooLargeException({
                message: `The file is over UPLOAD_MAX_BYTES (${maxFile} bytes)`,
                details: [{ field: name, message: 'file too large' }],
              }),
            ),
          ),
        );
        const done = pipeline(stream, createWriteStream(filePath, { mode: 0o600 })).then(() => size);
        stored = { path: filePath, info, done };
        done.catch(() => undefined);
      });
      parser.on('filesLimit', () => fail(invalid('file', 'send one file, in field file or filename')));
      parser.on('fieldsLimit', () => fail(invalid('body', 'too many fields')));
      parser.on('partsLimit', () => fail(invalid('body', 'too many parts')));
      parser.on('error', (error) => fail(invalid('body', `malformed multipart body: ${error.message}`)));
      parser.on('close', () => {
        if (failed) return;
        if (!stored) return resolve({ body });
        const upload = stored;
        upload.done
          .then(async (size) => {
            if (failed) return;
            // Held until the response has gone (its insert done), or given back if the client
            // leaves while it waits; the file waits on disk meanwhile.
            const hold = inMemoryFiles.hold(size);
            response.once('close', hold.release);
            if (!response.socket || response.socket.destroyed) hold.release();
            if (!(await hold.ready) || failed) {
              await rm(upload.path, { force: true });
              return fail(invalid('body', 'the upload was cut short'));
            }
            const buffer = await readFile(upload.path);
            await rm(upload.path, { force: true });
            resolve({
              body,
              file: { originalname: upload.info.filename, mimetype: upload.info.mimeType, size, buffer },
            });
          })
          .catch((error: Error) => {
            void rm(upload.path, { force: true });
            fail(invalid('file', `the upload could not be received: ${error.message}`));
          });
      });
      request.on('aborted', () => fail(invalid('body', 'the upload was cut short')));
      request.pipe(parser);
    });
  }
}

function fieldsOf(multipartBody: Record<string, unknown>): Record<string, unknown> {
  const body = { ...multipartBody };
  if (typeof body.payload === 'string') {
    try {
      body.payload = JSON.parse(body.payload);
    } catch {
      const message = 'payload must be a JSON object (as a string) in a multipart submission';
      throw new InvalidInputException(message, [{ field: 'payload', message }]);
    }
  }
  for (const field of INTEGER_FIELDS) {
    const value = body[field];
    if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) body[field] = Number(value.trim());
  }
  // The JSON body parser's check, for the JSON this parsed itself.
  const problem = unstorableJson(body);
  if (problem) throw new InvalidInputException(problem.message, [problem]);
  return body;
}
