import { useSyncExternalStore } from 'react';
import { type WhoAmI } from '../services/tenants';
import { configureApi } from './api';

/** Who is signed in. The key lives in sessionStorage: it survives reloads, not closing the tab. */
export interface Session {
  key: string;
  me: WhoAmI;
}

interface SessionState {
  session: Session | null;
  /** Why the last session ended (a refused key), for the sign-in page to say. */
  message: string | null;
}

const STORAGE_KEY = 'conveyor.session';

function restore(): Session | null {
  try {
    const stored = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as Session | null;
    return stored && typeof stored.key === 'string' && stored.me ? stored : null;
  } catch {
    return null;
  }
}

let state: SessionState = { session: restore(), message: null };
const listeners = new Set<() => void>();
const endListeners = new Set<() => void>();

function set(next: SessionState): void {
  state = next;
  configureApi(next.session?.key ?? null, (message) =>
    sessionStore.signOut(`The API refused the key: ${message}. Sign in again.`),
  );
  for (const listener of listeners) listener();
}
set(state);

export const sessionStore = {
  get: (): SessionState => state,
  subscribe(listener: () => void): () => void {
    listeners.add(listener);
    return () => listeners.delete(listener);
  },
  /** Called when a session ends, to drop everything cached under the old key. */
  onEnd(listener: () => void): () => void {
    endListeners.add(listener);
    return () => endListeners.delete(listener);
  },
  signIn(session: Session): void {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(session));
    set({ session, message: null });
  },
  /** Refreshes who the key belongs to (a tenant renamed) without ending the session. */
  update(me: WhoAmI): void {
    if (!state.session) return;
    sessionStore.signIn({ ...state.session, me });
  },
  signOut(message: string | null = null): void {
    if (!state.session && message === state.message) return;
    sessionStorage.removeItem(STORAGE_KEY);
    set({ session: null, message });
    for (const listener of endListeners) listener();
  },
};

export function useSessionState(): SessionState {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get);
}

/** The session of a page inside the signed-in layout (which renders nothing without one). */
export function useSession(): Session {
  const { session } = useSessionState();
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}
