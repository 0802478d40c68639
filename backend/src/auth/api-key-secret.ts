import { createHash, randomBytes } from 'node:crypto';

export const API_KEY_MIN_LENGTH = 12;
const GENERATED_KEY_PREFIX = 'cvr_';

/** 32 random bytes, base64url: 256 bits, safe in headers and URLs. */
export function generateApiKey(): string {
  return GENERATED_KEY_PREFIX + randomBytes(32).toString('base64url');
}

export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * What lists show instead of the key: enough to tell keys apart, useless to an attacker. At most
 * a third of the key (4 characters of a 12-character one), and 8 at most: `cvr_` and 4 random
 * characters of a generated key.
 */
export function displayPrefix(key: string): string {
  return key.slice(0, Math.min(8, Math.floor(key.length / 3)));
}
