import { Injectable, Logger } from '@nestjs/common';
import { NotificationBus } from '../database/notification-bus';
import { hashApiKey } from './api-key-secret';
import { type AuthContext } from './auth-context';
import { AUTH_CHANGED_CHANNEL, AuthRepository } from './auth.repository';

/** Short: a cached entry is also dropped at once by a NOTIFY; the TTL only bounds what a missed one could cost. */
const CACHE_TTL_MS = 30_000;
const CACHE_MAX_ENTRIES = 10_000;
/**
 * Unknown keys are remembered this long, so that repeating one costs no lookup. Short, because a
 * key created meanwhile on another replica (or by create-user) is refused here until it expires.
 */
const MISS_TTL_MS = 5_000;
const MISS_MAX_ENTRIES = 10_000;
/** last_used_at is written at most this often per key: a busy key must not rewrite its row per request. */
const TOUCH_INTERVAL_MS = 60_000;

interface CachedKey {
  auth: AuthContext;
  expiresAt: number;
  /** When last_used_at was last written, as far as this replica knows (ms since the epoch). */
  touchedAt: number;
}

/** What this replica's caches know of a key, without asking the database. */
export type KeyCacheState = 'known' | 'unknown' | 'not cached';

/** Sets `key` in a Map used as a bounded cache, evicting the oldest entry when full. */
function setBounded<V>(map: Map<string, V>, max: number, key: string, value: V): void {
  map.delete(key);
  if (map.size >= max) map.delete(map.keys().next().value!);
  map.set(key, value);
}

type RevokedListener = (revoked: { keyId?: string; tenantId?: string }) => void;

/**
 * Resolves a Bearer key to its tenant and role by sha256 hash, caching hits briefly. Every
 * replica forgets a revoked key (or a changed tenant) when its NOTIFY arrives, and trusts its
 * cache only while its LISTEN connection is up (after a reconnect it starts empty), so a
 * revoked key stops working at once everywhere.
 *
 * Misses are cached too (MISS_TTL_MS), and a lookup only reads: last_used_at is written after a
 * success, at most once a minute per key, so an unknown key costs one read and no write.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly logger = new Logger(ApiKeyAuthenticator.name);
  private readonly cache = new Map<string, CachedKey>();
  private readonly misses = new Map<string, number>();
  private readonly revokedListeners: RevokedListener[] = [];
  /** Counts revocations and tenant changes seen, so that a lookup can tell one happened meanwhile. */
  private forgotten = 0;

  constructor(
    private readonly repository: AuthRepository,
    private readonly bus: NotificationBus,
  ) {
    bus.subscribe(AUTH_CHANGED_CHANNEL, (payload) => this.forget(payload));
    bus.onConnected(() => this.cache.clear());
  }

  /**
   * Called after every (re)connect of the LISTEN connection: revocations sent while it was down
   * were missed, so whoever holds keys beyond a request (open sockets) must check them again.
   */
  onListenerConnected(listener: () => void): void {
    this.bus.onConnected(listener);
  }

  /** The ids among these whose keys are still active (not revoked). */
  activeKeyIds(keyIds: string[]): Promise<string[]> {
    return this.repository.activeKeyIds(keyIds);
  }

  /** Called for every revocation or tenant change seen (the events gateway disconnects sockets). */
  onRevoked(listener: RevokedListener): void {
    this.revokedListeners.push(listener);
  }

  /** Whether the key is a known or a known-unknown one here, at no database cost. */
  peek(key: string): KeyCacheState {
    const keyHash = hashApiKey(key);
    const hit = this.cache.get(keyHash);
    if (hit && hit.expiresAt > Date.now() && this.bus.connected) return 'known';
    const missExpiresAt = this.misses.get(keyHash);
    if (missExpiresAt !== undefined && missExpiresAt > Date.now()) return 'unknown';
    return 'not cached';
  }

  async authenticate(key: string): Promise<AuthContext | null> {
    const keyHash = hashApiKey(key);
    const hit = this.cache.get(keyHash);
    if (hit && hit.expiresAt > Date.now() && this.bus.connected) {
      this.touch(hit);
      return hit.auth;
    }
    this.cache.delete(keyHash);
    const missExpiresAt = this.misses.get(keyHash);
    if (missExpiresAt !== undefined) {
      if (missExpiresAt > Date.now()) return null;
      this.misses.delete(keyHash);
    }
    const forgotten = this.forgotten;
    const found = await this.repository.findActiveKey(keyHash);
    if (!found) {
      setBounded(this.misses, MISS_MAX_ENTRIES, keyHash, Date.now() + MISS_TTL_MS);
      return null;
    }
    const entry: CachedKey = {
      auth: found.auth,
      expiresAt: Date.now() + CACHE_TTL_MS,
      touchedAt: found.lastUsedAt?.getTime() ?? 0,
    };
    // A revocation seen while the lookup was out may have come after the row it read: answer
    // from that read this once, but do not keep it for 30 s.
    if (forgotten === this.forgotten) setBounded(this.cache, CACHE_MAX_ENTRIES, keyHash, entry);
    this.touch(entry);
    return found.auth;
  }

  /**
   * Records a successful use in last_used_at when the last write is a minute old. Not awaited: the
   * request does not wait on bookkeeping, and a failed write is retried on the next use.
   */
  private touch(entry: CachedKey): void {
    const now = Date.now();
    if (now - entry.touchedAt < TOUCH_INTERVAL_MS) return;
    entry.touchedAt = now;
    this.repository.touchKey(entry.auth.keyId).catch((error: Error) => {
      entry.touchedAt = 0;
      this.logger.debug(`last_used_at not written: ${error.message}`);
    });
  }

  /** Drops a revoked key from this replica's cache and tells the listeners (sockets opened with it). */
  forgetKey(keyId: string): void {
    this.forgotten++;
    // By id, as the NOTIFY names it: a scan, but revocations are rare and the cache is bounded.
    for (const [hash, entry] of this.cache) if (entry.auth.keyId === keyId) this.cache.delete(hash);
    for (const listener of this.revokedListeners) listener({ keyId });
  }

  private forget(payload: string): void {
    const [kind, id] = payload.split(':', 2);
    if (kind === 'key') {
      this.forgetKey(id);
    } else if (kind === 'tenant') {
      this.forgotten++;
      for (const [hash, entry] of this.cache) if (entry.auth.tenantId === id) this.cache.delete(hash);
      for (const listener of this.revokedListeners) listener({ tenantId: id });
    }
  }
}
