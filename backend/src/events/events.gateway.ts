import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { type Namespace } from 'socket.io';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { tenantScope } from '../auth/auth-context';
import { AppConfig } from '../config/app-config';
import { JobsRepository } from '../jobs/jobs.repository';
import { TenantRateLimiter } from '../rate-limit/tenant-rate-limiter';
import {
  type ClientToServerEvents,
  EVENTS_NAMESPACE,
  type HandshakeAuth,
  type ServerToClientEvents,
  type SubscribeAck,
  type SubscribeRequest,
} from '../../../contracts/src/event-map';
import { UUID } from '../common/uuid';
import { isJobRoom, jobRoom } from './event-rooms';
import { EventSubscribers } from './event-subscribers';
import { type EventsSocket, type SocketData, SocketIoSubscriber } from './socket-io-subscriber';

export type EventsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

/**
 * socket.io namespace /events. The handshake carries the API key (`auth.token`); a bad or
 * revoked key gets `connect_error` "unauthorized". A tenant's sockets get its events only; an
 * admin's every tenant's (or one it names); any socket may follow one of its jobs. Rooms,
 * limits and revocation are EventSubscribers', shared with the plain WebSocket and SSE.
 *
 * destroyUpgrade is off: engine.io would otherwise end, after a second, every upgrade request
 * it does not own (/ws among them, while its key is looked up). PlainWebSocketServer answers
 * every upgrade outside /socket.io/ instead.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE, destroyUpgrade: false })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(EventsGateway.name);

  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly subscribers: EventSubscribers,
    private readonly jobs: JobsRepository,
    private readonly limiter: TenantRateLimiter,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  afterInit(namespace: EventsNamespace): void {
    namespace.use((socket, next) => {
      const { token } = (socket.handshake.auth ?? {}) as Partial<HandshakeAuth>;
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
      this.authenticator
        .authenticate(token)
        .then((auth) => {
          if (!auth) return next(new Error('unauthorized'));
          const subscriber = new SocketIoSubscriber(socket, auth);
          if (!this.subscribers.add(subscriber)) return next(new Error('too many sockets for this key'));
          socket.once('disconnect', () => this.subscribers.remove(subscriber));
          socket.data.auth = auth;
          socket.data.subscriber = subscriber;
          next();
        })
        .catch((error: Error) => {
          this.logger.warn(`socket authentication failed: ${error.message}`);
          next(new Error('unavailable'));
        });
    });
  }

  handleConnection(socket: EventsSocket): void {
    const { tenant_id: tenantId } = (socket.handshake.auth ?? {}) as Partial<HandshakeAuth>;
    // An admin's tenant_id that is not a UUID is ignored: it watches every tenant.
    const named = typeof tenantId === 'string' && UUID.test(tenantId) ? tenantId : undefined;
    this.subscribers.scope(socket.data.subscriber, named);
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: EventsSocket,
    @MessageBody() request: SubscribeRequest,
  ): Promise<SubscribeAck> {
    const { auth, subscriber } = socket.data;
    if (request?.tenant_id !== undefined) {
      if (auth.role !== 'admin') return { ok: false, error: 'only admins choose a tenant' };
      if (!UUID.test(request.tenant_id)) return { ok: false, error: 'tenant_id must be a UUID' };
      this.subscribers.scope(subscriber, request.tenant_id);
      return { ok: true };
    }
    if (typeof request?.job_id !== 'string' || !UUID.test(request.job_id))
      return { ok: false, error: 'job_id must be a UUID' };
    const room = jobRoom(request.job_id);
    if (subscriber.rooms.has(room)) return { ok: true };
    const cap = this.config.EVENTS_MAX_SUBSCRIPTIONS_PER_SOCKET;
    let following = 0;
    for (const joined of subscriber.rooms) if (isJobRoom(joined)) following++;
    if (following >= cap)
      return {
        ok: false,
        error: `too many subscriptions on this socket (at most ${cap}): unsubscribe first`,
      };
    // A subscribe reads the database: it costs a request token like any API call.
    const decision = await this.limiter.consume(auth);
    if (!decision.allowed)
      return { ok: false, error: `rate limited: retry in ${decision.retryAfterSeconds} s` };
    if (!(await this.jobs.exists(tenantScope(auth), request.job_id)))
      return { ok: false, error: 'no such job' };
    this.subscribers.join(subscriber, room);
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(
    @ConnectedSocket() socket: EventsSocket,
    @MessageBody() request: SubscribeRequest,
  ): SubscribeAck {
    if (typeof request?.job_id !== 'string' || !UUID.test(request.job_id))
      return { ok: false, error: 'job_id must be a UUID' };
    this.subscribers.leave(socket.data.subscriber, jobRoom(request.job_id));
    return { ok: true };
  }
}
