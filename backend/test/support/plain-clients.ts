import { request as httpRequest, type IncomingHttpHeaders, type ClientRequest } from 'node:http';
import { WebSocket } from 'ws';
import {
  EVENT_STREAM_PATH,
  type PlainEventMessage,
  type PlainJobEventMessage,
  PLAIN_WEBSOCKET_PATH,
} from '../../../contracts/src/event-map';

/** A real `ws` client of /ws that records every message and how the socket closed. */
export interface PlainSocket {
  socket: WebSocket;
  messages: PlainEventMessage[];
  /** Resolves once the handshake is done (a refused key is accepted, then closed). */
  opened: Promise<void>;
  closed: Promise<{ code: number; reason: string }>;
}

export interface PlainSocketOptions {
  /** Sent as `Authorization: Bearer <key>`. */
  bearer?: string;
  /** Sent as `?token=`. */
  token?: string;
  tenantId?: string;
}

/** Opens /ws with a real `ws` client, kept in `opened` so that a test can close them all. */
export function connectPlainSocket(
  baseUrl: string,
  options: PlainSocketOptions,
  opened: PlainSocket[],
): PlainSocket {
  const url = new URL(PLAIN_WEBSOCKET_PATH, baseUrl.replace(/^http/, 'ws'));
  if (options.token !== undefined) url.searchParams.set('token', options.token);
  if (options.tenantId !== undefined) url.searchParams.set('tenant_id', options.tenantId);
  const socket = new WebSocket(url, {
    headers: options.bearer !== undefined ? { Authorization: `Bearer ${options.bearer}` } : {},
  });
  const messages: PlainEventMessage[] = [];
  socket.on('message', (data) => messages.push(JSON.parse(data.toString()) as PlainEventMessage));
  const plain: PlainSocket = {
    socket,
    messages,
    opened: new Promise((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    }),
    closed: new Promise((resolve) =>
      socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    ),
  };
  opened.push(plain);
  return plain;
}

/** The job events among a plain client's messages. */
export const jobMessagesOf = (messages: Array<PlainEventMessage>): PlainJobEventMessage[] =>
  messages.filter((message): message is PlainJobEventMessage => message.event !== 'resync');

/** One SSE event as received. */
export interface SseEvent {
  id?: string;
  event: string;
  data: PlainEventMessage;
}

/** An SSE stream read with node's http client, parsed as it arrives. */
export interface EventStream {
  status: number;
  headers: IncomingHttpHeaders;
  events: SseEvent[];
  comments: string[];
  /** The raw text of a refusal (status ≠ 200). */
  body: string;
  /** Resolves when the server ends the stream. */
  ended: Promise<void>;
  close(): void;
}

export interface EventStreamOptions {
  bearer?: string;
  lastEventId?: string;
  query?: string;
}

/**
 * GET /api/v1/events, resolved once the headers are in (a refusal: once its body is). Kept in
 * `opened` so that a test can close them all.
 */
export function openEventStream(
  baseUrl: string,
  options: EventStreamOptions,
  opened: EventStream[],
): Promise<EventStream> {
  const headers: Record<string, string> = { Accept: 'text/event-stream' };
  if (options.bearer !== undefined) headers.Authorization = `Bearer ${options.bearer}`;
  if (options.lastEventId !== undefined) headers['Last-Event-ID'] = options.lastEventId;
  return new Promise((resolve, reject) => {
    const request: ClientRequest = httpRequest(
      new URL(`${EVENT_STREAM_PATH}${options.query ?? ''}`, baseUrl),
      { headers },
      (response) => {
        response.setEncoding('utf8');
        let buffered = '';
        let endedResolve: () => void = () => undefined;
        const stream: EventStream = {
          status: response.statusCode ?? 0,
          headers: response.headers,
          events: [],
          comments: [],
          body: '',
          ended: new Promise<void>((done) => (endedResolve = done)),
          close: () => request.destroy(),
        };
        opened.push(stream);
        response.on('end', () => endedResolve());
        response.on('close', () => endedResolve());
        response.on('error', () => endedResolve());
        if (stream.status !== 200) {
          response.on('data', (chunk: string) => (stream.body += chunk));
          response.on('end', () => resolve(stream));
          return;
        }
        response.on('data', (chunk: string) => {
          buffered += chunk;
          let end: number;
          while ((end = buffered.indexOf('\n\n')) >= 0) {
            parseBlock(stream, buffered.slice(0, end));
            buffered = buffered.slice(end + 2);
          }
        });
        resolve(stream);
      },
    );
    request.on('error', reject);
    request.end();
  });
}

function parseBlock(stream: EventStream, block: string): void {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
    else {
      const colon = line.indexOf(':');
      fields[line.slice(0, colon)] = line.slice(colon + 1).replace(/^ /, '');
    }
  }
  if (fields.data !== undefined)
    stream.events.push({ id: fields.id, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
}
