import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { NotificationBus } from '../database/notification-bus';
import { JobStatsService } from '../jobs/job-stats.service';
import { JOB_EVENTS_CHANNEL } from '../queue/queue.sql';
import { type JobEvent, type ResyncEvent } from '../../../contracts/src/event-map';
import { ADMIN_ROOM, EventsGateway, type EventsSocket, jobRoom, tenantRoom } from './events.gateway';
import { jobEventsOf, parseNotification } from './job-event-mapper';
import { RoomCoalescer } from './room-coalescer';

/**
 * A socket whose transport buffer holds more packets than this is slow: its frames lose their
 * progress events first; past DROP_ALL_ABOVE it gets nothing until it drains, then a resync.
 * Together they bound what a slow client can make the server hold.
 */
const DROP_PROGRESS_ABOVE = 64;
const DROP_ALL_ABOVE = 256;
const SUMMARY_INTERVAL_MS = 1_000;

/**
 * Packets engine.io holds for a socket that its transport has not written yet. engine.io
 * declares writeBuffer private but offers no public measure of backlog; pinned versions and the
 * slow-consumer test keep this honest.
 */
function bufferedPackets(socket: EventsSocket): number {
  return (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length;
}

/**
 * From PostgreSQL to sockets: every job-event notification this replica hears (from any
 * worker, through its own LISTEN) becomes typed events, coalesced per room and sent to the
 * tenant's room, the admins' room and the job's room; each changed tenant also gets a
 * metrics.summary at most once a second.
 */
@Injectable()
export class EventFanout implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger(EventFanout.name);
  private readonly coalescer: RoomCoalescer;
  private readonly summaryTimers = new Map<string, NodeJS.Timeout>();
  private readonly summarySentAt = new Map<string, number>();
  private connectedBefore = false;

  constructor(
    private readonly bus: NotificationBus,
    private readonly gateway: EventsGateway,
    private readonly stats: JobStatsService,
    config: AppConfig,
  ) {
    this.coalescer = new RoomCoalescer(
      config.EVENTS_FLUSH_MS,
      config.EVENTS_FRAMES_PER_FLUSH,
      (room, batch) => this.deliver(room, batch),
    );
  }

  onModuleInit(): void {
    this.bus.subscribe(JOB_EVENTS_CHANNEL, (payload) => this.onNotification(payload));
    this.bus.onConnected(() => {
      // Whatever was committed while we were not listening is lost: clients must refetch.
      if (this.connectedBefore) this.resyncAll({ reason: 'listener-reconnected' });
      this.connectedBefore = true;
    });
  }

  onApplicationShutdown(): void {
    this.coalescer.stop();
    for (const timer of this.summaryTimers.values()) clearTimeout(timer);
  }

  private get rooms(): Map<string, Set<string>> {
    return this.gateway.server.adapter.rooms;
  }

  private onNotification(payload: string): void {
    const notification = parseNotification(payload);
    if (!notification) return this.logger.warn('ignored a malformed job-event notification');
    const tenants = new Set<string>();
    for (const event of jobEventsOf(notification)) {
      tenants.add(event.tenant_id);
      for (const room of [tenantRoom(event.tenant_id), ADMIN_ROOM, jobRoom(event.job_id)])
        if (this.rooms.has(room)) this.coalescer.push(room, event);
    }
    for (const tenantId of tenants) if (this.rooms.has(tenantRoom(tenantId))) this.scheduleSummary(tenantId);
    if (this.rooms.has(ADMIN_ROOM)) this.scheduleSummary(null);
  }

  private deliver(room: string, batch: JobEvent[]): void {
    const members = this.rooms.get(room);
    if (!members) return;
    const tenantId = batch[0].tenant_id;
    for (const id of members) {
      const socket = this.gateway.server.sockets.get(id);
      if (!socket) continue;
      // A job room's events also reach its tenant's and the admins' rooms: send them once.
      if (room.startsWith('job:') && (socket.rooms.has(tenantRoom(tenantId)) || socket.rooms.has(ADMIN_ROOM)))
        continue;
      this.send(socket, batch);
    }
  }

  private send(socket: EventsSocket, batch: JobEvent[]): void {
    const buffered = bufferedPackets(socket);
    if (buffered > DROP_ALL_ABOVE) {
      socket.data.dropping = true;
      return;
    }
    if (socket.data.dropping) {
      if (buffered > DROP_PROGRESS_ABOVE) return;
      socket.data.dropping = false;
      socket.emit('resync', { reason: 'slow-consumer' });
    }
    const frame =
      buffered > DROP_PROGRESS_ABOVE ? batch.filter((event) => event.type !== 'job.progress') : batch;
    if (frame.length > 0) socket.emit('events', frame);
  }

  private resyncAll(event: ResyncEvent): void {
    this.gateway.server.emit('resync', event);
  }

  /** At most one summary a second per tenant (null: all tenants, for the admins' room). */
  private scheduleSummary(tenantId: string | null): void {
    const key = tenantId ?? '*';
    if (this.summaryTimers.has(key)) return;
    const wait = Math.max(0, (this.summarySentAt.get(key) ?? 0) + SUMMARY_INTERVAL_MS - Date.now());
    this.summaryTimers.set(
      key,
      setTimeout(() => {
        this.summarySentAt.set(key, Date.now());
        this.stats
          .summaryOf(tenantId)
          .then((summary) => {
            this.summaryTimers.delete(key);
            const event = {
              type: 'metrics.summary' as const,
              tenant_id: tenantId,
              summary,
              at: new Date().toISOString(),
            };
            // A slow socket is skipped like its job frames are: the next summary supersedes this one.
            for (const id of this.rooms.get(tenantId ? tenantRoom(tenantId) : ADMIN_ROOM) ?? []) {
              const socket = this.gateway.server.sockets.get(id);
              if (socket && bufferedPackets(socket) <= DROP_ALL_ABOVE) socket.emit('metrics.summary', event);
            }
          })
          .catch((error: Error) => {
            this.summaryTimers.delete(key);
            this.logger.warn(`metrics.summary for ${key} failed: ${error.message}`);
          });
      }, wait),
    );
  }
}
