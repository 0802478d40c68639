import { Module } from '@nestjs/common';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitPool } from './rate-limit.pool';
import { TenantRateLimiter } from './tenant-rate-limiter';

/**
 * Per-tenant rate limits stored in PostgreSQL (needs AppConfig). Register RateLimitGuard as a
 * global guard after the API-key guard, which resolves the tenant it limits.
 */
@Module({
  providers: [RateLimitPool, TenantRateLimiter, RateLimitGuard],
  exports: [TenantRateLimiter, RateLimitGuard],
})
export class RateLimitModule {}
