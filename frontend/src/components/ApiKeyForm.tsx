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
      <input
        id="api-key"
        type="password"
        autoComplete="off"
        spellCheck={false}
        value={key}
        onChange={(event) => setKey(event.target.value)}
      />
      <p className="muted">Kept in this tab&apos;s session storage only; closing the tab forgets it.</p>
      <button type="submit" disabled={key.trim() === ''}>
        Open dashboard
      </button>
    </form>
  );
}
