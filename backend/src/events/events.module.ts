import { Module } from '@nestjs/common';
import { AuthModule } from '../auth/auth.module';
import { JobsModule } from '../jobs/jobs.module';
import { RateLimitModule } from '../rate-limit/rate-limit.module';
import { EventFanout } from './event-fanout';
import { EventReplayWindow } from './event-replay-window';
import { EventStreamController } from './event-stream.controller';
import { EventStreamService } from './event-stream.service';
import { EventSubscribers } from './event-subscribers';
import { EventsGateway } from './events.gateway';
import { PlainWebSocketController } from './plain-websocket.controller';
import { PlainWebSocketServer } from './plain-websocket.server';

/**
 * Live events over three transports, one fan-out: socket.io (/events), a plain WebSocket (/ws)
 * and Server-Sent Events (GET /api/v1/events), fed from PostgreSQL NOTIFY.
 */
@Module({
  imports: [AuthModule, JobsModule, RateLimitModule],
  controllers: [EventStreamController, PlainWebSocketController],
  providers: [
    EventSubscribers,
    EventReplayWindow,
    EventFanout,
    EventsGateway,
    PlainWebSocketServer,
    EventStreamService,
  ],
})
export class EventsModule {}
