import { Inject, Logger } from '@nestjs/common';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
  WebSocketServer,
} from '@nestjs/websockets';
import { type Namespace, type Socket } from 'socket.io';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { type AuthContext } from '../auth/auth-context';
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

export interface SocketData {
  auth: AuthContext;
  /** Set while frames are being dropped for this socket; it gets a resync once it catches up. */
  dropping?: boolean;
}

export type EventsSocket = Socket<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;
export type EventsNamespace = Namespace<
  ClientToServerEvents,
  ServerToClientEvents,
  Record<string, never>,
  SocketData
>;

export const ADMIN_ROOM = 'admins';
export const tenantRoom = (tenantId: string): string => `tenant:${tenantId}`;
export const jobRoom = (jobId: string): string => `job:${jobId}`;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * socket.io namespace /events. The handshake carries the API key (`auth.token`); a bad or
 * revoked key gets `connect_error` "unauthorized". A tenant's sockets join its room only; an
 * admin's join every tenant's (or one it names); any socket may follow one of its jobs.
 */
@WebSocketGateway({ namespace: EVENTS_NAMESPACE })
export class EventsGateway implements OnGatewayInit, OnGatewayConnection {
  private readonly logger = new Logger(EventsGateway.name);
  @WebSocketServer() server!: EventsNamespace;

  /** Open sockets per API key on this replica, counted at the handshake (EVENTS_MAX_SOCKETS_PER_KEY). */
  private readonly socketsByKey = new Map<string, number>();

  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly jobs: JobsRepository,
    private readonly limiter: TenantRateLimiter,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  /** Counts the socket against its key, or says why it may not open. */
  private admit(socket: EventsSocket, auth: AuthContext): Error | null {
    const open = this.socketsByKey.get(auth.keyId) ?? 0;
    if (open >= this.config.EVENTS_MAX_SOCKETS_PER_KEY) return new Error('too many sockets for this key');
    this.socketsByKey.set(auth.keyId, open + 1);
    socket.once('disconnect', () => {
      const left = (this.socketsByKey.get(auth.keyId) ?? 1) - 1;
      if (left > 0) this.socketsByKey.set(auth.keyId, left);
      else this.socketsByKey.delete(auth.keyId);
    });
    return null;
  }

  afterInit(namespace: EventsNamespace): void {
    namespace.use((socket, next) => {
      const { token } = (socket.handshake.auth ?? {}) as Partial<HandshakeAuth>;
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
      this.authenticator
        .authenticate(token)
        .then((auth) => {
          if (!auth) return next(new Error('unauthorized'));
          const refused = this.admit(socket, auth);
          if (refused) return next(refused);
          socket.data.auth = auth;
          next();
        })
        .catch((error: Error) => {
          this.logger.warn(`socket authentication failed: ${error.message}`);
          next(new Error('unavailable'));
        });
    });
    this.authenticator.onRevoked(({ keyId }) => {
      if (!keyId) return;
      for (const socket of namespace.sockets.values())
        if (socket.data.auth.keyId === keyId) socket.disconnect(true);
    });
    // A revocation NOTIFY sent while the listener was down never arrives: check every open
    // socket's key again each time the listener is back.
    this.authenticator.onListenerConnected(() => {
      this.recheckKeys(namespace).catch((error: Error) =>
        this.logger.warn(`could not re-check the keys of open sockets: ${error.message}`),
      );
    });
  }

  private async recheckKeys(namespace: EventsNamespace): Promise<void> {
    const keyIds = new Set<string>();
    for (const socket of namespace.sockets.values()) keyIds.add(socket.data.auth.keyId);
    if (keyIds.size === 0) return;
    const active = new Set(await this.authenticator.activeKeyIds([...keyIds]));
    for (const socket of namespace.sockets.values())
      if (!active.has(socket.data.auth.keyId)) socket.disconnect(true);
  }

  async handleConnection(socket: EventsSocket): Promise<void> {
    const { auth } = socket.data;
    const { tenant_id: tenantId } = (socket.handshake.auth ?? {}) as Partial<HandshakeAuth>;
    if (auth.role !== 'admin') await socket.join(tenantRoom(auth.tenantId));
    else if (typeof tenantId === 'string' && UUID.test(tenantId)) await socket.join(tenantRoom(tenantId));
    else await socket.join(ADMIN_ROOM);
  }

  @SubscribeMessage('subscribe')
  async subscribe(
    @ConnectedSocket() socket: EventsSocket,
    @MessageBody() request: SubscribeRequest,
  ): Promise<SubscribeAck> {
    const { auth } = socket.data;
    if (request?.tenant_id !== undefined) {
      if (auth.role !== 'admin') return { ok: false, error: 'only admins choose a tenant' };
      if (!UUID.test(request.tenant_id)) return { ok: false, error: 'tenant_id must be a UUID' };
      await socket.leave(ADMIN_ROOM);
      for (const room of socket.rooms) if (room.startsWith('tenant:')) await socket.leave(room);
      await socket.join(tenantRoom(request.tenant_id));
      return { ok: true };
    }
    if (typeof request?.job_id !== 'string' || !UUID.test(request.job_id))
      return { ok: false, error: 'job_id must be a UUID' };
    const room = jobRoom(request.job_id);
    if (socket.rooms.has(room)) return { ok: true };
    const cap = this.config.EVENTS_MAX_SUBSCRIPTIONS_PER_SOCKET;
    let following = 0;
    for (const joined of socket.rooms) if (joined.startsWith('job:')) following++;
    if (following >= cap)
      return {
        ok: false,
        error: `too many subscriptions on this socket (at most ${cap}): unsubscribe first`,
      };
    // A subscribe reads the database: it costs a request token like any API call.
    const decision = await this.limiter.consume(auth);
    if (!decision.allowed)
      return { ok: false, error: `rate limited: retry in ${decision.retryAfterSeconds} s` };
    if (!(await this.jobs.exists(auth.role === 'admin' ? null : auth.tenantId, request.job_id)))
      return { ok: false, error: 'no such job' };
    await socket.join(room);
    return { ok: true };
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(
    @ConnectedSocket() socket: EventsSocket,
    @MessageBody() request: SubscribeRequest,
  ): Promise<SubscribeAck> {
    if (typeof request?.job_id !== 'string' || !UUID.test(request.job_id))
      return { ok: false, error: 'job_id must be a UUID' };
    await socket.leave(jobRoom(request.job_id));
    return { ok: true };
  }
}
