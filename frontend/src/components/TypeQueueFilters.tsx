import { useState } from 'react';
import { type JobType } from '../services/jobs';

/**
 * The type and queue filters of a job list: the type from the registered types, the queue typed
 * and applied on Enter or when the field is left. `onChange` gets the one filter that changed.
 */
export function TypeQueueFilters({
  type,
  queue,
  types,
  onChange,
}: {
  type: string | undefined;
  queue: string | undefined;
  types: JobType[] | undefined;
  onChange: (name: 'type' | 'queue', value: string) => void;
}) {
  const [queueDraft, setQueueDraft] = useState(queue ?? '');
  return (
    <>
      <label>
        Type
        <select value={type ?? ''} onChange={(event) => onChange('type', event.target.value)}>
          <option value="">Any type</option>
          {types?.map((item) => (
            <option key={item.type} value={item.type}>
              {item.type}
            </option>
          ))}
        </select>
      </label>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          onChange('queue', queueDraft.trim());
        }}
      >
        <label>
          Queue
          <input
            value={queueDraft}
            onChange={(event) => setQueueDraft(event.target.value)}
            onBlur={() => onChange('queue', queueDraft.trim())}
            placeholder="any queue"
          />
        </label>
      </form>
    </>
  );
}
