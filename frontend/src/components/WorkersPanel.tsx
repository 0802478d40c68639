import { type Workers } from '../services/workers';
import { RelativeTime } from './RelativeTime';
import { CompactTable } from './CompactTable';

/** Live worker processes from the registry; admins also see each one. None live is a warning. */
export function WorkersPanel({ workers }: { workers: Workers | null }) {
  return (
    <section className="panel" aria-labelledby="workers-title">
      <h2 id="workers-title">Workers</h2>
      {workers === null ? (
        <p className="muted">Checking…</p>
      ) : (
        <>
          <p data-testid="live-workers">
            <strong>{workers.live_workers}</strong> live worker{workers.live_workers === 1 ? '' : 's'},{' '}
            <strong>{workers.live_slots}</strong> slot{workers.live_slots === 1 ? '' : 's'}
          </p>
          {workers.live_workers === 0 && (
            <p className="banner banner-error" role="alert">
              No live workers: jobs wait until one starts.
            </p>
          )}
          {workers.workers && workers.workers.length > 0 && (
            <CompactTable columns={['Worker', 'Jobs', 'Seen']}>
              {workers.workers.map((worker) => (
                <tr key={worker.id} className={worker.live ? undefined : 'muted'}>
                  <td className="mono" title={`${worker.host} pid ${worker.pid}, version ${worker.version}`}>
                    {worker.id}
                  </td>
                  <td>
                    {worker.jobs_in_hand} / {worker.concurrency}
                  </td>
                  <td>
                    <RelativeTime iso={worker.last_seen_at} />
                  </td>
                </tr>
              ))}
            </CompactTable>
          )}
        </>
      )}
    </section>
  );
}
