// Each role's home in a real browser: Debian's Chromium driven by playwright-core.
// Run: DATABASE_URL=… node --test homes.test.mjs (the demo then runs the services whose demo
// logins these are).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { assertAccessible } from './accessibility.mjs';
import { startFrontend } from './server.mjs';
import { passSecondFactor } from './totp.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const screenshotDir = process.env.SCREENSHOT_DIR
  ?? path.resolve(here, '..', '..', 'target', 'screenshots');

const needsServices = process.env.DATABASE_URL || process.env.FRONTEND_URL
  ? false
  : 'needs DATABASE_URL (the demo then runs the services of the demo logins)';

/** Each demo login, the home it lands on and that home's heading in English. */
const HOMES = [
  ['founder1', '/applications', 'My applications'],
  ['founder2', '/applications', 'My applications'],
  ['founder3', '/applications', 'My applications'],
  ['credit1', '/applications', 'Application queue'],
  ['credit2', '/applications', 'Application queue'],
  ['approver1', '/applications?state=decision', 'Application queue'],
  ['kyc1', '/kyc/cases', 'KYC queue'],
  ['finance1', '/payouts', 'Tranches waiting to be paid'],
  ['admin1', '/admin', 'Administration'],
];

/** The new home pages' headings in each language. */
const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', payouts: 'Toʻlanishi kutilayotgan transhlar', admin: 'Maʼmuriyat' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', payouts: 'Тўланиши кутилаётган траншлар', admin: 'Маъмурият' },
  { code: 'ru', button: 'Русский', payouts: 'Транши к выплате', admin: 'Администрирование' },
  { code: 'en', button: 'English', payouts: 'Tranches waiting to be paid', admin: 'Administration' },
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

/** Signs `username` in with the demo password in `language`, passing the second factor of staff. */
async function signIn(page, username, language = LANGUAGES[0]) {
  await page.goto(`${server.url}/login`);
  await chooseLanguage(page, language);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('#login-form button[type="submit"]').click(),
  ]);
  await passSecondFactor(page, username);
}

async function chooseLanguage(page, language) {
  await Promise.all([
    page.waitForURL(/.*/, { waitUntil: 'load' }),
    page.getByRole('button', { name: language.button, exact: true }).click(),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), language.code);
}

describe('each role lands on its own home', () => {
  test('every demo login lands on a page it may see, with its own heading', { skip: needsServices }, async () => {
    for (const [username, home, heading] of HOMES) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await signIn(page, username, LANGUAGES[3]);
      const landed = new URL(page.url());
      assert.equal(`${landed.pathname}${landed.search}`, home, `${username} lands`);
      const response = await page.goto(page.url());
      assert.equal(response.status(), 200, `${username} may see ${home}`);
      assert.equal((await page.locator('h1').textContent()).trim(), heading, username);
      await context.close();
    }
  });

  for (const viewport of VIEWPORTS) {
    test(`finance's and the administrators' homes in every language at ${viewport.name} width`, { skip: needsServices }, async () => {
      for (const [username, home, key] of [['finance1', '/payouts', 'payouts'], ['admin1', '/admin', 'admin']]) {
        const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
        const page = await context.newPage();
        await signIn(page, username);
        for (const language of LANGUAGES) {
          await page.goto(`${server.url}${home}`);
          await chooseLanguage(page, language);
          assert.equal((await page.locator('h1').textContent()).trim(), language[key]);
          await assertAccessible(page, `${key} home in ${language.code} at ${viewport.name} width`);
          await page.screenshot({
            path: path.join(screenshotDir, `home-${key}-${language.code}-${viewport.name}.png`),
            fullPage: true,
          });
        }
        await context.close();
      }
    });
  }
});
