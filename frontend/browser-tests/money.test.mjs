// The money pages in a real browser: Debian's Chromium driven by playwright-core.
// Run: DATABASE_URL=… node --test money.test.mjs (the demo then runs every service but
// scoring, and founder1 has an account with money, a loan paid out and a loan to sign).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { startFrontend } from './server.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshotDir = process.env.SCREENSHOT_DIR
  ?? path.resolve(here, '..', '..', 'target', 'screenshots');

const needsServices = process.env.DATABASE_URL || process.env.FRONTEND_URL
  ? false
  : 'needs DATABASE_URL (the demo then runs the accounts and disbursement services)';

const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', accounts: 'Hisobvaraqlarim', confirm: 'Oʻtkazmani tasdiqlang', portfolio: 'Portfel' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', accounts: 'Ҳисобварақларим', confirm: 'Ўтказмани тасдиқланг', portfolio: 'Портфел' },
  { code: 'ru', button: 'Русский', accounts: 'Мои счета', confirm: 'Подтвердите перевод', portfolio: 'Портфель' },
  { code: 'en', button: 'English', accounts: 'My accounts', confirm: 'Confirm the transfer', portfolio: 'Portfolio' },
];

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

let server;
let browser;

before(async () => {
  if (needsServices) return;
  server = await startFrontend();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  await mkdir(screenshotDir, { recursive: true });
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

async function openPage(viewport) {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return { context, page, violations };
}

async function chooseLanguage(page, language) {
  await Promise.all([
    page.waitForURL(/.*/, { waitUntil: 'load' }),
    page.getByRole('button', { name: language.button, exact: true }).click(),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), language.code);
}

async function signIn(page, username, password) {
  await page.goto(`${server.url}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('#login-form button[type="submit"]').click(),
  ]);
}

/** The page holds its layout: no inline code, nothing wider than the screen. */
async function assertSound(page, violations, name, viewport) {
  const counts = await page.evaluate(() => ({
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: document.querySelectorAll('[style]').length,
  }));
  assert.deepEqual(counts, { inlineScripts: 0, styleElements: 0, styleAttributes: 0 }, page.url());
  assert.deepEqual(violations, [], 'no Content-Security-Policy violations');
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `${name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
}

async function shoot(page, name, language, viewport) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
}

describe('screenshots of the money pages', () => {
  for (const viewport of VIEWPORTS) {
    for (const language of LANGUAGES) {
      test(`a founder's in ${language.code} at ${viewport.name} width`, { skip: needsServices }, async () => {
        const { context, page, violations } = await openPage(viewport);
        await page.goto(`${server.url}/login`);
        await chooseLanguage(page, language);
        await signIn(page, 'founder1', 'founder1-demo-pass');

        await page.goto(`${server.url}/accounts`);
        assert.equal(await page.locator('h1').textContent(), language.accounts);
        await assertSound(page, violations, 'accounts', viewport);
        await shoot(page, 'accounts', language, viewport);
        const number = (await page.locator('#accounts a').first().textContent()).trim();

        await page.goto(`${server.url}/accounts/${number}`);
        await assertSound(page, violations, 'statement', viewport);
        await shoot(page, 'statement', language, viewport);

        await page.goto(`${server.url}/transfers/new`);
        await assertSound(page, violations, 'transfer', viewport);
        await shoot(page, 'transfer', language, viewport);
        await page.fill('#to-account', number);
        await page.fill('#transfer-amount', '1000');
        await Promise.all([
          page.waitForNavigation({ waitUntil: 'load' }),
          page.locator('form.page-form button[type="submit"]').click(),
        ]);
        // Sending to the same account is refused beside the recipient's field.
        assert.equal(await page.locator('.field-error').count() > 0 || await page.locator('#form-errors').count() > 0, true);
        await shoot(page, 'transfer-refused', language, viewport);

        await page.goto(`${server.url}/contracts`);
        await assertSound(page, violations, 'contracts', viewport);
        await shoot(page, 'my-contracts', language, viewport);
        const contractCount = await page.locator('#contracts h2 a').count();
        assert.ok(contractCount >= 2, 'the demo founder has a loan paid out and one to sign');
        for (let index = 0; index < contractCount; index += 1) {
          await page.goto(`${server.url}/contracts`);
          await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#contracts h2 a').nth(index).click()]);
          await assertSound(page, violations, 'contract', viewport);
          await shoot(page, `contract-${index + 1}`, language, viewport);
        }
        await context.close();
      });

      test(`the staff's in ${language.code} at ${viewport.name} width`, { skip: needsServices }, async () => {
        const { context, page, violations } = await openPage(viewport);
        await page.goto(`${server.url}/login`);
        await chooseLanguage(page, language);
        await signIn(page, 'approver1', 'approver1-demo-pass');
        await page.goto(`${server.url}/portfolio`);
        assert.equal(await page.locator('h1').textContent(), language.portfolio);
        assert.equal(await page.locator('.portfolio-panel').count(), 4, 'four charts');
        assert.ok(await page.locator('figure.row-chart svg').count() >= 3, 'drawn as SVG');
        await assertSound(page, violations, 'portfolio', viewport);
        await shoot(page, 'portfolio', language, viewport);
        for (const [name, pagePath] of [['contracts', '/contracts'], ['arrears', '/arrears']]) {
          await page.goto(`${server.url}${pagePath}`);
          await assertSound(page, violations, name, viewport);
          await shoot(page, name, language, viewport);
        }
        await context.close();
      });
    }
  }
});
