import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type Browser } from 'playwright-core';
import { launchChromium as launch } from '../../scripts/src/chromium';

export const SCREENSHOT_DIR = path.resolve(__dirname, '..', 'screenshots');

export function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  return launch();
}

export const screenshotPath = (name: string): string => path.join(SCREENSHOT_DIR, `${name}.png`);
