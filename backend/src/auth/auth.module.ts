import { Module } from '@nestjs/common';
import { QueueModule } from '../queue/queue.module';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { ApiKeyGuard } from './api-key.guard';
import { AuthFailureLimiter } from './auth-failure-limiter';
import { AuthRepository } from './auth.repository';
import { ApiKeysController, TenantsController, WhoAmIController } from './tenants.controller';
import { TenantsService } from './tenants.service';

/** API keys, tenants and the global guard (registered by createApiApp, before the rate limiter). */
@Module({
  imports: [QueueModule],
  controllers: [WhoAmIController, TenantsController, ApiKeysController],
  providers: [AuthRepository, ApiKeyAuthenticator, AuthFailureLimiter, ApiKeyGuard, TenantsService],
  exports: [ApiKeyAuthenticator, AuthFailureLimiter, ApiKeyGuard],
})
export class AuthModule {}
