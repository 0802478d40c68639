import { Counter, register } from 'prom-client';

export const RATE_LIMIT_REFUSALS_METRIC = 'conveyor_rate_limit_refusals_total';

/**
 * Requests refused with a 429, per tenant, on the default registry. Looked up before it is made:
 * a second Nest app in one process (tests) must reuse it, as prom-client refuses a name twice.
 */
export function rateLimitRefusals(): Counter<'tenant_id'> {
  return (
    (register.getSingleMetric(RATE_LIMIT_REFUSALS_METRIC) as Counter<'tenant_id'> | undefined) ??
    new Counter({
      name: RATE_LIMIT_REFUSALS_METRIC,
      help: 'Requests refused with 429 because the tenant had no rate-limit tokens left',
      labelNames: ['tenant_id'],
    })
  );
}
