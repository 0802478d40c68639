import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { type Counter } from 'prom-client';
import { type AuthenticatedRequest } from '../auth/auth-context';
import { RateLimitExceededException } from './rate-limit.exception';
import { rateLimitRefusals } from './rate-limit.metrics';
import { TenantRateLimiter } from './tenant-rate-limiter';

/**
 * Takes a token from the caller's tenant bucket. Runs after the API-key guard, which sets
 * `request.auth`; without it (a public route) there is no tenant to limit and it does nothing.
 *
 * Headers on every limited response, allowed or refused:
 * - `X-RateLimit-Limit`: requests the current window admits;
 * - `X-RateLimit-Remaining`: requests left in it;
 * - `X-RateLimit-Reset`: seconds until it is full again (delta seconds, as in the IETF RateLimit
 *   fields draft, rather than an epoch: a client's clock need not agree with ours);
 * - and when refused, `Retry-After` in whole seconds, at least 1.
 */
@Injectable()
export class RateLimitGuard implements CanActivate {
  private readonly refusals: Counter<'tenant_id'> = rateLimitRefusals();

  constructor(@Inject(TenantRateLimiter) private readonly limiter: TenantRateLimiter) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const http = context.switchToHttp();
    const auth = http.getRequest<AuthenticatedRequest>().auth;
    if (!auth) return true;
    const decision = await this.limiter.consume(auth);
    const response = http.getResponse<FastifyReply>();
    response.header('X-RateLimit-Limit', String(decision.limit));
    response.header('X-RateLimit-Remaining', String(decision.remaining));
    response.header('X-RateLimit-Reset', String(Math.ceil(decision.resetMs / 1000)));
    if (decision.allowed) return true;
    response.header('Retry-After', String(decision.retryAfterSeconds));
    this.refusals.inc({ tenant_id: auth.tenantId });
    throw new RateLimitExceededException(decision);
  }
}
