import { Body, Controller, Get, HttpCode, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { DeadLetterService } from './dead-letter.service';
import {
  DeadJobActionResultDto,
  DeadJobCountDto,
  DeadJobFilterDto,
  DeadJobPageDto,
  DeadJobSelectionDto,
  ListDeadJobsQuery,
} from './dto/list.dto';

@ApiTags('dead-letter queue')
@Authenticated()
@Controller('api/v1/jobs/dlq')
export class DeadLetterController {
  constructor(private readonly deadLetters: DeadLetterService) {}

  @Get()
  @ApiOperation({ summary: 'Dead jobs, most recent first, with every attempt’s error' })
  @ApiOkResponse({ type: DeadJobPageDto })
  list(@Auth() auth: AuthContext, @Query() query: ListDeadJobsQuery): Promise<DeadJobPageDto> {
    return this.deadLetters.list(auth, query);
  }

  @Get('count')
  @ApiOperation({ summary: 'How many dead jobs match a filter (for a bulk action’s confirmation)' })
  @ApiOkResponse({ type: DeadJobCountDto })
  count(@Auth() auth: AuthContext, @Query() filter: DeadJobFilterDto): Promise<DeadJobCountDto> {
    return this.deadLetters.count(auth, filter);
  }

  @Post('retry')
  @HttpCode(200)
  @ApiOperation({
    summary: 'Redrive: back to pending with a fresh attempt count (ids, or a filter for all matching)',
  })
  @ApiOkResponse({ type: DeadJobActionResultDto })
  @ApiBadRequestResponse()
  retry(@Auth() auth: AuthContext, @Body() selection: DeadJobSelectionDto): Promise<DeadJobActionResultDto> {
    return this.deadLetters.retry(auth, selection);
  }

  @Post('discard')
  @HttpCode(200)
  @ApiOperation({ summary: 'Delete dead jobs for good (ids, or a filter for all matching)' })
  @ApiOkResponse({ type: DeadJobActionResultDto })
  @ApiBadRequestResponse()
  discard(
    @Auth() auth: AuthContext,
    @Body() selection: DeadJobSelectionDto,
  ): Promise<DeadJobActionResultDto> {
    return this.deadLetters.discard(auth, selection);
  }
}
