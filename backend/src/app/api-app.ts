import { existsSync } from 'node:fs';
import path from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuthFailureLimiter } from '../auth/auth-failure-limiter';
import { bearerPrecheck } from '../auth/bearer-precheck';
import { ApiExceptionFilter } from '../common/api-exception.filter';
import { parseJsonBodies } from '../common/body-parsing';
import { securityHeaders } from '../common/security-headers';
import { assignRequestId, REQUEST_LOGGER } from '../logging/logging.module';
import { recordHttpMetrics } from '../metrics/http.metrics';
import { RateLimitGuard } from '../rate-limit/rate-limit.guard';
import { apiValidationPipe } from '../common/validation';
import { CreateJobDto, CreateJobsBatchDto } from '../jobs/dto/create-job.dto';
import { type AppConfig } from '../config/app-config';
import { ApiModule } from './api.module';

/** Paths the API owns; everything else under GET falls back to the dashboard's index.html. */
const API_PATHS = /^\/(api|health|ready|metrics|docs|socket\.io|ws)(\/|-json|$)/;

/** Swagger UI loads its own inline styles and data: images; scripts stay same-origin. */
const SWAGGER_UI_CSP = { 'img-src': ["'self'", 'data:', 'validator.swagger.io'] };

/** The OpenAPI document of every route; also the source of the dashboard's types (npm run api-types). */
export function buildOpenApiDocument(app: INestApplication): OpenAPIObject {
  return SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Conveyor')
      .setDescription(
        'Multi-tenant background jobs on PostgreSQL. Live job events: socket.io namespace `/events`, a plain WebSocket at `/ws`, and Server-Sent Events at `GET /api/v1/events` (see that operation).',
      )
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
      .build(),
  );
}

function setUpDocs(app: INestApplication): void {
  SwaggerModule.setup('docs', app, buildOpenApiDocument(app), { jsonDocumentUrl: 'docs-json' });
}

function serveDashboard(app: NestExpressApplication, dashboardDir: string): boolean {
  const dir = path.resolve(dashboardDir);
  const index = path.join(dir, 'index.html');
  if (dashboardDir === '' || !existsSync(index)) return false;
  app.useStaticAssets(dir, { index: false });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' || API_PATHS.test(req.path)) return next();
    res.sendFile(index);
  });
  return true;
}

export interface ApiApp {
  app: NestExpressApplication;
  servesDashboard: boolean;
}

/** Builds the API application (not yet listening); shared by main.api.ts, the launcher and tests. */
export async function createApiApp(config: AppConfig): Promise<ApiApp> {
  const app = await NestFactory.create<NestExpressApplication>(ApiModule.forRoot(config), {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  // First, so that the request histogram times everything below, body parsing included.
  app.use(recordHttpMetrics());
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  // API answers change with every job state: an ETag (a hash of each body) buys no cache hits.
  app.set('etag', false);
  app.use(securityHeaders({ contentSecurityPolicy: { directives: SWAGGER_UI_CSP } }));
  const origins = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0)
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      maxAge: 600,
      exposedHeaders: [
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
      ],
    });
  // Before the body is read, so that a body refused there still carries X-Request-Id.
  app.use(assignRequestId);
  // Before the body is read: a request without a usable key costs no parsing.
  app.use(bearerPrecheck(app.get(ApiKeyAuthenticator), app.get(AuthFailureLimiter)));
  parseJsonBodies(app, config.MAX_BODY_BYTES);
  // Submissions, the hot path, skip class-validator when certainly valid (docs/http-stack.md).
  app.useGlobalPipes(apiValidationPipe([CreateJobDto, CreateJobsBatchDto]));
  app.useGlobalFilters(new ApiExceptionFilter());
  // Order matters: who is calling, then whether their bucket has a token.
  app.useGlobalGuards(app.get(ApiKeyGuard), app.get(RateLimitGuard));
  setUpDocs(app);
  const servesDashboard = serveDashboard(app, config.DASHBOARD_DIR);
  // Last, where Nest put its module middleware: a request answered above (a refusal before
  // routing, a dashboard file) gets no request line, as before (body-parsing.ts logs refusals).
  const requestLogger = app.get<RequestHandler | null>(REQUEST_LOGGER);
  if (requestLogger) app.use(requestLogger);
  return { app, servesDashboard };
}
