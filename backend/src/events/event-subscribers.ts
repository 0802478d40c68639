import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnModuleInit,
} from '@nestjs/common';
import { ApiKeyAuthenticator } from '../auth/api-key-authenticator';
import { tenantScope } from '../auth/auth-context';
import { AppConfig } from '../config/app-config';
import { ADMIN_ROOM, isTenantRoom, tenantRoom } from './event-rooms';
import { type EventSubscriber } from './event-subscriber';

/**
 * Every live-event connection of this replica, whatever its transport, and the rooms it is in:
 * the fan-out delivers to rooms from here, so socket.io, the plain WebSocket and SSE share one
 * fan-out, one coalescing per room, one connection cap per key and one revocation rule.
 */
@Injectable()
export class EventSubscribers implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger(EventSubscribers.name);
  private readonly subscribers = new Set<EventSubscriber>();
  private readonly rooms = new Map<string, Set<EventSubscriber>>();
  /** Open connections per API key on this replica, all transports together (EVENTS_MAX_SOCKETS_PER_KEY). */
  private readonly openByKey = new Map<string, number>();

  constructor(
    private readonly authenticator: ApiKeyAuthenticator,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    this.authenticator.onRevoked(({ keyId }) => {
      if (!keyId) return;
      for (const subscriber of this.subscribers)
        if (subscriber.auth.keyId === keyId) subscriber.close('revoked');
    });
    // A revocation NOTIFY sent while the listener was down never arrives: check every open
    // connection's key again each time the listener is back.
    this.authenticator.onListenerConnected(() => {
      this.recheckKeys().catch((error: Error) =>
        this.logger.warn(`could not re-check the keys of open event connections: ${error.message}`),
      );
    });
  }

  /** Ends every connection before the HTTP server closes: it would otherwise wait for them. */
  beforeApplicationShutdown(): void {
    for (const subscriber of this.subscribers) subscriber.close('shutdown');
  }

  get maxPerKey(): number {
    return this.config.EVENTS_MAX_SOCKETS_PER_KEY;
  }

  /** Counts the subscriber against its key; false (and nothing kept) when the key is at its cap. */
  add(subscriber: EventSubscriber): boolean {
    const { keyId } = subscriber.auth;
    const open = this.openByKey.get(keyId) ?? 0;
    if (open >= this.maxPerKey) return false;
    this.openByKey.set(keyId, open + 1);
    this.subscribers.add(subscriber);
    return true;
  }

  /** Forgets a closed subscriber; a second call does nothing. */
  remove(subscriber: EventSubscriber): void {
    if (!this.subscribers.delete(subscriber)) return;
    for (const room of [...subscriber.rooms]) this.leave(subscriber, room);
    const { keyId } = subscriber.auth;
    const left = (this.openByKey.get(keyId) ?? 1) - 1;
    if (left > 0) this.openByKey.set(keyId, left);
    else this.openByKey.delete(keyId);
  }

  join(subscriber: EventSubscriber, room: string): void {
    if (!this.subscribers.has(subscriber)) return;
    subscriber.rooms.add(room);
    let members = this.rooms.get(room);
    if (!members) this.rooms.set(room, (members = new Set()));
    members.add(subscriber);
  }

  leave(subscriber: EventSubscriber, room: string): void {
    subscriber.rooms.delete(room);
    const members = this.rooms.get(room);
    if (!members) return;
    members.delete(subscriber);
    if (members.size === 0) this.rooms.delete(room);
  }

  /**
   * The events a connection gets: its tenant's for a tenant key (a tenant_id asked for is
   * ignored, as on the REST API); for an admin key one tenant's when it names one, else every
   * tenant's. Replaces any scope it had.
   */
  scope(subscriber: EventSubscriber, tenantId?: string): void {
    for (const room of [...subscriber.rooms])
      if (room === ADMIN_ROOM || isTenantRoom(room)) this.leave(subscriber, room);
    const scope = tenantScope(subscriber.auth, tenantId);
    this.join(subscriber, scope === null ? ADMIN_ROOM : tenantRoom(scope));
  }

  /** Whether this subscriber gets the tenant's events (its tenant's room, or all of them). */
  sees(subscriber: EventSubscriber, tenantId: string): boolean {
    return subscriber.rooms.has(ADMIN_ROOM) || subscriber.rooms.has(tenantRoom(tenantId));
  }

  has(room: string): boolean {
    return this.rooms.has(room);
  }

  members(room: string): ReadonlySet<EventSubscriber> | undefined {
    return this.rooms.get(room);
  }

  all(): ReadonlySet<EventSubscriber> {
    return this.subscribers;
  }

  private async recheckKeys(): Promise<void> {
    const keyIds = new Set<string>();
    for (const subscriber of this.subscribers) keyIds.add(subscriber.auth.keyId);
    if (keyIds.size === 0) return;
    const active = new Set(await this.authenticator.activeKeyIds([...keyIds]));
    for (const subscriber of this.subscribers)
      if (!active.has(subscriber.auth.keyId)) subscriber.close('revoked');
  }
}
