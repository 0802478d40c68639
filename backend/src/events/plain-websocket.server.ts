import { type IncomingMessage, type Server, STATUS_CODES } from 'node:http';
import { type Duplex } from 'node:stream';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { type WebSocket, WebSocketServer } from 'ws';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { type AuthContext } from '../auth/auth-context';
import { bearerKeyOf } from '../auth/bearer-precheck';
import { AppConfig } from '../config/app-config';
import { PLAIN_CLOSE_CODES, PLAIN_WEBSOCKET_PATH } from '../../../contracts/src/event-map';
import { UUID } from '../common/uuid';
import { EventSubscribers } from './event-subscribers';
import { WebSocketSubscriber } from './websocket-subscriber';

/** engine.io's path: its own upgrade listener answers those (see EventsGateway). */
const SOCKET_IO_PATH = '/socket.io/';

/** Clients send nothing we read; a larger frame than this closes the socket (1009). */
const MAX_CLIENT_MESSAGE_BYTES = 1_024;

type Admission = { auth: AuthContext; tenantId: string | undefined } | { code: number; reason: string };

/**
 * The plain WebSocket endpoint /ws (the `ws` protocol; no socket.io client needed): one JSON
 * message per job event, under the names of PLAIN_EVENT_NAMES, scoped like socket.io's /events
 * (EventSubscribers). The key comes as `Authorization: Bearer <key>` or, for browsers, which
 * cannot set headers on a WebSocket, `?token=<key>`; admins may add `?tenant_id=`. A refusal
 * completes the handshake and closes at once with a PLAIN_CLOSE_CODES code, the only refusal a
 * WebSocket client can read. Clients' messages are ignored.
 */
@Injectable()
export class PlainWebSocketServer implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PlainWebSocketServer.name);
  private readonly sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CLIENT_MESSAGE_BYTES,
    // Per-message deflate costs a zlib context per socket and CPU per message: off, as socket.io's is.
    perMessageDeflate: false,
  });
  private server?: Server;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly authenticator: ApiKeyAuthenticator,
    private readonly subscribers: EventSubscribers,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    this.server.on('upgrade', this.onUpgrade);
  }

  beforeApplicationShutdown(): void {
    this.server?.off('upgrade', this.onUpgrade);
  }

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const url = request.url ?? '/';
    if (url.startsWith(SOCKET_IO_PATH)) return;
    socket.on('error', () => socket.destroy());
    const target = URL.canParse(url, 'http://localhost') ? new URL(url, 'http://localhost') : null;
    if (!target) return refuseUpgrade(socket, 400);
    if (target.pathname !== PLAIN_WEBSOCKET_PATH) return refuseUpgrade(socket, 404);
    this.admit(request, target.searchParams)
      .catch((error: Error): Admission => {
        this.logger.warn(`WebSocket authentication failed: ${error.message}`);
        return { code: PLAIN_CLOSE_CODES.unavailable, reason: 'authentication unavailable: retry' };
      })
      .then((admission) =>
        this.sockets.handleUpgrade(request, socket, head, (ws) => this.open(ws, admission)),
      )
      .catch((error: Error) => {
        this.logger.warn(`WebSocket upgrade failed: ${error.message}`);
        socket.destroy();
      });
  };

  private async admit(request: IncomingMessage, query: URLSearchParams): Promise<Admission> {
    const tenantId = query.get('tenant_id') ?? undefined;
    if (tenantId !== undefined && !UUID.test(tenantId))
      return { code: PLAIN_CLOSE_CODES.badRequest, reason: 'tenant_id must be a UUID' };
    const key = bearerKeyOf(request.headers.authorization) ?? query.get('token') ?? '';
    if (key === '')
      return {
        code: PLAIN_CLOSE_CODES.unauthorized,
        reason: 'missing API key: send Authorization: Bearer <key> or ?token=<key>',
      };
    const auth = await this.authenticator.authenticate(key);
    if (!auth) return { code: PLAIN_CLOSE_CODES.unauthorized, reason: 'invalid or revoked API key' };
    return { auth, tenantId };
  }

  private open(socket: WebSocket, admission: Admission): void {
    socket.on('error', () => socket.terminate());
    if ('code' in admission) return socket.close(admission.code, admission.reason);
    const subscriber = new WebSocketSubscriber(
      socket,
      admission.auth,
      this.config.EVENTS_HEARTBEAT_SECONDS * 1000,
    );
    if (!this.subscribers.add(subscriber))
      return socket.close(
        PLAIN_CLOSE_CODES.tooManyRequests,
        `too many live-event connections for this key (at most ${this.subscribers.maxPerKey})`,
      );
    socket.once('close', () => this.subscribers.remove(subscriber));
    this.subscribers.scope(subscriber, admission.tenantId);
  }
}

/** An HTTP answer to an upgrade nobody serves, then the socket is closed. */
function refuseUpgrade(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
