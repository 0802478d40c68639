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
import { ADMIN_ROUTE, PUBLIC_ROUTE } from './auth.decorators';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** Global: every route needs a valid Bearer API key unless marked @Public(); @Authenticated({ admin: true }) needs the admin role. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const header = request.headers.authorization;
    if (!header) throw new UnauthorizedException('Missing API key: send Authorization: Bearer <key>');
    const key = BEARER.exec(header)?.[1];
    if (!key) throw new UnauthorizedException('Malformed Authorization header: expected Bearer <key>');
    const auth = await this.authenticator.authenticate(key);
    if (!auth) throw new UnauthorizedException('Invalid or revoked API key');
    request.auth = auth;
    if (this.reflector.getAllAndOverride<boolean>(ADMIN_ROUTE, targets) && auth.role !== 'admin')
      throw new ForbiddenException('This route needs an admin API key');
    return true;
  }
}
