import { createHash, timingSafeEqual } from 'node:crypto';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * METRICS_TOKEN, for every process that serves /metrics (the API and the workers). Digests are
 * compared, not the strings: timingSafeEqual needs equal lengths, and comparing fixed-length
 * digests in constant time leaks neither the token's characters nor its length.
 */
export class MetricsToken {
  private readonly expected: Buffer | null;

  /** An empty token leaves /metrics open. */
  constructor(token: string) {
    this.expected = token ? sha256(token) : null;
  }

  /** Why a request with this Authorization header is refused; undefined when it may scrape. */
  refusal(authorization: string | undefined): string | undefined {
    if (!this.expected) return undefined;
    const token = authorization ? BEARER.exec(authorization)?.[1] : undefined;
    if (!token) return 'Missing metrics token: send Authorization: Bearer <METRICS_TOKEN>';
    return timingSafeEqual(sha256(token), this.expected) ? undefined : 'Invalid metrics token';
  }
}
