import { useEffect, useState } from 'react';
import { ConnectionIndicator } from '../components/ConnectionIndicator';
import { HealthPanel } from '../components/HealthPanel';
import { SummaryCounters } from '../components/SummaryCounters';
import { connectEvents, type ConnectionState } from '../lib/socket';
import { fetchServiceHealth, type ServiceHealth } from '../services/health';
import { fetchSummary, type MetricsSummary } from '../services/summary';

const REFRESH_MS = 5_000;

export function Overview({ apiKey }: { apiKey: string }) {
  const [health, setHealth] = useState<ServiceHealth | null>(null);
  const [summary, setSummary] = useState<MetricsSummary | null>(null);
  const [connection, setConnection] = useState<ConnectionState>('connecting');

  useEffect(() => {
    let active = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The next poll is scheduled once this one has answered, so a slow API never gets overlapping checks.
    const poll = async () => {
      const next = await fetchServiceHealth();
      if (!active) return;
      setHealth(next);
      timer = setTimeout(() => void poll(), REFRESH_MS);
    };
    void poll();
    return () => {
      active = false;
      clearTimeout(timer);
    };
  }, []);

  useEffect(() => {
    let active = true;
    const refetch = () =>
      fetchSummary(apiKey).then(
        (next) => active && setSummary(next),
        () => undefined,
      );
    const socket = connectEvents(apiKey, (state) => active && setConnection(state));
    // The socket only pushes changes: fetch the current state on (re)connect and on resync.
    socket.on('connect', () => void refetch());
    socket.on('resync', () => void refetch());
    socket.on('metrics.summary', (event) => active && setSummary(event.summary));
    return () => {
      active = false;
      socket.disconnect();
    };
  }, [apiKey]);

  return (
    <>
      <ConnectionIndicator state={connection} />
      <SummaryCounters summary={summary} />
      <HealthPanel health={health} />
    </>
  );
}
