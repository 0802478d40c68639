import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import { type Request } from 'express';
import { type Observable } from 'rxjs';
import { InvalidInputException } from '../common/api-error';
import { type UploadedJobFile } from './jobs.service';

const INTEGER_FIELDS = ['priority', 'max_attempts', 'max_retries', 'delay_ms'];

export type RequestWithFiles = Request & { files?: Record<string, UploadedJobFile[] | undefined> };

/**
 * A multipart submission carries every field as a string: parse `payload` as JSON and integer
 * fields as numbers before the global ValidationPipe checks the body like a JSON one. Runs after
 * multer (interceptors precede pipes). JSON requests pass untouched.
 */
@Injectable()
export class MultipartJobBodyInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<RequestWithFiles>();
    if (request.is('multipart/form-data')) {
      const body = { ...(request.body as Record<string, unknown>) };
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
      request.body = body;
      const files = Object.values(request.files ?? {}).flatMap((list) => list ?? []);
      if (files.length > 1) {
        const message = 'send one file, in field file or filename';
        throw new InvalidInputException(message, [{ field: 'file', message }]);
      }
    }
    return next.handle();
  }
}
