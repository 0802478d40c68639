export type ServiceState = 'ready' | 'unavailable' | 'unreachable';

export interface ServiceHealth {
  state: ServiceState;
  reason?: string;
}

interface ReadinessBody {
  status?: string;
  reason?: string;
}

export const queryKeys = {
  readiness: ['health', 'readiness'] as const,
};

/** Maps /ready to the UI's state: 200 ready, 503 unavailable (with the server's reason), else unreachable. */
export function toServiceHealth(status: number, body: ReadinessBody | null): ServiceHealth {
  if (status === 200 && body?.status === 'ready') return { state: 'ready' };
  if (status === 503) return { state: 'unavailable', reason: body?.reason ?? 'not ready' };
  return { state: 'unreachable', reason: `unexpected answer ${status}` };
}

export async function fetchReadiness(baseUrl = ''): Promise<ServiceHealth> {
  try {
    const response = await fetch(`${baseUrl}/ready`);
    const body = (await response.json().catch(() => null)) as ReadinessBody | null;
    return toServiceHealth(response.status, body);
  } catch (error) {
    return { state: 'unreachable', reason: (error as Error).message };
  }
}
