import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalStack, startLocalStack } from '../../infra/local/stack';
import { haveChromium, launchChromium } from '../fakes/browser';

/**
 * The /chat page in a real browser (Debian's Chromium, driven by playwright-core): a persona's
 * retention chat from the reason to the outcome. `npm test` installs Chromium first where it can
 * (infra/local/setup.ts, its pretest); run directly without it, the suite says so and skips.
 */
const ARTIFACTS = resolve(import.meta.dirname, '../../.artifacts');

let stack: LocalStack;
let browser: Browser;
beforeAll(async () => {
  if (!haveChromium) return;
  stack = await startLocalStack({ port: 0, accounts: 0 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

/** A chat page where the persona asked to close and was verified (number, last four, ZIP typed). */
async function verifiedChat(p: { phone: string; last4: string; zip: string }) {
  const page = await browser.newPage();
  await page.goto(`${stack.url}/chat`);
  await page.getByRole('button', { name: 'Close my account' }).click();
  const answer = async (text: string) => {
    await page.getByLabel('Your answer').fill(text);
    await page.getByRole('button', { name: 'Send' }).click();
  };
  await page.getByText('What phone number').waitFor();
  await answer(p.phone);
  await page.getByText('last four digits').waitFor();
  await answer(p.last4);
  // The number typed in a chat is no factor: the ZIP is asked for too.
  await page.getByText('ZIP code').waitFor();
  await answer(p.zip);
  return page;
}

describe.skipIf(!haveChromium)('web chat page (headless Chromium)', () => {
  it('a persona closes their account by chat, declines one offer, accepts the next, and is kept', async () => {
    const page = await verifiedChat(stack.personas[0]!.persona);
    const bubbles = page.locator('.bot');
    const before = await bubbles.count();
    await page.getByRole('button', { name: 'No, thanks' }).click();
    // The next offer arrives as a new bot message, with fresh buttons.
    await expect.poll(() => bubbles.count()).toBe(before + 1);
    await page.getByRole('button', { name: 'Yes, please' }).click();
    await page.locator('#ended').waitFor();
    await expect(page.getByText('Thank you for staying with us').count()).resolves.toBe(1);
    await expect(page.getByLabel('Your answer').isVisible()).resolves.toBe(false);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: resolve(ARTIFACTS, 'chat.png'), fullPage: true });
    await page.close();
  });

  it('a customer who insists presses "Just close it" at the offer: the chat ends there, the closure requested', async () => {
    const page = await verifiedChat(stack.personas[1]!.persona);
    await page.getByRole('button', { name: 'Just close it' }).click();
    await page.locator('#ended').waitFor();
    await expect(page.getByText('We are sorry to see you go').count()).resolves.toBe(1);
    await expect(page.getByRole('button', { name: 'Yes, please' }).count()).resolves.toBe(0);
    await page.close();
  });
});
