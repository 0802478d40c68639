import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

/**
 * Debian's Chromium (a browser download fails on these machines): CHROMIUM_PATH, else the
 * `chromium` on PATH. A missing browser fails the run with the way to install it: the dashboard's
 * tests must never skip silently.
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
export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
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
    ],
  });
}

export const screenshotPath = (name: string): string => path.join(SCREENSHOT_DIR, `${name}.png`);
