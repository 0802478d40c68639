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
export function connectEvents(auth: HandshakeAuth, onState: (state: ConnectionState) => void): EventsSocket {
  const socket: EventsSocket = io(EVENTS_NAMESPACE, {
    auth: (send) => send({ ...auth }),
    transports: ['websocket'],
  });
  onState('connecting');
  socket.on('connect', () => onState('live'));
  socket.on('disconnect', () => onState(navigator.onLine ? 'reconnecting' : 'offline'));
  socket.io.on('reconnect_failed', () => onState('offline'));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') {
      onState('refused');
      socket.disconnect();
    } else onState(navigator.onLine ? 'reconnecting' : 'offline');
  });
  return socket;
}
