import { type ServiceHealth } from '../services/health';
import { HealthBadge } from './HealthBadge';

export function HealthPanel({ health }: { health: ServiceHealth | null }) {
  return (
    <section className="panel" aria-labelledby="health-title">
      <h2 id="health-title">Service health</h2>
      {health === null ? (
        <p className="muted">Checking…</p>
      ) : (
        <>
          <dl className="checks">
            <dt>
              API process <code>/health</code>
            </dt>
            <dd>
              <HealthBadge state={health.liveness.state} reason={health.liveness.reason} />
            </dd>
            <dt>
              Database <code>/ready</code>
            </dt>
            <dd>
              <HealthBadge state={health.readiness.state} reason={health.readiness.reason} />
            </dd>
          </dl>
          <p className="muted">Checked at {health.checkedAt.toLocaleTimeString()}</p>
        </>
      )}
    </section>
  );
}
