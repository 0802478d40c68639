import 'reflect-metadata';
import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import { plainToInstance } from 'class-transformer';
import { validateSync, type ValidationError } from 'class-validator';
import { AppConfig, CONFIG_ALIASES } from './app-config';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const KNOWN_KEYS = new Set(Object.keys(new AppConfig()).concat('DATABASE_URL'));
/** Never echoed in an error: a URL may carry a password, a token is one. */
const SECRET_KEYS = new Set(['DATABASE_URL', 'METRICS_TOKEN']);

/** Picks Conveyor's variables out of an environment; empty strings count as unset. */
function pickVariables(env: NodeJS.ProcessEnv): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [alias, target] of Object.entries(CONFIG_ALIASES)) {
    const value = env[alias];
    if (value !== undefined && value !== '' && (env[target] === undefined || env[target] === '')) {
      picked[target] = value;
    }
  }
  for (const key of KNOWN_KEYS) {
    const value = env[key];
    if (value !== undefined && value !== '') picked[key] = value;
  }
  return picked;
}

function describe(error: ValidationError, env: Record<string, string>): string {
  const reasons = Object.values(error.constraints ?? {}).join('; ');
  const given = env[error.property];
  const shown = SECRET_KEYS.has(error.property) || given === undefined ? '' : ` (got "${given}")`;
  return `${error.property}: ${reasons}${shown}`;
}

/**
 * Variables from a `.env` file under the working directory, under those of the real environment,
 * which always win (as docker compose and dotenv do).
 */
export function withEnvFile(env: NodeJS.ProcessEnv, file = '.env'): NodeJS.ProcessEnv {
  if (!existsSync(file)) return env;
  return { ...parseEnv(readFileSync(file, 'utf8')), ...env };
}

/**
 * The one place that reads the environment. Throws ConfigValidationError naming every bad
 * variable at once, so a deploy is fixed in one round instead of one variable per restart.
 */
export function loadConfig(env: NodeJS.ProcessEnv = withEnvFile(process.env)): AppConfig {
  const variables = pickVariables(env);
  const config = plainToInstance(AppConfig, variables);
  const errors = validateSync(config, { forbidUnknownValues: true });
  if (errors.length > 0) {
    throw new ConfigValidationError(errors.map((e) => describe(e, variables)));
  }
  return Object.freeze(config);
}
