// What the back-office browser test files share: where screenshots go, the languages and
// viewports pages are shot in, why a file is skipped without a database, and the demo frontend
// with Debian's Chromium, started before a file's tests and stopped after them.

import assert from 'node:assert/strict';
import { before, after } from 'node:test';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { assertAccessible, assertKeyboardReachable } from './accessibility.mjs';
import { startFrontend } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

export const screenshotDir = process.env.SCREENSHOT_DIR
  ?? path.resolve(here, '..', '..', 'target', 'screenshots');

/** The four languages, each with the label of its button in the language chooser. */
export const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha' },
  { code: 'uz-Cyrl', button: 'Ўзбекча' },
  { code: 'ru', button: 'Русский' },
  { code: 'en', button: 'English' },
];

export const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

/** False when the demo can run its services, else why the file's tests are skipped. */
export function skipWithoutServices(what) {
  return process.env.DATABASE_URL || process.env.FRONTEND_URL
    ? false
    : `needs DATABASE_URL (the demo then runs ${what})`;
}

/**
 * Starts the demo frontend and Chromium before the file's tests (unless `skip`) and stops
 * them after; the answer's `server` and `browser` are set once the tests run.
 */
export function frontendAndBrowser(skip) {
  const started = {};
  before(async () => {
    if (skip) return;
    started.server = await startFrontend();
    started.browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [
        '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync',
      ],
    });
    await mkdir(screenshotDir, { recursive: true });
  });
  after(async () => {
    await started.browser?.close();
    await started.server?.stop();
  });
  return started;
}

/**
 * Clicks `language`'s button in the chooser and waits for the page it sends back. The chooser
 * posts a form that redirects to the same address, so waiting for that address would return
 * at once and let the next step type into the page that is about to be replaced.
 */
export async function chooseLanguage(page, language) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.getByRole('button', { name: language.button, exact: true }).click(),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), language.code);
}

/**
 * Submits the form `form` names (a selector or a locator) with its submit button and waits for
 * the page it leads to; returns that navigation's response, so a refusal's status can be read.
 *
 * It waits for the new page's document, not for its `load` event: that event also waits for
 * every frame, and a page with document previews fired it late or never (Chromium's PDF viewer
 * in a frame), so the step timed out after 30 s though the page had long arrived.
 */
export async function submit(page, form) {
  const located = typeof form === 'string' ? page.locator(form) : form;
  const [response] = await Promise.all([
    page.waitForNavigation({ waitUntil: 'domcontentloaded' }),
    located.locator('button[type="submit"]').click(),
  ]);
  return response;
}

/** A new page at `viewport` that collects the Content-Security-Policy violations it reports. */
export async function openPage(browser, viewport) {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return { context, page, violations };
}

/** The page holds its layout: no inline code, accessible, nothing wider than the screen. */
export async function assertSound(page, violations, name, viewport) {
  const counts = await page.evaluate(() => ({
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: document.querySelectorAll('[style]').length,
  }));
  assert.deepEqual(counts, { inlineScripts: 0, styleElements: 0, styleAttributes: 0 }, page.url());
  assert.deepEqual(violations, [], 'no Content-Security-Policy violations');
  await assertAccessible(page, `${name} at ${viewport.name} width`);
  if (viewport.name === 'desktop') await assertKeyboardReachable(page, name);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
}
