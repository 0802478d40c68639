import { useEffect, useState } from 'react';
import { HealthPanel } from '../components/HealthPanel';
import { fetchServiceHealth, type ServiceHealth } from '../services/health';

const REFRESH_MS = 5_000;

export function Overview() {
  const [health, setHealth] = useState<ServiceHealth | null>(null);

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

  return <HealthPanel health={health} />;
}
