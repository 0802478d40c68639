import { Inject, Injectable } from '@nestjs/common';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { AppConfig } from '../config/app-config';

/**
 * Failed authentications per client address (unknown or revoked keys; a missing or malformed
 * header costs nothing and is not counted). Past AUTH_FAILURE_LIMIT in a window the address is
 * refused before its key is looked up or its body read. In this replica's memory: a guessing
 * client meets the limit on each replica it reaches, which still bounds the lookups it causes
 * to the limit times the replicas.
 */
@Injectable()
export class AuthFailureLimiter {
  private readonly failures: RateLimiterMemory;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.failures = new RateLimiterMemory({
      keyPrefix: 'auth-failure',
      points: config.AUTH_FAILURE_LIMIT,
      duration: config.AUTH_FAILURE_WINDOW_SECONDS,
    });
  }

  /** Whole seconds until `address` may try again; 0 when it is not blocked. */
  async blockedFor(address: string): Promise<number> {
    const state = await this.failures.get(address);
    if (!state || state.consumedPoints < this.config.AUTH_FAILURE_LIMIT) return 0;
    return Math.max(1, Math.ceil(state.msBeforeNext / 1000));
  }

  async recordFailure(address: string): Promise<void> {
    await this.failures.penalty(address, 1);
  }
}
