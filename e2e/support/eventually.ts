import { type Locator } from 'playwright-core';

/**
 * Retries a check until it passes or the time is up, then throws its last failure: the
 * dashboard changes by itself (live events), so assertions wait for a state, never for a time.
 */
export async function eventually<T>(check: () => Promise<T> | T, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

const text = async (locator: Locator): Promise<string> =>
  ((await locator.first().textContent()) ?? '').trim();

export const ui = {
  visible: (locator: Locator, timeoutMs = 20_000) =>
    locator.first().waitFor({ state: 'visible', timeout: timeoutMs }),
  textIs: (locator: Locator, expected: string, timeoutMs?: number) =>
    eventually(async () => expect(await text(locator)).toBe(expected), timeoutMs),
  textMatches: (locator: Locator, expected: RegExp, timeoutMs?: number) =>
    eventually(async () => expect(await text(locator)).toMatch(expected), timeoutMs),
  attribute: (locator: Locator, name: string, check: (value: string | null) => boolean, timeoutMs?: number) =>
    eventually(async () => expect(check(await locator.getAttribute(name))).toBe(true), timeoutMs),
  count: (locator: Locator, expected: number) =>
    eventually(async () => expect(await locator.count()).toBe(expected)),
  enabled: (locator: Locator, expected: boolean) =>
    eventually(async () => expect(await locator.isEnabled()).toBe(expected)),
};
