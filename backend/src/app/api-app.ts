import { existsSync } from 'node:fs';
import path from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { type FastifyError, type FastifyReply, type FastifyRequest } from 'fastify';
// reply.sendFile's type: the plugin itself is registered by useStaticAssets.
import type {} from '@fastify/static';
import { DocumentBuilder, type OpenAPIObject, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { ApiKeyGuard } from '../auth/api-key.guard';
import { AuthFailureLimiter } from '../auth/auth-failure-limiter';
import { bearerPrecheck } from '../auth/bearer-precheck';
import { apiErrorBody } from '../common/api-error';
import { ApiExceptionFilter } from '../common/api-exception.filter';
import { parseBodies } from '../common/body-parsing';
import { securityHeaders } from '../common/security-headers';
import { REQUEST_LOGGER, type RequestLogger, requestId } from '../logging/logging.module';
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

function serveDashboard(app: NestFastifyApplication, dashboardDir: string): boolean {
  const dir = path.resolve(dashboardDir);
  const index = path.join(dir, 'index.html');
  if (dashboardDir === '' || !existsSync(index)) return false;
  // Its files are routes of their own, found at start-up (a build does not change under a
  // running server); any other GET outside the API's paths is the single-page app's index.html.
  app.useStaticAssets({ root: dir, index: false, wildcard: false });
  app
    .getHttpAdapter()
    .getInstance()
    .get('/*', (request: FastifyRequest<{ Params: { '*': string } }>, reply) => {
      // The decoded path Fastify routed, not the raw target (`/%61pi/…` is `/api/…`).
      if (API_PATHS.test(`/${request.params['*']}`)) return reply.callNotFound();
      return reply.sendFile('index.html');
    });
  return true;
}

export type ApiApplication = NestFastifyApplication;

export interface ApiApp {
  app: ApiApplication;
  servesDashboard: boolean;
}

const setSecurityHeaders = securityHeaders({ contentSecurityPolicy: { directives: SWAGGER_UI_CSP } });

/** helmet's headers and X-Request-Id, on the raw response: every answer carries them, a hijacked one too. */
function setCommonHeaders(request: FastifyRequest, reply: FastifyReply): void {
  setSecurityHeaders(reply.raw);
  reply.raw.setHeader('X-Request-Id', request.id);
}

/**
 * A target Fastify's router cannot take (a malformed %-escape, a path parameter over 100
 * characters) is answered before any hook: in the API's error shape and headers, as any other.
 */
function refuseUnroutable(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  setCommonHeaders(request, reply);
  const statusCode = error.statusCode ?? 400;
  void reply.code(statusCode).send(apiErrorBody(statusCode, error.message));
}

/**
 * Nest's own hooks come first (its CORS hook answers a preflight before these run), then the
 * request histogram (first of these, so that it times all the rest), helmet's headers and the
 * request id (before anything can refuse the request, so that a refusal
 * carries them), the bearer pre-check (before the body is read: a request without a usable key
 * costs no parsing), then the request logger. Hooks run in the order they are added; one that
 * answers stops the rest, so a request refused by the pre-check gets no request line.
 */
function addRequestHooks(app: ApiApplication): void {
  const instance = app.getHttpAdapter().getInstance();
  recordHttpMetrics(instance);
  instance.addHook('onRequest', (request, reply, done) => {
    setCommonHeaders(request, reply);
    done();
  });
  instance.addHook('onRequest', bearerPrecheck(app.get(ApiKeyAuthenticator), app.get(AuthFailureLimiter)));
  const requestLogger = app.get<RequestLogger | null>(REQUEST_LOGGER);
  if (requestLogger)
    instance.addHook('onRequest', (request, reply, done) => {
      requestLogger(Object.assign(request.raw, { id: request.id }), reply.raw);
      done();
    });
}

/** Builds the API application (not yet listening); shared by main.api.ts, the launcher and tests. */
export async function createApiApp(config: AppConfig): Promise<ApiApp> {
  const adapter = new FastifyAdapter({
    // The client address of per-address limits and logs comes from X-Forwarded-For only when a
    // proxy on the same host sent it.
    trustProxy: 'loopback',
    bodyLimit: config.MAX_BODY_BYTES,
    genReqId: requestId,
    // Shutdown lets kept-alive clients go itself (stopKeepingAlive) and answers what they still send.
    return503OnClosing: false,
    // Nest's middleware layer: nothing here uses it, and it would cost every request a pass.
    skipMiddie: true,
    frameworkErrors: refuseUnroutable,
  });
  const app = await NestFactory.create<NestFastifyApplication>(ApiModule.forRoot(config), adapter, {
    bufferLogs: true,
    bodyParser: false,
  });
  app.useLogger(app.get(Logger));
  addRequestHooks(app);
  const origins = config.CORS_ORIGINS.split(',')
    .map((origin) => origin.trim())
    .filter(Boolean);
  if (origins.length > 0)
    app.enableCors({
      origin: origins.includes('*') ? true : origins,
      // @fastify/cors allows GET, HEAD and POST alone by default: the API also PATCHes and DELETEs.
      methods: ['GET', 'HEAD', 'PUT', 'PATCH', 'POST', 'DELETE'],
      // A bare OPTIONS (no Origin) is answered 204 like any other, not refused as a bad preflight.
      strictPreflight: false,
      maxAge: 600,
      exposedHeaders: [
        'X-Request-Id',
        'X-RateLimit-Limit',
        'X-RateLimit-Remaining',
        'X-RateLimit-Reset',
        'Retry-After',
      ],
    });
  parseBodies(app.getHttpAdapter().getInstance(), config.MAX_BODY_BYTES);
  // Submissions, the hot path, skip class-validator when certainly valid (docs/http-stack.md).
  app.useGlobalPipes(apiValidationPipe([CreateJobDto, CreateJobsBatchDto]));
  app.useGlobalFilters(new ApiExceptionFilter());
  // Order matters: who is calling, then whether their bucket has a token.
  app.useGlobalGuards(app.get(ApiKeyGuard), app.get(RateLimitGuard));
  setUpDocs(app);
  const servesDashboard = serveDashboard(app, config.DASHBOARD_DIR);
  return { app, servesDashboard };
}

/**
 * Initialises the app and its Fastify instance: after this a request can be answered through
 * `app.getHttpServer()` without listening (tests drive it with supertest).
 */
export async function initApiApp(app: ApiApplication): Promise<void> {
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
}
