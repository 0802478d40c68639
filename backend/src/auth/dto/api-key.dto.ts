import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { API_KEY_ROLES, type ApiKeyRole } from '../api-key-role';

export class CreateApiKeyDto {
  @ApiPropertyOptional({ example: 'ci-deploys', description: 'A label shown in lists' })
  @IsOptional()
  @IsString()
  @Length(1, 100)
  name?: string;

  @ApiPropertyOptional({ enum: API_KEY_ROLES, default: 'tenant' })
  @IsOptional()
  @IsIn(API_KEY_ROLES)
  role?: ApiKeyRole;
}

export class ApiKeyDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty({ description: 'The first characters of the key, to tell keys apart' }) prefix!: string;
  @ApiProperty({ nullable: true, type: String }) name!: string | null;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
  @ApiProperty() created_at!: string;
  @ApiProperty({ nullable: true, type: String }) last_used_at!: string | null;
  @ApiProperty({ nullable: true, type: String }) revoked_at!: string | null;
}

export class CreatedApiKeyDto extends ApiKeyDto {
  @ApiProperty({ description: 'The key itself: shown this once, stored only as a sha256 hash' })
  key!: string;
}

export class WhoAmIDto {
  @ApiProperty({ format: 'uuid' }) tenant_id!: string;
  @ApiProperty() tenant_name!: string;
  @ApiProperty({ format: 'uuid' }) key_id!: string;
  @ApiProperty({ enum: API_KEY_ROLES }) role!: ApiKeyRole;
}
