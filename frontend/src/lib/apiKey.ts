const STORAGE_KEY = 'conveyor.apiKey';

/** The key lives in sessionStorage: it survives reloads but not closing the tab. */
export function readApiKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeApiKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetApiKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
