import { applyDecorators, createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { type AuthContext, type AuthenticatedRequest } from './auth-context';

export const PUBLIC_ROUTE = 'conveyor:public';
export const ADMIN_ROUTE = 'conveyor:admin';

/** Opts a route (or controller) out of the global API-key guard. */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The default for every route: a Bearer API key; `admin` also requires the admin role. */
export function Authenticated(options: { admin?: boolean } = {}): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key' }),
    ...(options.admin
      ? [SetMetadata(ADMIN_ROUTE, true), ApiForbiddenResponse({ description: 'Needs an admin key' })]
      : []),
  );
}

/** The caller resolved by the guard. */
export const Auth = createParamDecorator(
  (_: unknown, context: ExecutionContext): AuthContext =>
    context.switchToHttp().getRequest<AuthenticatedRequest>().auth!,
);
