import { useEffect, useState } from 'react';
import { useServiceStatus } from '../lib/serviceStatus';

/** Says, above every page, when the API is down, unreachable, or asked us to slow down. */
export function ServiceBanner() {
  const status = useServiceStatus();
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (status.rateLimitedUntil === null) return;
    const timer = setInterval(() => setNow(Date.now()), 500);
    return () => clearInterval(timer);
  }, [status.rateLimitedUntil]);

  const messages: Array<[string, string]> = [];
  if (status.unavailable)
    messages.push([
      'error',
      `The service is unavailable (${status.unavailable}): the database may be down. Retrying.`,
    ]);
  if (status.unreachable) messages.push(['error', 'The API cannot be reached. Retrying.']);
  if (status.rateLimitedUntil !== null) {
    const seconds = Math.max(0, Math.ceil((status.rateLimitedUntil - now) / 1000));
    messages.push(['warning', `Rate limited by the API: trying again in ${seconds} s.`]);
  }
  if (messages.length === 0) return null;
  return (
    <div className="banners">
      {messages.map(([kind, text]) => (
        <p key={text.slice(0, 20)} className={`banner banner-${kind}`} role="alert">
          {text}
        </p>
      ))}
    </div>
  );
}
