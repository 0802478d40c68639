import { io, type Socket } from 'socket.io-client';
import {
  type ClientToServerEvents,
  EVENTS_NAMESPACE,
  type ServerToClientEvents,
} from '../../../contracts/src/event-map';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * A socket.io client on /events that never reconnects by itself (a test decides), kept in
 * `opened` so that the test can close them all; resolves once connected, rejects on refusal.
 */
export function connectSocket(url: string, key: string, opened: ClientSocket[]): Promise<ClientSocket> {
  const socket: ClientSocket = io(`${url}${EVENTS_NAMESPACE}`, {
    auth: { token: key },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  opened.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}
