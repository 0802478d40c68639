import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsInt, IsOptional, IsString, Length, Matches, Max, Min, ValidateIf } from 'class-validator';

const trim = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim() : value);

export class CreateTenantDto {
  @ApiProperty({ example: 'acme', description: '1-100 characters, unique' })
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name!: string;

  @ApiPropertyOptional({
    example: 100,
    description: 'Token-bucket refill per second; default RATE_LIMIT_PER_SECOND',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_second?: number;

  @ApiPropertyOptional({ example: 200, description: 'Token-bucket capacity; default RATE_LIMIT_BURST' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_burst?: number;

  @ApiPropertyOptional({
    example: 10,
    description: 'Most jobs of this tenant running at once, across all workers',
  })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_concurrency?: number;
}

/** Every field optional; `null` clears a limit back to the default (none for max_concurrency); name cannot be null. */
export class UpdateTenantDto {
  @ApiPropertyOptional({ example: 'acme' })
  @ValidateIf((_, value) => value !== undefined)
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  @Matches(/\S/, { message: 'name must not be blank' })
  name?: string;

  @ApiPropertyOptional({ example: 100, nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_per_second?: number | null;

  @ApiPropertyOptional({ example: 200, nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(1_000_000)
  rate_limit_burst?: number | null;

  @ApiPropertyOptional({ example: 10, nullable: true, type: Number })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(100_000)
  max_concurrency?: number | null;
}

export class TenantDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ nullable: true, type: Number }) rate_limit_per_second!: number | null;
  @ApiProperty({ nullable: true, type: Number }) rate_limit_burst!: number | null;
  @ApiProperty({ nullable: true, type: Number }) max_concurrency!: number | null;
  @ApiProperty() created_at!: string;
  @ApiProperty() updated_at!: string;
}
