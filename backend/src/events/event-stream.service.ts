import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { type FastifyReply } from 'fastify';
import { type AuthContext } from '../auth/auth-context';
import { AppConfig } from '../config/app-config';
import { EventBatch } from './event-batch';
import { EventReplayWindow } from './event-replay-window';
import { offer } from './event-subscriber';
import { EventSubscribers } from './event-subscribers';
import { EventStreamSubscriber } from './event-stream-subscriber';

/** Replayed events go out in frames of this many, each offered like a live frame (slow-consumer rule). */
const REPLAY_FRAME = 100;
/** Longer than any id we give (`<12 hex>-<seq>`); a longer Last-Event-ID is not ours. */
const MAX_LAST_EVENT_ID = 64;

/** Server-Sent Events: one stream per request, scoped and limited like the WebSocket transports. */
@Injectable()
export class EventStreamService {
  constructor(
    private readonly subscribers: EventSubscribers,
    private readonly replay: EventReplayWindow,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /**
   * Opens the stream on `response`; with Last-Event-ID, first what this replica's window holds
   * after that id for this scope, or a `resync` when it holds no continuous run from there.
   * The reply is hijacked: the stream is written on the raw response, which Fastify then leaves
   * alone, so the headers set so far (the rate limit's) are carried over to it first.
   */
  open(
    auth: AuthContext,
    tenantId: string | undefined,
    lastEventId: string | undefined,
    reply: FastifyReply,
  ): void {
    const response = reply.raw;
    const subscriber = new EventStreamSubscriber(response, auth, () => this.replay.headId);
    if (!this.subscribers.add(subscriber))
      throw new HttpException(
        `Too many live-event connections for this key (at most ${this.subscribers.maxPerKey} on this replica, sockets and streams together): close one first`,
        HttpStatus.TOO_MANY_REQUESTS,
      );
    for (const [name, value] of Object.entries(reply.getHeaders()))
      if (value !== undefined) response.setHeader(name, value);
    reply.hijack();
    response.once('close', () => {
      subscriber.stop();
      this.subscribers.remove(subscriber);
    });
    subscriber.start(this.config.EVENTS_HEARTBEAT_SECONDS * 1000);
    this.subscribers.scope(subscriber, tenantId);
    if (lastEventId !== undefined) this.replayTo(subscriber, lastEventId);
  }

  private replayTo(subscriber: EventStreamSubscriber, lastEventId: string): void {
    const missed = lastEventId.length <= MAX_LAST_EVENT_ID ? this.replay.since(lastEventId) : null;
    if (!missed) return subscriber.sendResync({ reason: 'replay-unavailable' });
    const own = missed.filter((item) => this.subscribers.sees(subscriber, item.event.tenant_id));
    for (let i = 0; i < own.length; i += REPLAY_FRAME)
      offer(subscriber, new EventBatch(own.slice(i, i + REPLAY_FRAME)));
    // Frames still waiting in the coalescer hold some of these: they must not come twice.
    subscriber.replayedUpTo = this.replay.headSeq;
  }
}
