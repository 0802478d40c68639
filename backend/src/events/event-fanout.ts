import { Injectable, Logger, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { NotificationBus } from '../database/notification-bus';
import { JobStatsService } from '../jobs/job-stats.service';
import { JOB_EVENTS_CHANNEL } from '../queue/queue.sql';
import { type MetricsSummaryEvent, type ResyncEvent } from '../../../contracts/src/event-map';
import { EventBatch, type SequencedEvent } from './event-batch';
import { EventReplayWindow } from './event-replay-window';
import { ADMIN_ROOM, isJobRoom, jobRoom, tenantRoom } from './event-rooms';
import { offer } from './event-subscriber';
import { EventSubscribers } from './event-subscribers';
import { jobEventsOf, parseNotification } from './job-event-mapper';
import { RoomCoalescer } from './room-coalescer';

const SUMMARY_INTERVAL_MS = 1_000;

/**
 * From PostgreSQL to every live-event connection: each job-event notification this replica hears
 * (from any worker, through its own LISTEN) becomes numbered events, kept in the replay window,
 * coalesced per room and offered to the subscribers of the tenant's room, the admins' room and
 * the job's room, whatever their transport; each changed tenant also gets a metrics.summary at
 * most once a second where a transport carries it.
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
    private readonly subscribers: EventSubscribers,
    private readonly replay: EventReplayWindow,
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

  private onNotification(payload: string): void {
    const notification = parseNotification(payload);
    if (!notification) return this.logger.warn('ignored a malformed job-event notification');
    const tenants = new Set<string>();
    for (const event of jobEventsOf(notification)) {
      // Numbered and kept whether or not anyone listens now: a client may reconnect for it.
      const item = this.replay.record(event);
      tenants.add(event.tenant_id);
      for (const room of [tenantRoom(event.tenant_id), ADMIN_ROOM, jobRoom(event.job_id)])
        if (this.subscribers.has(room)) this.coalescer.push(room, item);
    }
    for (const tenantId of tenants)
      if (this.wantsSummaries(tenantRoom(tenantId))) this.scheduleSummary(tenantId);
    if (this.wantsSummaries(ADMIN_ROOM)) this.scheduleSummary(null);
  }

  private deliver(room: string, items: SequencedEvent[]): void {
    const members = this.subscribers.members(room);
    if (!members) return;
    const batch = new EventBatch(items);
    const tenantId = items[0].event.tenant_id;
    for (const subscriber of members) {
      // A job room's events also reach its tenant's and the admins' rooms: send them once.
      if (isJobRoom(room) && this.subscribers.sees(subscriber, tenantId)) continue;
      offer(subscriber, batch);
    }
  }

  private resyncAll(event: ResyncEvent): void {
    this.replay.breakContinuity();
    for (const subscriber of this.subscribers.all()) subscriber.sendResync(event);
  }

  private wantsSummaries(room: string): boolean {
    for (const subscriber of this.subscribers.members(room) ?? []) if (subscriber.sendSummary) return true;
    return false;
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
            this.sendSummary({
              type: 'metrics.summary',
              tenant_id: tenantId,
              summary,
              at: new Date().toISOString(),
            });
          })
          .catch((error: Error) => {
            this.summaryTimers.delete(key);
            this.logger.warn(`metrics.summary for ${key} failed: ${error.message}`);
          });
      }, wait),
    );
  }

  private sendSummary(event: MetricsSummaryEvent): void {
    const room = event.tenant_id ? tenantRoom(event.tenant_id) : ADMIN_ROOM;
    // A stalled subscriber is skipped like its job frames are: the next summary supersedes this one.
    for (const subscriber of this.subscribers.members(room) ?? [])
      if (subscriber.sendSummary && subscriber.backlog() !== 'stalled') subscriber.sendSummary(event);
  }
}
