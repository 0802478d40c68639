import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Authenticated } from '../auth/auth.decorators';
import { JobTypeDto } from './dto/job.dto';
import { JobsService } from './jobs.service';

@ApiTags('jobs')
@Authenticated()
@Controller('api/v1/job-types')
export class JobTypesController {
  constructor(private readonly jobs: JobsService) {}

  @Get()
  @ApiOperation({ summary: 'The registered job types, with a description and an example payload' })
  @ApiOkResponse({ type: [JobTypeDto] })
  list(): JobTypeDto[] {
    return this.jobs.jobTypes();
  }
}
