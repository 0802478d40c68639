import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { type AuthContext } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { WorkersDto } from './dto/workers.dto';
import { WorkersService } from './workers.service';

@ApiTags('workers')
@Authenticated()
@Controller('api/v1/workers')
export class WorkersController {
  constructor(private readonly workers: WorkersService) {}

  @Get()
  @ApiOperation({
    summary: 'Live worker processes: the count for any key, every registry row for admin keys',
  })
  @ApiOkResponse({ type: WorkersDto })
  list(@Auth() auth: AuthContext): Promise<WorkersDto> {
    return this.workers.workers(auth);
  }
}
