import { Controller, Get, Headers, Query, Res } from '@nestjs/common';
import {
  ApiHeader,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiTooManyRequestsResponse,
} from '@nestjs/swagger';
import { type FastifyReply } from 'fastify';
import { type AuthContext } from '../auth/auth-context';
import { Auth, Authenticated } from '../auth/auth.decorators';
import { PLAIN_EVENT_NAMES } from '../../../contracts/src/event-map';
import { EventStreamQuery } from './dto/event-stream.query';
import { EventStreamService } from './event-stream.service';

const STREAM_DESCRIPTION = [
  'A Server-Sent Events stream (`text/event-stream`; `curl -N` prints it as it comes) of the caller’s job events, one SSE event per job event:',
  `\`event:\` ${Object.values(PLAIN_EVENT_NAMES).join(', ')},`,
  '`data:` one JSON object `{"event", "job_id", "tenant_id", "queue", "job_type", "status", "attempt", "progress", "error", "at"}` (never the payload),',
  '`id:` for Last-Event-ID. A `: heartbeat` comment comes every EVENTS_HEARTBEAT_SECONDS (15 s).',
  'Reconnecting with `Last-Event-ID` replays what this API replica still holds after that id (its last EVENTS_REPLAY_EVENTS events);',
  'an id outside that window (too old, another replica’s, from before a restart) gets a `resync` event instead: refetch, then follow the stream.',
  '`resync` also comes after frames were dropped for a slow reader or the replica’s LISTEN connection dropped.',
  'Under load a tenant’s events are paced like socket.io’s (EVENTS_FRAMES_PER_FLUSH per EVENTS_FLUSH_MS, a job’s repeated progress collapsed).',
  'Open streams count against EVENTS_MAX_SOCKETS_PER_KEY with the key’s sockets.',
  'The same events come over a plain WebSocket at `/ws` (`Authorization: Bearer <key>` or `?token=<key>`, admins may add `?tenant_id=`),',
  'one JSON text message per event; a refused socket is closed with 4401 (bad key), 4400 (bad tenant_id), 4429 (too many connections) or 4503.',
].join(' ');

@ApiTags('events')
@Authenticated()
@Controller('api/v1/events')
export class EventStreamController {
  constructor(private readonly streams: EventStreamService) {}

  @Get()
  @ApiOperation({ summary: 'Live job events as Server-Sent Events', description: STREAM_DESCRIPTION })
  @ApiProduces('text/event-stream')
  @ApiHeader({
    name: 'Last-Event-ID',
    required: false,
    description: 'The id of the last event received: replays what followed, or sends `resync`',
  })
  @ApiOkResponse({
    description: 'The stream; it stays open until the client leaves',
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          example:
            'id: 3f9a0c1b2d4e-42\nevent: job_completed\ndata: {"event":"job_completed","job_id":"…"}\n\n',
        },
      },
    },
  })
  @ApiTooManyRequestsResponse({
    description: 'The key holds EVENTS_MAX_SOCKETS_PER_KEY connections already, or its rate limit is spent',
  })
  stream(
    @Auth() auth: AuthContext,
    @Query() query: EventStreamQuery,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Res() response: FastifyReply,
  ): void {
    this.streams.open(auth, query.tenant_id, lastEventId, response);
  }
}
