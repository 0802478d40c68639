import { useSyncExternalStore } from 'react';

/** One clock for every relative time on the page, ticking every 10 s (not one timer per row). */
const TICK_MS = 10_000;
let now = Date.now();
const listeners = new Set<() => void>();
let timer: ReturnType<typeof setInterval> | undefined;

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  timer ??= setInterval(() => {
    now = Date.now();
    for (const l of listeners) l();
  }, TICK_MS);
  return () => {
    listeners.delete(listener);
    if (listeners.size === 0) {
      clearInterval(timer);
      timer = undefined;
    }
  };
}

const format = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
const UNITS: Array<[Intl.RelativeTimeFormatUnit, number]> = [
  ['year', 365 * 86_400_000],
  ['month', 30 * 86_400_000],
  ['day', 86_400_000],
  ['hour', 3_600_000],
  ['minute', 60_000],
  ['second', 1_000],
];

/** "5 minutes ago", "in 2 hours"; under 10 s, "just now" (or "in a few seconds"). */
export function relativeTime(iso: string, from: number): string {
  const diff = Date.parse(iso) - from;
  if (Math.abs(diff) < 10_000) return diff > 0 ? 'in a few seconds' : 'just now';
  for (const [unit, ms] of UNITS)
    if (Math.abs(diff) >= ms || unit === 'second') return format.format(Math.round(diff / ms), unit);
  return '';
}

export function RelativeTime({ iso }: { iso: string | null | undefined }) {
  // The shared clock only decides when to render again; the text is measured from now.
  useSyncExternalStore(subscribe, () => now);
  if (!iso) return <span className="muted">—</span>;
  return (
    <time dateTime={iso} title={new Date(iso).toLocaleString()}>
      {relativeTime(iso, Date.now())}
    </time>
  );
}
