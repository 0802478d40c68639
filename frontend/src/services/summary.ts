import { type MetricsSummary } from '@conveyor/contracts';

export type { MetricsSummary };

export const summaryQueryKeys = { summary: ['jobs', 'metrics', 'summary'] } as const;

/** GET /api/v1/jobs/metrics/summary for the caller's tenant (all tenants for an admin key). */
export async function fetchSummary(apiKey: string): Promise<MetricsSummary> {
  const response = await fetch('/api/v1/jobs/metrics/summary', {
    headers: { Authorization: `Bearer ${apiKey}` },
  });
  if (!response.ok) throw new Error(`summary: HTTP ${response.status}`);
  return (await response.json()) as MetricsSummary;
}
