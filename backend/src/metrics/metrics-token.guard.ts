import { createHash, timingSafeEqual } from 'node:crypto';
import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { type Request } from 'express';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

/**
 * With METRICS_TOKEN set, the route needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it is
 * open. Digests are compared, not the strings: timingSafeEqual needs equal lengths, and comparing
 * fixed-length digests in constant time leaks neither the token's characters nor its length.
 */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly expected: Buffer | null;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.expected = config.METRICS_TOKEN ? sha256(config.METRICS_TOKEN) : null;
  }

  canActivate(context: ExecutionContext): boolean {
    if (!this.expected) return true;
    const header = context.switchToHttp().getRequest<Request>().headers.authorization;
    const token = header ? BEARER.exec(header)?.[1] : undefined;
    if (!token)
      throw new UnauthorizedException('Missing metrics token: send Authorization: Bearer <METRICS_TOKEN>');
    if (!timingSafeEqual(sha256(token), this.expected))
      throw new UnauthorizedException('Invalid metrics token');
    return true;
  }
}

/**
 * No API key (so no tenant, and no rate limit: the limiter only limits a caller the API-key
 * guard resolved), but METRICS_TOKEN when one is configured.
 */
export const MetricsAccess = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Public(), UseGuards(MetricsTokenGuard));
