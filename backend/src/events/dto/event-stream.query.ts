import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsUUID } from 'class-validator';

export class EventStreamQuery {
  @ApiPropertyOptional({
    format: 'uuid',
    description: "Admins only: one tenant's events (default: every tenant's); ignored for a tenant's key",
  })
  @IsOptional()
  @IsUUID()
  tenant_id?: string;
}
