import { Logger } from '@nestjs/common';
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
import { hashApiKey } from '../auth/api-key-secret';
import { type AuthContext } from '../auth/auth-context';
import { JobsRepository } from '../jobs/jobs.repository';
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
  keyHash: string;
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

  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly jobs: JobsRepository,
  ) {}

  afterInit(namespace: EventsNamespace): void {
    namespace.use((socket, next) => {
      const { token } = (socket.handshake.auth ?? {}) as Partial<HandshakeAuth>;
      if (typeof token !== 'string' || token === '') return next(new Error('unauthorized'));
      this.authenticator
        .authenticate(token)
        .then((auth) => {
          if (!auth) return next(new Error('unauthorized'));
          socket.data.auth = auth;
          socket.data.keyHash = hashApiKey(token);
          next();
        })
        .catch((error: Error) => {
          this.logger.warn(`socket authentication failed: ${error.message}`);
          next(new Error('unavailable'));
        });
    });
    this.authenticator.onRevoked(({ keyHash }) => {
      if (!keyHash) return;
      for (const socket of namespace.sockets.values())
        if (socket.data.keyHash === keyHash) socket.disconnect(true);
    });
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
    const job = await this.jobs.find(auth.role === 'admin' ? null : auth.tenantId, request.job_id);
    if (!job) return { ok: false, error: 'no such job' };
    await socket.join(jobRoom(request.job_id));
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
