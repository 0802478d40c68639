import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium (a browser download fails on these machines): CHROMIUM_PATH, else the
 * `chromium` on PATH. A missing browser is an error naming the way to install it: the
 * dashboard's tests and benchmark must never skip silently.
 */
export function chromiumPath(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  try {
    candidates.push(
      execFileSync('sh', ['-c', 'command -v chromium || command -v chromium-browser']).toString().trim(),
    );
  } catch {
    // not on PATH
  }
  const found = candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
  if (!found)
    throw new Error(
      'No Chromium for the dashboard tests. Install Debian’s: `apt-get update && apt-get install -y chromium` ' +
        '(or set CHROMIUM_PATH to a Chromium or Chrome binary).',
    );
  return found;
}

/** Headless Chromium with the flags this machine's closed network needs. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      ...extraArgs,
    ],
  });
}
