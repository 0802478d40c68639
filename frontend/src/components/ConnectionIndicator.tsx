import { type ConnectionState } from '../lib/socket';

const LABELS: Record<ConnectionState, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
  refused: 'Key refused',
};

const TITLES: Record<ConnectionState, string> = {
  connecting: 'Opening the live connection',
  live: 'Changes arrive as they happen',
  reconnecting: 'The live connection dropped: pages refresh every 2 s until it is back',
  offline: 'No connection: pages refresh every 2 s and catch up once it is back',
  refused: 'The API refused this key for live events',
};

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <span
      className={`connection connection-${state}`}
      role="status"
      aria-label="live connection"
      title={TITLES[state]}
    >
      {LABELS[state]}
    </span>
  );
}
