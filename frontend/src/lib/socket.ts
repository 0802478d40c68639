import { io, type Socket } from 'socket.io-client';
import {
  type ClientToServerEvents,
  EVENTS_NAMESPACE,
  type HandshakeAuth,
  type ServerToClientEvents,
} from '@conveyor/contracts';

export type EventsSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What the connection indicator shows. `refused`: the key was rejected; retrying will not help. */
export type ConnectionState = 'connecting' | 'live' | 'reconnecting' | 'refused';

/**
 * The dashboard's one socket to /events, typed by the map the gateway uses. WebSocket only:
 * behind several API replicas without sticky sessions, long-polling's requests could land on
 * different replicas. socket.io reconnects by itself; the server sends `resync` when it may
 * have missed events, and callers refetch then.
 */
export function connectEvents(apiKey: string, onState: (state: ConnectionState) => void): EventsSocket {
  const auth: HandshakeAuth = { token: apiKey };
  const socket: EventsSocket = io(EVENTS_NAMESPACE, { auth, transports: ['websocket'] });
  onState('connecting');
  socket.on('connect', () => onState('live'));
  socket.on('disconnect', () => onState('reconnecting'));
  socket.on('connect_error', (error) => {
    if (error.message === 'unauthorized') {
      onState('refused');
      socket.disconnect();
    } else onState('reconnecting');
  });
  return socket;
}
