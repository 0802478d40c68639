import { type CheckState } from '../services/health';

const LABELS: Record<CheckState, string> = {
  up: 'Up',
  unavailable: 'Unavailable',
  unreachable: 'Unreachable',
};

export function HealthBadge({ state, reason }: { state: CheckState; reason?: string }) {
  return (
    <span className={`badge badge-${state}`} role="status" title={reason}>
      {LABELS[state]}
      {reason && <small className="badge-reason">{reason}</small>}
    </span>
  );
}
