import { type ConnectionState } from '../lib/socket';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  refused: 'Key refused',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span className={`connection connection-${state}`} role="status" aria-label="live connection">
      {LABELS[state]}
    </span>
  );
}
