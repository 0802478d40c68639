import { type ServiceState } from '../services/health';

const LABELS: Record<ServiceState, string> = {
  ready: 'Ready',
  unavailable: 'Database unavailable',
  unreachable: 'API unreachable',
};

export function StatusBadge({ state, reason }: { state: ServiceState; reason?: string }) {
  return (
    <span className={`badge badge-${state}`} role="status" title={reason}>
      {LABELS[state]}
      {reason && <small className="badge-reason">{reason}</small>}
    </span>
  );
}
