import { Body, Controller, Get, HttpCode, Patch, Post } from '@nestjs/common';
import {
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import { UuidParam } from '../common/uuid-param';
import { type AuthContext } from './auth-context';
import { Auth, Authenticated } from './auth.decorators';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto, WhoAmIDto } from './dto/api-key.dto';
import { CreateTenantDto, TenantDto, UpdateTenantDto } from './dto/tenant.dto';
import { TenantsService } from './tenants.service';

@ApiTags('auth')
@Authenticated()
@Controller('api/v1/auth')
export class WhoAmIController {
  constructor(private readonly tenants: TenantsService) {}

  @Get('me')
  @ApiOperation({ summary: 'The tenant and role of the calling key' })
  @ApiOkResponse({ type: WhoAmIDto })
  me(@Auth() auth: AuthContext): Promise<WhoAmIDto> {
    return this.tenants.whoAmI(auth);
  }
}

@ApiTags('admin')
@Authenticated({ admin: true })
@Controller('api/v1/tenants')
export class TenantsController {
  constructor(private readonly tenants: TenantsService) {}

  @Post()
  @ApiOperation({ summary: 'Create a tenant' })
  @ApiCreatedResponse({ type: TenantDto })
  @ApiConflictResponse({ description: 'The name is taken' })
  create(@Body() dto: CreateTenantDto): Promise<TenantDto> {
    return this.tenants.create(dto);
  }

  @Get()
  @ApiOperation({ summary: 'List tenants' })
  @ApiOkResponse({ type: [TenantDto] })
  list(): Promise<TenantDto[]> {
    return this.tenants.list();
  }

  @Get(':id')
  @ApiOperation({ summary: 'One tenant, with its limits and max_concurrency' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse()
  get(@UuidParam('id') id: string): Promise<TenantDto> {
    return this.tenants.get(id);
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Change name, rate limit, burst or max_concurrency (null clears)' })
  @ApiOkResponse({ type: TenantDto })
  @ApiNotFoundResponse()
  update(@UuidParam('id') id: string, @Body() dto: UpdateTenantDto): Promise<TenantDto> {
    return this.tenants.update(id, dto);
  }

  @Post(':id/keys')
  @ApiOperation({ summary: 'Create an API key; the key is in this response only' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  @ApiNotFoundResponse()
  createKey(@UuidParam('id') id: string, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.tenants.createKey(id, dto);
  }

  @Get(':id/keys')
  @ApiOperation({ summary: "List a tenant's keys (prefixes only)" })
  @ApiOkResponse({ type: [ApiKeyDto] })
  @ApiNotFoundResponse()
  listKeys(@UuidParam('id') id: string): Promise<ApiKeyDto[]> {
    return this.tenants.listKeys(id);
  }
}

@ApiTags('admin')
@Authenticated({ admin: true })
@Controller('api/v1/keys')
export class ApiKeysController {
  constructor(private readonly tenants: TenantsService) {}

  @Post(':id/revoke')
  @HttpCode(200)
  @ApiOperation({ summary: 'Revoke a key: refused at once on every replica' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse()
  revoke(@UuidParam('id') id: string): Promise<ApiKeyDto> {
    return this.tenants.revokeKey(id);
  }
}
