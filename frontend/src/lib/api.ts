import { serviceStatus } from './serviceStatus';

/** The API's one error shape (`statusCode`, `error`, `message`, `details`). */
export interface ApiErrorBody {
  statusCode: number;
  error: string;
  message: string;
  details?: Array<{ field?: string; message: string; index?: number }>;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiErrorBody | null,
  ) {
    super(body?.message ?? `HTTP ${status}`);
    this.name = 'ApiError';
  }

  /** `details[].message` by the field it names (the first message per field). */
  fieldMessages(): Record<string, string> {
    const byField: Record<string, string> = {};
    for (const detail of this.body?.details ?? [])
      if (detail.field && !(detail.field in byField)) byField[detail.field] = detail.message;
    return byField;
  }
}

export type Query = Record<string, string | number | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as multipart/form-data instead of `body`. */
  form?: FormData;
  headers?: Record<string, string>;
  /** Who to ask: the signed-in key unless given (the sign-in form tries a key before keeping it). */
  apiKey?: string;
}

/** A 429 is retried after its Retry-After at most this often, so a page never waits forever. */
const MAX_RATE_LIMIT_RETRIES = 3;
const MAX_RETRY_AFTER_S = 30;

let currentKey: string | null = null;
let onUnauthorized: (message: string) => void = () => undefined;

/** The session tells the client which key to send and what to do when it is refused. */
export function configureApi(key: string | null, unauthorized: (message: string) => void): void {
  currentKey = key;
  onUnauthorized = unauthorized;
}

export function withQuery(path: string, query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query))
    if (value !== undefined && value !== null && value !== '') params.set(name, String(value));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Requests now waiting out a 429, and the latest moment one of them will try again. */
let rateLimited = 0;
let rateLimitedUntil = 0;

/**
 * Every API call of the dashboard. A 401 signs out (the key was revoked or is wrong); a 429 waits
 * for Retry-After and tries again, saying so in the banner; a 503 (the database is down) is shown
 * in the banner and thrown, so the query retries it.
 */
export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const key = options.apiKey ?? currentKey;
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  if (key) headers.Authorization = `Bearer ${key}`;
  let body: BodyInit | undefined;
  if (options.form) body = options.form;
  else if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  for (let attempt = 0; ; attempt++) {
    let response: Response;
    try {
      response = await fetch(withQuery(path, options.query), { method, headers, body });
    } catch (error) {
      serviceStatus.setUnreachable(true);
      throw error;
    }
    serviceStatus.setUnreachable(false);
    const parsed = (await response.json().catch(() => null)) as unknown;
    if (response.status === 429 && attempt < MAX_RATE_LIMIT_RETRIES) {
      const seconds = Math.min(
        MAX_RETRY_AFTER_S,
        Math.max(1, Number(response.headers.get('Retry-After')) || 1),
      );
      // The banner counts down to the last retry among those waiting, and goes when none waits.
      rateLimited++;
      rateLimitedUntil = Math.max(rateLimitedUntil, Date.now() + seconds * 1000);
      serviceStatus.setRateLimitedUntil(rateLimitedUntil);
      await sleep(seconds * 1000);
      if (--rateLimited === 0) {
        rateLimitedUntil = 0;
        serviceStatus.setRateLimitedUntil(null);
      }
      if (key !== (options.apiKey ?? currentKey)) throw new Error('signed out while waiting');
      continue;
    }
    serviceStatus.setUnavailable(
      response.status === 503 ? ((parsed as ApiErrorBody)?.message ?? 'unavailable') : null,
    );
    if (response.ok) return parsed as T;
    const error = new ApiError(response.status, parsed as ApiErrorBody | null);
    // Only the key in use now can end the session: an answer to a request of an earlier key cannot.
    if (response.status === 401 && options.apiKey === undefined && key === currentKey)
      onUnauthorized(error.message);
    throw error;
  }
}
