import { Injectable } from '@nestjs/common';
import { NotificationBus } from '../database/notification-bus';
import { hashApiKey } from './api-key-secret';
import { type AuthContext } from './auth-context';
import { AUTH_CHANGED_CHANNEL, AuthRepository } from './auth.repository';

/** Short: a cached entry is also dropped at once by a NOTIFY; the TTL only bounds what a missed one could cost. */
const CACHE_TTL_MS = 30_000;
const CACHE_MAX_ENTRIES = 10_000;

type RevokedListener = (revoked: { keyId?: string; tenantId?: string }) => void;

/**
 * Resolves a Bearer key to its tenant and role by sha256 hash, caching hits briefly. Every
 * replica forgets a revoked key (or a changed tenant) when its NOTIFY arrives, and trusts its
 * cache only while its LISTEN connection is up (after a reconnect it starts empty), so a
 * revoked key stops working at once everywhere.
 */
@Injectable()
export class ApiKeyAuthenticator {
  private readonly cache = new Map<string, { auth: AuthContext; expiresAt: number }>();
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

  /** Called for every revocation or tenant change seen (the events gateway disconnects sockets). */
  onRevoked(listener: RevokedListener): void {
    this.revokedListeners.push(listener);
  }

  async authenticate(key: string): Promise<AuthContext | null> {
    const keyHash = hashApiKey(key);
    const hit = this.cache.get(keyHash);
    if (hit && hit.expiresAt > Date.now() && this.bus.connected) return hit.auth;
    this.cache.delete(keyHash);
    const forgotten = this.forgotten;
    const auth = await this.repository.findActiveKey(keyHash);
    // A revocation seen while the lookup was out may have come after the row it read: answer
    // from that read this once, but do not keep it for 30 s.
    if (auth && forgotten === this.forgotten) {
      if (this.cache.size >= CACHE_MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(keyHash, { auth, expiresAt: Date.now() + CACHE_TTL_MS });
    }
    return auth;
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
