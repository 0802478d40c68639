import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { JobsModule } from '../jobs/jobs.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { EventFanout } from './event-fanout';
import { EventsGateway } from './events.gateway';

/** Live events: the socket.io gateway and the fan-out from PostgreSQL NOTIFY to its rooms. */
@Module({
  imports: [AuthModule, JobsModule, RateLimitModule],
  providers: [EventsGateway, EventFanout],
})
export class EventsModule {}
