import { type HandshakeAuth, type JobEvent } from '@conveyor/contracts';
import { hashKey, type QueryClient, type QueryKey, useQueryClient } from '@tanstack/react-query';
import { createContext, type ReactNode, useContext, useEffect, useRef, useState } from 'react';
import { applyJobEvents } from './liveCache';
import { queryKeys } from '../services/queryKeys';
import { connectEvents, type ConnectionState, type EventsSocket, sentTenant } from './socket';

/** Events are applied to the cache at most this often: one render per batch, not per frame. */
const APPLY_EVERY_MS = 100;
/** Queries that events showed to be behind are refetched at most this often. */
const REFETCH_EVERY_MS = 1_000;
/** Beyond this many events waiting (a frozen tab), drop them and refetch instead. */
const MAX_BUFFERED_EVENTS = 20_000;
/** While the socket is down, what is on screen is polled at this pace. */
export const OFFLINE_POLL_MS = 2_000;

interface Live {
  state: ConnectionState;
  /** Follows one job (a detail page) until the returned function is called. */
  follow(jobId: string): () => void;
}

const LiveContext = createContext<Live>({ state: 'connecting', follow: () => () => undefined });

/** Refetches every query on screen: after a reconnect or a `resync`, events may have been missed. */
const refetchOnScreen = (client: QueryClient) => client.invalidateQueries({ refetchType: 'active' });

/** Collects keys and invalidates them together, at most once per REFETCH_EVERY_MS. */
function refetchThrottle(client: QueryClient) {
  const pending = new Map<string, QueryKey>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last = 0;
  const run = () => {
    timer = undefined;
    last = Date.now();
    for (const [hash, queryKey] of [...pending]) {
      // A fetch in flight may have read the database before the events that named it: its key
      // waits for the next round, so the refetch starts after that answer, never merges into it.
      if (client.getQueryState(queryKey)?.fetchStatus === 'fetching') continue;
      pending.delete(hash);
      void client.invalidateQueries({ queryKey, exact: true }, { cancelRefetch: false });
    }
    if (pending.size > 0) timer = setTimeout(run, REFETCH_EVERY_MS);
  };
  return {
    add(keys: QueryKey[]) {
      for (const key of keys) pending.set(hashKey(key), key);
      if (pending.size === 0 || timer) return;
      timer = setTimeout(run, Math.max(0, last + REFETCH_EVERY_MS - Date.now()));
    },
    stop: () => clearTimeout(timer),
  };
}

/**
 * The live connection of a signed-in page: one socket to /events, whose job events patch the
 * query cache (lib/liveCache.ts) and whose summaries replace the cached summary. The socket is
 * never a second store: everything it brings lands in TanStack Query's cache.
 */
export function LiveProvider({
  apiKey,
  tenantId,
  children,
}: {
  apiKey: string;
  tenantId: string | undefined;
  children: ReactNode;
}) {
  const client = useQueryClient();
  const [state, setState] = useState<ConnectionState>('connecting');
  const socketRef = useRef<EventsSocket | null>(null);
  const handshake = useRef<HandshakeAuth>({ token: apiKey, tenant_id: tenantId });
  const followed = useRef(new Map<string, number>());
  const [live] = useState<Live>(() => ({
    state: 'connecting',
    follow(jobId) {
      const count = followed.current.get(jobId) ?? 0;
      followed.current.set(jobId, count + 1);
      if (count === 0 && socketRef.current?.connected)
        socketRef.current.emit('subscribe', { job_id: jobId }, () => undefined);
      return () => {
        const left = (followed.current.get(jobId) ?? 1) - 1;
        if (left > 0) return void followed.current.set(jobId, left);
        followed.current.delete(jobId);
        if (socketRef.current?.connected)
          socketRef.current.emit('unsubscribe', { job_id: jobId }, () => undefined);
      };
    },
  }));

  useEffect(() => {
    const auth = { token: apiKey, tenant_id: handshake.current.tenant_id };
    handshake.current = auth;
    const socket = connectEvents(auth, setState);
    socketRef.current = socket;
    const refetch = refetchThrottle(client);
    let buffer: JobEvent[] = [];
    let applyTimer: ReturnType<typeof setTimeout> | undefined;
    const apply = () => {
      applyTimer = undefined;
      const batch = buffer;
      buffer = [];
      refetch.add(applyJobEvents(client, batch));
    };
    socket.on('events', (batch) => {
      buffer.push(...batch);
      if (buffer.length > MAX_BUFFERED_EVENTS) {
        buffer = [];
        void refetchOnScreen(client);
      } else applyTimer ??= setTimeout(apply, APPLY_EVERY_MS);
    });
    socket.on('metrics.summary', (event) =>
      client.setQueryData(queryKeys.metrics.summary(event.tenant_id ?? 'all'), event.summary),
    );
    socket.on('resync', () => void refetchOnScreen(client));
    socket.on('connect', () => {
      for (const jobId of followed.current.keys())
        socket.emit('subscribe', { job_id: jobId }, () => undefined);
      // A tenant picked while the handshake was on its way: join its room now.
      const picked = handshake.current.tenant_id;
      if (picked && picked !== sentTenant(socket))
        socket.emit('subscribe', { tenant_id: picked }, () => undefined);
      // What happened while the socket was down (or before it first connected) came by no event.
      void refetchOnScreen(client);
    });
    const offline = () => setState('offline');
    const online = () => {
      if (!socket.connected) {
        setState('reconnecting');
        socket.connect();
      }
    };
    window.addEventListener('offline', offline);
    window.addEventListener('online', online);
    return () => {
      window.removeEventListener('offline', offline);
      window.removeEventListener('online', online);
      clearTimeout(applyTimer);
      refetch.stop();
      socket.disconnect();
      socketRef.current = null;
    };
  }, [apiKey, client]);

  // An admin's tenant pick: join that tenant's room, or reconnect to watch every tenant again.
  // Either way what is on screen is refetched once the room is joined: events before it were missed.
  useEffect(() => {
    const auth = handshake.current;
    if (auth.tenant_id === tenantId) return;
    auth.tenant_id = tenantId;
    const socket = socketRef.current;
    if (!socket?.connected) return; // the next handshake carries the pick (see 'connect')
    if (tenantId)
      socket.emit('subscribe', { tenant_id: tenantId }, (ack) => {
        if (ack.ok) void refetchOnScreen(client);
      });
    else socket.disconnect().connect();
  }, [tenantId, client]);

  return <LiveContext.Provider value={{ ...live, state }}>{children}</LiveContext.Provider>;
}

export function useConnection(): ConnectionState {
  return useContext(LiveContext).state;
}

/** How often a query polls: never while events flow, every 2 s while the socket is down. */
export function usePollInterval(): number | false {
  return useContext(LiveContext).state === 'live' ? false : OFFLINE_POLL_MS;
}

/** Follows one job's events (`subscribe { job_id }`) while the calling page is open. */
export function useFollowJob(jobId: string | undefined): void {
  const { follow } = useContext(LiveContext);
  useEffect(() => (jobId ? follow(jobId) : undefined), [follow, jobId]);
}
