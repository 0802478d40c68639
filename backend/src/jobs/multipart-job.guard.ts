import {
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  type NestInterceptor,
} from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { type Request } from 'express';
import { EMPTY } from 'rxjs';
import { InvalidInputException } from '../common/api-error';
import { unstorableJson } from '../common/json-body-check';
import { AppConfig } from '../config/app-config';
import { type UploadedJobFile } from './jobs.service';

const INTEGER_FIELDS = ['priority', 'max_attempts', 'max_retries', 'delay_ms', 'timeout_ms'];

/** The upload's two accepted field names (the seed system's curl sends `filename`). */
const FILE_FIELDS = [
  { name: 'file', maxCount: 1 },
  { name: 'filename', maxCount: 1 },
];

export type RequestWithFiles = Request & { files?: Record<string, UploadedJobFile[] | undefined> };

/**
 * Reads a multipart submission after the key and rate-limit guards (so an unauthenticated
 * caller's upload is never parsed): multer keeps the file in memory, within UPLOAD_MAX_BYTES
 * (413 beyond), and every field arrives as a string, so `payload` is parsed as JSON and integer
 * fields as numbers before the global ValidationPipe checks the body like a JSON one.
 *
 * A guard, not an interceptor, though it lets every request through: Nest wraps each request in
 * an AsyncResource and an rxjs pipeline per interceptor, and a JSON submission, which this only
 * has to wave on, paid for that: 1.56 ms of API CPU each as an interceptor, 1.15 ms as a guard
 * (same machine, one after the other). Multer runs through Nest's own FileFieldsInterceptor, for
 * its error mapping and its handling of aborted uploads; the observable it returns is left
 * unsubscribed (its only operator cleans up disk storage, and files stay in memory here).
 */
@Injectable()
export class MultipartJobGuard implements CanActivate {
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

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RequestWithFiles>();
    if (!request.is('multipart/form-data')) return true;
    await this.files.intercept(context, { handle: () => EMPTY });
    request.body = fieldsOf(request.body as Record<string, unknown>);
    const files = Object.values(request.files ?? {}).flatMap((list) => list ?? []);
    if (files.length > 1) {
      const message = 'send one file, in field file or filename';
      throw new InvalidInputException(message, [{ field: 'file', message }]);
    }
    return true;
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
