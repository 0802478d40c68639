import { existsSync } from 'node:fs';
import path from 'node:path';
import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { type NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type NextFunction, type Request, type Response } from 'express';
import { Logger } from 'nestjs-pino';
import { type AppConfig } from '../config/app-config';
import { ApiModule } from './api.module';

/** Paths the API owns; everything else under GET falls back to the dashboard's index.html. */
const API_PATHS = /^\/(api|health|ready|metrics|docs|socket\.io)(\/|-json|$)/;

function setUpDocs(app: INestApplication): void {
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Conveyor')
      .setDescription('Multi-tenant background jobs on PostgreSQL')
      .setVersion('1')
      .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' })
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
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
  });
  app.useLogger(app.get(Logger));
  app.set('trust proxy', 'loopback');
  app.disable('x-powered-by');
  setUpDocs(app);
  const servesDashboard = serveDashboard(app, config.DASHBOARD_DIR);
  return { app, servesDashboard };
}
