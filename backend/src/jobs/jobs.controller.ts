import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  Post,
  Query,
  Res,
  UploadedFiles,
  UseGuards,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConflictResponse,
  ApiConsumes,
  ApiCreatedResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiTooManyRequestsResponse,
  getSchemaPath,
  ApiExtraModels,
} from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type AuthContext } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { prefersMinimalReturn } from '../common/prefer-header';
import { TraceId } from '../common/trace-id';
import { UuidParam } from '../common/uuid-param';
import { CreateJobDto, CreateJobMultipartDto, CreateJobsBatchDto } from './dto/create-job.dto';
import { JobBatchDto, JobBatchMinimalDto, JobDto, JobPageDto } from './dto/job.dto';
import { toJobDto } from './job-mapping';
import { ListJobsQuery } from './dto/list.dto';
import { JobsService, type UploadedJobFile } from './jobs.service';
import { MultipartJobGuard } from './multipart-job.guard';

type UploadedFields = Record<string, UploadedJobFile[] | undefined> | undefined;

@ApiTags('jobs')
@Authenticated()
@ApiTooManyRequestsResponse({ description: 'Rate limit exceeded; see Retry-After' })
@ApiExtraModels(CreateJobDto, CreateJobMultipartDto, JobBatchDto, JobBatchMinimalDto)
@Controller('api/v1/jobs')
export class JobsController {
  constructor(private readonly jobs: JobsService) {}

  @Post()
  @UseGuards(MultipartJobGuard)
  @ApiOperation({
    summary: 'Submit a job',
    description:
      'JSON, or multipart/form-data with fields type, payload (a JSON string) and one file (field file or filename) for analyze jobs.',
  })
  @ApiConsumes('application/json', 'multipart/form-data')
  @ApiBody({
    schema: {
      oneOf: [{ $ref: getSchemaPath(CreateJobDto) }, { $ref: getSchemaPath(CreateJobMultipartDto) }],
    },
  })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'Same as idempotency_key' })
  @ApiCreatedResponse({ type: JobDto, description: 'Created' })
  @ApiOkResponse({ type: JobDto, description: 'The job an earlier call with this idempotency key created' })
  @ApiBadRequestResponse({ description: 'Invalid input; details name the fields' })
  @ApiPayloadTooLargeResponse({ description: 'Body over MAX_BODY_BYTES or file over UPLOAD_MAX_BYTES' })
  async create(
    @Auth() auth: AuthContext,
    @Body() dto: CreateJobDto,
    @TraceId() traceId: string,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @UploadedFiles() files: UploadedFields,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<JobDto> {
    const file = files?.file?.[0] ?? files?.filename?.[0];
    const { job, created } = await this.jobs.submit(auth, dto, traceId, idempotencyKey, file);
    response.status(created ? 201 : 200);
    return job;
  }

  @Post('batch')
  @ApiOperation({ summary: 'Submit up to 1,000 jobs in one statement: all or none' })
  @ApiHeader({
    name: 'Prefer',
    required: false,
    description:
      '`return=minimal`: answer each job as its id and status only (a tenth of the bytes, and less of the API’s CPU); `Preference-Applied` confirms it',
  })
  @ApiCreatedResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(JobBatchDto) }, { $ref: getSchemaPath(JobBatchMinimalDto) }] },
    description: 'Every job in full, or with `Prefer: return=minimal` only their ids and statuses',
  })
  @ApiBadRequestResponse({ description: 'Nothing submitted; details list every bad item by index' })
  async createBatch(
    @Auth() auth: AuthContext,
    @Body() dto: CreateJobsBatchDto,
    @TraceId() traceId: string,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) response: FastifyReply,
  ): Promise<JobBatchDto | JobBatchMinimalDto> {
    const jobs = await this.jobs.submitBatch(auth, dto, traceId);
    if (!prefersMinimalReturn(prefer)) return { jobs: jobs.map((job) => toJobDto(job)) };
    response.header('Preference-Applied', 'return=minimal');
    return { jobs: jobs.map(({ id, status }) => ({ id, status })) };
  }

  @Get()
  @ApiOperation({ summary: 'List jobs, newest first (keyset pagination)' })
  @ApiOkResponse({ type: JobPageDto })
  list(@Auth() auth: AuthContext, @Query() query: ListJobsQuery): Promise<JobPageDto> {
    return this.jobs.list(auth, query);
  }

  @Get(':id')
  @ApiOperation({ summary: 'One job: payload, result, progress and every attempt’s error' })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse({ description: "No such job (another tenant's job is a 404 too)" })
  get(@Auth() auth: AuthContext, @UuidParam('id') id: string): Promise<JobDto> {
    return this.jobs.get(auth, id);
  }

  @Post(':id/cancel')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Cancel a pending, failed or running job (a running one is aborted on its worker)',
  })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The job already finished' })
  cancel(@Auth() auth: AuthContext, @UuidParam('id') id: string): Promise<JobDto> {
    return this.jobs.cancel(auth, id);
  }

  @Post(':id/retry')
  @HttpCode(200)
  @ApiOperation({ summary: 'Run a failed, dead or cancelled job again now, with a fresh attempt count' })
  @ApiOkResponse({ type: JobDto })
  @ApiNotFoundResponse()
  @ApiConflictResponse({ description: 'The job is pending, running or completed' })
  retry(@Auth() auth: AuthContext, @UuidParam('id') id: string): Promise<JobDto> {
    return this.jobs.retry(auth, id);
  }
}
