import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { type AuthenticatedRequest } from './auth-context';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { ADMIN_ROUTE, PUBLIC_ROUTE } from './auth.decorators';
import { bearerKeyOf, INVALID_KEY, MALFORMED_KEY, MISSING_KEY } from './bearer-precheck';

/** Global: every route needs a valid Bearer API key unless marked @Public(); @Authenticated({ admin: true }) needs the admin role. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly failures: AuthFailureLimiter,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedException(MISSING_KEY);
    const key = bearerKeyOf(header);
    if (!key) throw new UnauthorizedException(MALFORMED_KEY);
    const auth = await this.authenticator.authenticate(key);
    if (!auth) {
      await this.failures.recordFailure(request.ip ?? 'unknown');
      throw new UnauthorizedException(INVALID_KEY);
    }
    request.auth = auth;
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, targets) && auth.role !== 'admin')
      throw new ForbiddenException('This route needs an admin API key');
    return true;
  }
}
