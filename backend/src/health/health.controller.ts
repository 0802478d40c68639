import { Controller, Get, HttpCode, HttpStatus, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { Public } from '../auth/auth.decorators';
import { HealthService } from './health.service';
import { LivenessDto, ReadinessDto } from './health.dto';

@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('health')
  @HttpCode(HttpStatus.OK)
  @ApiOperation({ summary: 'Liveness: 200 while the process runs (no key, no database)' })
  @ApiOkResponse({ type: LivenessDto, description: 'The process is alive' })
  live(): LivenessDto {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'Readiness: 200 when the database answers, else 503 with the reason (no key)' })
  @ApiOkResponse({ type: ReadinessDto, description: 'The database answers' })
  @ApiServiceUnavailableResponse({ type: ReadinessDto, description: 'The database does not answer' })
  async ready(): Promise<ReadinessDto> {
    const readiness = await this.health.readiness();
    if (readiness.status !== 'ready') throw new ServiceUnavailableException(readiness);
    return readiness;
  }
}
