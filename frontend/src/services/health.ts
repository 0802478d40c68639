import { useQuery } from '@tanstack/react-query';
import { queryKeys } from './queryKeys';
/** GET /health: 200 while the API process lives. */
export interface LivenessResponse {
  status: 'ok';
}

/** GET /ready: 200 when the database answers, 503 with the reason when it does not. */
export interface ReadinessResponse {
  status: 'ready' | 'unavailable';
  reason?: string;
}

/** One check as the UI shows it. `unreachable`: no answer, or one the API never gives (a proxy's 502). */
export type CheckState = 'up' | 'unavailable' | 'unreachable';

export interface CheckResult {
  state: CheckState;
  reason?: string;
}

export interface ServiceHealth {
  liveness: CheckResult;
  readiness: CheckResult;
  checkedAt: Date;
}

// Longer than any healthy answer, shorter than the refresh interval, so polls never pile up.
const REQUEST_TIMEOUT_MS = 3_000;

const unexpected = (status: number): CheckResult => ({
  state: 'unreachable',
  reason: `unexpected answer ${status}`,
});

export function toLiveness(status: number, body: Partial<LivenessResponse> | null): CheckResult {
  return status === 200 && body?.status === 'ok' ? { state: 'up' } : unexpected(status);
}

export function toReadiness(status: number, body: Partial<ReadinessResponse> | null): CheckResult {
  if (status === 200 && body?.status === 'ready') return { state: 'up' };
  if (status === 503) return { state: 'unavailable', reason: body?.reason ?? 'not ready' };
  return unexpected(status);
}

async function check<T>(
  url: string,
  toResult: (status: number, body: Partial<T> | null) => CheckResult,
): Promise<CheckResult> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    const body = (await response.json().catch(() => null)) as Partial<T> | null;
    return toResult(response.status, body);
  } catch (error) {
    return { state: 'unreachable', reason: (error as Error).message };
  }
}

export const fetchLiveness = (baseUrl = ''): Promise<CheckResult> =>
  check<LivenessResponse>(`${baseUrl}/health`, toLiveness);

export const fetchReadiness = (baseUrl = ''): Promise<CheckResult> =>
  check<ReadinessResponse>(`${baseUrl}/ready`, toReadiness);

export async function fetchServiceHealth(baseUrl = ''): Promise<ServiceHealth> {
  const [liveness, readiness] = await Promise.all([fetchLiveness(baseUrl), fetchReadiness(baseUrl)]);
  return { liveness, readiness, checkedAt: new Date() };
}

/** Health is the API's own state, not job data: checked on a slow clock, socket or not. */
const HEALTH_EVERY_MS = 10_000;

/** /health and /ready, shared by the layout (the banner) and the overview (the panel). */
export const useHealth = () =>
  useQuery({
    queryKey: queryKeys.health,
    queryFn: () => fetchServiceHealth(),
    refetchInterval: HEALTH_EVERY_MS,
  });
