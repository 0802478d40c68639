import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildOpenApiDocument, createApiApp } from '../../backend/src/app/api-app';
import { loadConfig } from '../../backend/src/config/load-config';

/** Written by `npm run api-types`; `npm test` fails when it no longer matches the API. */
export const API_TYPES_FILE = path.resolve(__dirname, '..', '..', '..', 'contracts', 'src', 'api.ts');

const HEADER = `/**
 * The REST API's types, generated from its OpenAPI document by openapi-typescript:
 * \`npm run api-types\` rewrites this file; do not edit it by hand. A test fails when it drifts.
 */

`;

/**
 * The OpenAPI document as the API serves it at /docs-json. Building it needs the routes, not a
 * database: the app is made against a closed port and never listens.
 */
async function openApiDocument(): Promise<unknown> {
  const { app } = await createApiApp(
    loadConfig({ DATABASE_URL: 'postgres://docs@127.0.0.1:9/docs', LOG_LEVEL: 'silent', DASHBOARD_DIR: '' }),
  );
  try {
    return JSON.parse(JSON.stringify(buildOpenApiDocument(app)));
  } finally {
    await app.close();
  }
}

export async function generateApiTypes(): Promise<string> {
  // openapi-typescript is ESM only: a real import(), which nodenext keeps in CommonJS output.
  const { default: openapiTS, astToString } = await import('openapi-typescript');
  const ast = await openapiTS((await openApiDocument()) as Parameters<typeof openapiTS>[0], {
    alphabetize: true,
  });
  return HEADER + astToString(ast);
}

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const generated = await generateApiTypes();
  const committed = (() => {
    try {
      return readFileSync(API_TYPES_FILE, 'utf8');
    } catch {
      return '';
    }
  })();
  if (check) {
    if (committed !== generated) {
      console.error(`${API_TYPES_FILE} is out of date with the API: run npm run api-types and commit it`);
      process.exit(1);
    }
    console.log(`${API_TYPES_FILE} matches the API`);
  } else {
    writeFileSync(API_TYPES_FILE, generated);
    console.log(committed === generated ? 'API types unchanged' : `Wrote ${API_TYPES_FILE}`);
  }
  process.exit(0);
}

if (require.main === module) void main();
