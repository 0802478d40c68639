import { randomUUID } from 'node:crypto';
import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type DynamicModule, Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfig } from '../config/app-config';

const REQUEST_ID_HEADER = 'x-request-id';
const SAFE_REQUEST_ID = /^[\w.:-]{1,128}$/;

/** Reuses a caller's X-Request-Id when it is sane, else makes one; echoed on the response. */
export function requestId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[REQUEST_ID_HEADER];
  const id = typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
  res.setHeader('X-Request-Id', id);
  return id;
}

/** JSON lines on stdout through pino; one line per HTTP request carrying its request id. */
@Module({})
export class LoggingModule {
  static forRoot(processName: 'api' | 'worker' | 'launcher'): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: {
              level: config.LOG_LEVEL,
              base: { process: processName, pid: process.pid },
              genReqId: requestId,
              customProps: () => ({ process: processName }),
              redact: ['req.headers.authorization', 'req.headers.cookie'],
              autoLogging: { ignore: (req: IncomingMessage) => req.url === '/health' },
            },
          }),
        }),
      ],
    };
  }
}
