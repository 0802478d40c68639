import { Module } from '@nestjs/common';
import { WorkersController } from './workers.controller';
import { WorkersRepository } from './workers.repository';
import { WorkersService } from './workers.service';

/** GET /api/v1/workers, read from the registry the worker processes keep (see workers.sql.ts). */
@Module({
  controllers: [WorkersController],
  providers: [WorkersRepository, WorkersService],
  exports: [WorkersRepository],
})
export class WorkersModule {}
