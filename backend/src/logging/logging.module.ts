import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { type Logger, pino } from 'pino';
import { pinoHttp } from 'pino-http';
import { AppConfig } from '../config/app-config';
import { activeIds, tracingEnabled } from '../tracing/tracing';

const REQUEST_ID_HEADER = 'x-request-id';
/** Probes and scrapes come every few seconds from every replica's orchestrator and Prometheus. */
const UNLOGGED_PATHS = new Set(['/health', '/ready', '/metrics']);
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** W3C trace context: version-traceid-parentid-flags; the trace id names the whole distributed trace. */
const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * The request's trace id: the trace id of a W3C `traceparent`, else (tracing on) that of the
 * request's span, so jobs.trace_id names the trace the job continues; else a sane caller-given
 * X-Request-Id, else a new one. Fastify's `genReqId`: it becomes `request.id`, is echoed as
 * X-Request-Id, put on every log line and stored on jobs.
 */
export function requestId(req: IncomingMessage): string {
  const traceparent = req.headers.traceparent;
  const given = req.headers[REQUEST_ID_HEADER];
  const traced =
    (typeof traceparent === 'string' ? TRACEPARENT.exec(traceparent.trim())?.[1] : undefined) ??
    activeIds().trace_id;
  return traced && !/^0+$/.test(traced)
    ? traced
    : typeof given === 'string' && SAFE_REQUEST_ID.test(given)
      ? given
      : randomUUID();
}

/**
 * Request headers a log line keeps. An allowlist rather than a redaction list, so that no
 * credential header, however named (a proxy's, a client's own), reaches the log.
 */
const LOGGED_REQUEST_HEADERS = ['user-agent', 'content-type', 'content-length', 'x-forwarded-for'];

interface SerializedRequest {
  id: string;
  method: string;
  url: string;
  remoteAddress?: string;
  headers: Record<string, string | string[] | undefined>;
}

function requestOfLogLine(req: SerializedRequest) {
  const headers: Record<string, unknown> = {};
  for (const name of LOGGED_REQUEST_HEADERS)
    if (req.headers[name] !== undefined) headers[name] = req.headers[name];
  return { id: req.id, method: req.method, url: req.url, remoteAddress: req.remoteAddress, headers };
}

/** The status is what a request line needs of the response; its headers are the same every time. */
const responseOfLogLine = (res: { statusCode: number }) => ({ statusCode: res.statusCode });

/**
 * The request logger: pino-http over the process's root logger, called with a request already
 * given its id (`IncomingMessage.id`); null when LOG_LEVEL is above info.
 */
export type RequestLogger = (req: IncomingMessage & { id: string }, res: ServerResponse) => void;
export const REQUEST_LOGGER = Symbol('REQUEST_LOGGER');

/** One root logger per configuration (tests run several apps in one process, each its own). */
const rootLoggers = new WeakMap<AppConfig, Logger>();

function rootLoggerOf(config: AppConfig, processName: string): Logger {
  let logger = rootLoggers.get(config);
  if (!logger) {
    logger = pino({
      level: config.LOG_LEVEL,
      base: { process: processName, pid: process.pid },
      // Tracing on: every line written inside a span names it (trace_id, span_id).
      ...(tracingEnabled() && { mixin: activeIds }),
    });
    rootLoggers.set(config, logger);
  }
  return logger;
}

/**
 * JSON lines on stdout through pino; one line per HTTP request carrying its request id.
 *
 * nestjs-pino provides Nest's Logger and PinoLogger over the root logger, but applies no
 * middleware: its own would run every request inside an AsyncLocalStorage (to bind the request
 * to lines logged while serving it), and on Node 20 an active AsyncLocalStorage puts a hook on
 * every promise the process makes. Lines that concern a request name its id themselves
 * (docs/http-stack.md has the measurement). The API applies REQUEST_LOGGER itself.
 */
@Module({})
export class LoggingModule {
  static forRoot(processName: 'api' | 'worker' | 'launcher'): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: { logger: rootLoggerOf(config, processName) },
            useExisting: true,
            forRoutes: [],
          }),
        }),
      ],
      providers: [
        {
          provide: REQUEST_LOGGER,
          inject: [AppConfig],
          useFactory: (config: AppConfig): RequestLogger | null => {
            const logger = rootLoggerOf(config, processName);
            // Request lines are written at info (5xx included): above it the logger would
            // serialize every request for a line never written.
            if (!logger.isLevelEnabled('info')) return null;
            return pinoHttp({
              logger,
              genReqId: (req) => (req as IncomingMessage & { id: string }).id,
              serializers: { req: requestOfLogLine, res: responseOfLogLine },
              autoLogging: {
                ignore: (req: IncomingMessage) => UNLOGGED_PATHS.has(req.url?.split('?')[0] ?? ''),
              },
            });
          },
        },
      ],
      exports: [REQUEST_LOGGER],
    };
  }
}
