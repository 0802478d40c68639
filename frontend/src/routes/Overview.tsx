import { useEffect, useState } from 'react';
import { StatusBadge } from '../components/StatusBadge';
import { fetchReadiness, type ServiceHealth } from '../services/health';

const REFRESH_MS = 5_000;

export function Overview() {
  const [health, setHealth] = useState<ServiceHealth | null>(null);

  useEffect(() => {
    let active = true;
    const load = () => void fetchReadiness().then((next) => active && setHealth(next));
    load();
    const timer = setInterval(load, REFRESH_MS);
    return () => {
      active = false;
      clearInterval(timer);
    };
  }, []);

  return (
    <section className="panel">
      <h2>Service</h2>
      {health ? <StatusBadge state={health.state} reason={health.reason} /> : <p>Checking…</p>}
    </section>
  );
}
