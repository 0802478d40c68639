import { useState } from 'react';
import { ApiKeyForm } from './components/ApiKeyForm';
import { forgetApiKey, readApiKey, storeApiKey } from './lib/apiKey';
import { Overview } from './routes/Overview';

export function App() {
  const [apiKey, setApiKey] = useState<string | null>(readApiKey);

  const signIn = (key: string) => {
    storeApiKey(key);
    setApiKey(key);
  };
  const signOut = () => {
    forgetApiKey();
    setApiKey(null);
  };

  return (
    <main className="app">
      <header className="app-header">
        <h1>Conveyor</h1>
        {apiKey && (
          <button type="button" onClick={signOut}>
            Forget key
          </button>
        )}
      </header>
      {apiKey ? <Overview apiKey={apiKey} /> : <ApiKeyForm onSubmit={signIn} />}
    </main>
  );
}
