import {
  PLAIN_EVENT_NAMES,
  type PlainJobEventMessage,
  type PlainResyncMessage,
  type ResyncEvent,
} from '../../../contracts/src/event-map';
import { type SequencedEvent } from './event-batch';

/** The plain transports' message for a job event: `{"event": "job_started", "job_id": …}`, serialised once. */
export function plainJsonOf(item: SequencedEvent): string {
  if (item.plainJson === undefined) {
    const { type, ...fields } = item.event;
    const message: PlainJobEventMessage = { event: PLAIN_EVENT_NAMES[type], ...fields };
    item.plainJson = JSON.stringify(message);
  }
  return item.plainJson;
}

export function plainResyncJson(event: ResyncEvent): string {
  const message: PlainResyncMessage = { event: 'resync', ...event };
  return JSON.stringify(message);
}

/** One SSE event. The JSON holds no newline, so one `data:` line carries it. */
export function sseFrame(id: string, name: string, json: string): string {
  return `id: ${id}\nevent: ${name}\ndata: ${json}\n\n`;
}

export function sseFrameOf(item: SequencedEvent): string {
  return sseFrame(item.id, PLAIN_EVENT_NAMES[item.event.type], plainJsonOf(item));
}
