import {
  type CallHandler,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { type Request } from 'express';
import { type Observable } from 'rxjs';
import { InvalidInputException } from '../common/api-error';
import { unstorableJson } from '../common/json-body-check';
import { AppConfig } from '../config/app-config';
import { type UploadedJobFile } from './jobs.service';

const INTEGER_FIELDS = ['priority', 'max_attempts', 'max_retries', 'delay_ms'];

/** The upload's two accepted field names (the seed system's curl sends `filename`). */
const FILE_FIELDS = [
  { name: 'file', maxCount: 1 },
  { name: 'filename', maxCount: 1 },
];

export type RequestWithFiles = Request & { files?: Record<string, UploadedJobFile[] | undefined> };

/**
 * Reads a multipart submission after the guards (so an unauthenticated caller's upload is never
 * parsed): multer keeps the file in memory, within UPLOAD_MAX_BYTES (413 beyond), and every
 * field arrives as a string, so `payload` is parsed as JSON and integer fields as numbers before
 * the global ValidationPipe checks the body like a JSON one.
 *
 * A JSON submission passes straight through: running multer's no-op for it cost ~5% of one-job
 * submissions a second (bench:submit).
 */
@Injectable()
export class MultipartJobInterceptor implements NestInterceptor {
  private readonly files: NestInterceptor;

  constructor(@Inject(AppConfig) config: AppConfig) {
    const limits = {
      fileSize: config.UPLOAD_MAX_BYTES,
      files: 2,
      fields: 20,
      fieldSize: config.MAX_BODY_BYTES,
    };
    this.files = new (FileFieldsInterceptor(FILE_FIELDS, { limits }))();
  }

  intercept(
    context: ExecutionContext,
    next: CallHandler,
  ): Observable<unknown> | Promise<Observable<unknown>> {
    const request = context.switchToHttp().getRequest<RequestWithFiles>();
    if (!request.is('multipart/form-data')) return next.handle();
    return this.files.intercept(context, {
      handle: () => {
        request.body = fieldsOf(request.body as Record<string, unknown>);
        const files = Object.values(request.files ?? {}).flatMap((list) => list ?? []);
        if (files.length > 1) {
          const message = 'send one file, in field file or filename';
          throw new InvalidInputException(message, [{ field: 'file', message }]);
        }
        return next.handle();
      },
    }) as Promise<Observable<unknown>>;
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
