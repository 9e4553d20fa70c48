import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium for the page tests, driven by playwright-core. `npm test` installs it first where
 * it can (infra/local/setup.ts, its pretest); run directly without it, a suite says so and skips; CI
 * must have it.
 */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveChromium = existsSync(CHROMIUM);
if (!haveChromium && process.env.CI)
  throw new Error(`CI must provide Chromium at ${CHROMIUM} (npm test installs it: infra/local/setup.ts)`);

/** Headless, sandbox off (no user namespaces in CI), nothing fetched in the background. */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
