import {
  applyDecorators,
  type CanActivate,
  type ExecutionContext,
  Inject,
  Injectable,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { type FastifyRequest } from 'fastify';
import { Public } from '../auth/auth.decorators';
import { AppConfig } from '../config/app-config';
import { MetricsToken } from './metrics-token';

/** With METRICS_TOKEN set, the route needs `Authorization: Bearer <METRICS_TOKEN>`; unset, it is open. */
@Injectable()
export class MetricsTokenGuard implements CanActivate {
  private readonly token: MetricsToken;

  constructor(@Inject(AppConfig) config: AppConfig) {
    this.token = new MetricsToken(config.METRICS_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const refusal = this.token.refusal(
      context.switchToHttp().getRequest<FastifyRequest>().headers.authorization,
    );
    if (refusal) throw new UnauthorizedException(refusal);
    return true;
  }
}

/**
 * No API key (so no tenant, and no rate limit: the limiter only limits a caller the API-key
 * guard resolved), but METRICS_TOKEN when one is configured.
 */
export const MetricsAccess = (): MethodDecorator & ClassDecorator =>
  applyDecorators(Public(), UseGuards(MetricsTokenGuard));
