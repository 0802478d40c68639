import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The version of the nearest package.json above this file: backend/package.json from source,
 * the repository's own from dist/ (both images copy it), so a worker row says what it runs.
 */
function readVersion(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      const version = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
      if (typeof version === 'string') return version;
    }
    if (path.dirname(dir) === dir) return 'unknown';
  }
}

export const APP_VERSION = readVersion();
