import {
  type ClientToServerEvents,
  EVENTS_NAMESPACE,
  type HandshakeAuth,
  type ServerToClientEvents,
} from '@conveyor/contracts';
import { io, type Socket } from 'socket.io-client';

export type EventsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * What the connection indicator shows. `offline`: the browser has no network, or the socket gave
 * up; `refused`: the key was rejected, and retrying will not help.
 */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'offline' | 'refused';

/**
 * The dashboard's one socket to /events, typed by the map the gateway uses. WebSocket only:
 * behind several API replicas without sticky sessions, long-polling's requests could land on
 * different replicas. socket.io reconnects by itself; the handshake's `auth` object is read on
 * every (re)connection, so a tenant picked meanwhile is kept.
 */
const sent = new WeakMap<EventsSocket, string | undefined>();

/** The tenant the socket's last handshake named (an admin's pick when it connected). */
export const sentTenant = (socket: EventsSocket): string | undefined => sent.get(socket);

/** After a refusal by the server's middleware (it could not check the key: its database is down). */
const RETRY_MIN_MS = 1_000;
const RETRY_MAX_MS = 30_000;

export function connectEvents(auth: HandshakeAuth, onState: (state: ConnectionState) => void): EventsSocket {
  const socket: EventsSocket = io(EVENTS_NAMESPACE, {
    auth: (send) => {
      sent.set(socket, auth.tenant_id);
      send({ ...auth });
    },
    transports: ['websocket'],
  });
  let retryMs = RETRY_MIN_MS;
  let retry: ReturnType<typeof setTimeout> | undefined;
  onState('connecting');
  socket.on('connect', () => {
    retryMs = RETRY_MIN_MS;
    onState('live');
  });
  socket.on('disconnect', () => onState(navigator.onLine ? 'reconnecting' : 'offline'));
  socket.io.on('reconnect_failed', () => onState('offline'));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') {
      onState('refused');
      socket.disconnect();
      return;
    }
    onState(navigator.onLine ? 'reconnecting' : 'offline');
    // Such a refusal ends socket.io's own reconnection: resume it here, slower each time.
    if (!socket.active) {
      clearTimeout(retry);
      retry = setTimeout(() => socket.connect(), retryMs);
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    }
  });
  const disconnect = socket.disconnect.bind(socket);
  socket.disconnect = () => {
    clearTimeout(retry);
    return disconnect();
  };
  return socket;
}
