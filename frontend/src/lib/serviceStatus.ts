import { useSyncExternalStore } from 'react';

/** What the banner shows about the service itself, set by the API client as answers arrive. */
export interface ServiceStatus {
  /** The last answer was a 503: its message (the database is down). */
  unavailable: string | null;
  /** A request could not reach the API at all. */
  unreachable: boolean;
  /** A 429 is being waited out until then (epoch ms). */
  rateLimitedUntil: number | null;
}

let state: ServiceStatus = { unavailable: null, unreachable: false, rateLimitedUntil: null };
const listeners = new Set<() => void>();

function update(patch: Partial<ServiceStatus>): void {
  const next = { ...state, ...patch };
  if (
    next.unavailable === state.unavailable &&
    next.unreachable === state.unreachable &&
    next.rateLimitedUntil === state.rateLimitedUntil
  )
    return;
  state = next;
  for (const listener of listeners) listener();
}

export const serviceStatus = {
  get: (): ServiceStatus => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  setUnavailable: (unavailable: string | null) => update({ unavailable }),
  setUnreachable: (unreachable: boolean) => update({ unreachable }),
  setRateLimitedUntil: (rateLimitedUntil: number | null) => update({ rateLimitedUntil }),
  reset: () => update({ unavailable: null, unreachable: false, rateLimitedUntil: null }),
};

export function useServiceStatus(): ServiceStatus {
  return useSyncExternalStore(serviceStatus.subscribe, serviceStatus.get);
}
