import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/** The request's trace id (see requestId in logging.module.ts): stored on jobs, echoed as X-Request-Id. */
export const TraceId = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  String(context.switchToHttp().getRequest<{ id?: unknown }>().id ?? ''),
);
