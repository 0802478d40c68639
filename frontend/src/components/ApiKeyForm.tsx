import { type FormEvent, useState } from 'react';

export function ApiKeyForm({ onSubmit }: { onSubmit: (key: string) => void }) {
  const [key, setKey] = useState('');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (key.trim() !== '') onSubmit(key.trim());
  };
  return (
    <form className="panel" onSubmit={submit}>
      <label htmlFor="api-key">API key</label>
      <input id="api-key" type="password" value={key} onChange={(event) => setKey(event.target.value)} />
      <button type="submit" disabled={key.trim() === ''}>
        Open dashboard
      </button>
    </form>
  );
}
