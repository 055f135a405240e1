// The money pages in a real browser: Debian's Chromium driven by playwright-core.
// Run: DATABASE_URL=… node --test money.test.mjs (the demo then runs every service but
// scoring, and founder1 has an account with money, a loan paid out and a loan to sign).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { assertSound, chooseLanguage, openPage, submit } from './harness.mjs';
import { startFrontend } from './server.mjs';
import { passSecondFactor } from './totp.mjs';

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

async function signIn(page, username, password) {
  await page.goto(`${server.url}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await submit(page, '#login-form');
  await passSecondFactor(page, username);
}

async function shoot(page, name, language, viewport) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
}

describe('screenshots of the money pages', () => {
  for (const viewport of VIEWPORTS) {
    for (const language of LANGUAGES) {
      test(`a founder's in ${language.code} at ${viewport.name} width`, { skip: needsServices }, async () => {
        const { context, page, violations } = await openPage(browser, viewport);
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
        await submit(page, 'form.page-form');
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
        const { context, page, violations } = await openPage(browser, viewport);
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

/** Holds every request to a URL matching `pattern` (a glob or a predicate) back by `milliseconds`, as a slow server would. */
async function slowDown(page, pattern, milliseconds) {
  await page.route(pattern, async (route) => {
    await new Promise((resolve) => { setTimeout(resolve, milliseconds); });
    await route.continue();
  });
}

describe('long actions show their progress', () => {
  async function founderOnStatement(options = {}) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true, ...options });
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    if (options.javaScriptEnabled !== false) await chooseLanguage(page, LANGUAGES[3]);
    await signIn(page, 'founder1', 'founder1-demo-pass');
    await page.goto(`${server.url}/accounts`);
    const number = (await page.locator('#accounts a').first().textContent()).trim();
    await page.goto(`${server.url}/accounts/${number}`);
    return { context, page, number };
  }

  test('a statement download shows that it is on its way, then saves the file', { skip: needsServices }, async () => {
    const { context, page, number } = await founderOnStatement();
    assert.equal(await page.locator('#busy').isHidden(), true, 'no panel before anything is asked');
    await slowDown(page, '**/statement.csv*', 1000);
    const saved = page.waitForEvent('download');
    await page.click('#download-csv');
    await page.locator('#busy').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#busy-label').textContent(), 'Downloading…');
    assert.equal(await page.locator('#busy progress').count(), 1);
    const download = await saved;
    assert.match(download.suggestedFilename(), /\.csv$/);
    const { readFile } = await import('node:fs/promises');
    const csv = await readFile(await download.path(), 'utf8');
    assert.ok(csv.length > 0 && csv.includes(','), 'the file is the statement');
    await page.locator('#busy').waitFor({ state: 'hidden' });
    assert.ok(page.url().endsWith(`/accounts/${number}`), 'the page stays where it was');
    await context.close();
  });

  test('a statement for a long period says it is being prepared', { skip: needsServices }, async () => {
    const { context, page } = await founderOnStatement();
    await page.fill('#statement-from', '2020-01-01');
    await page.fill('#statement-to', new Date().toISOString().slice(0, 10));
    // The panel shows while the next page loads, and that page replaces it; a watcher tells
    // the test through the console, which outlives the page.
    await page.evaluate(() => {
      const box = document.getElementById('busy');
      new MutationObserver(() => {
        if (!box.hidden) console.log(`busy shown: ${box.querySelector('.busy-label').textContent}`);
      }).observe(box, { attributes: true, attributeFilter: ['hidden'] });
    });
    const shown = new Promise((resolve) => {
      page.on('console', (message) => {
        if (message.text().startsWith('busy shown: ')) resolve(message.text().slice('busy shown: '.length));
      });
    });
    await submit(page, 'form.filters');
    assert.equal(await shown, 'Preparing the statement…');
    assert.match(page.url(), /from=2020-01-01/);
    assert.equal(await page.locator('#busy').isHidden(), true, 'the new page starts without the panel');
    await context.close();
  });

  test('a refused upload shows the reason beside the field, as without the script', { skip: needsServices }, async () => {
    const { context, page } = await founderOnStatement();
    await page.goto(`${server.url}/documents`);
    await page.selectOption('#page-form [name="kind"]', 'passport_scan');
    // This page shows four PDF previews. While Chromium's PDF viewers load, a click on the
    // button now and then sent nothing at all (one run in five alone: no POST in the browser's
    // network log), so the click is repeated once if no upload went out within ten seconds.
    // Sending the empty form twice is harmless: the server refuses it and stores nothing.
    const button = page.locator('#page-form button[type="submit"]');
    const uploaded = (request) => request.method() === 'POST' && new URL(request.url()).pathname === '/documents';
    const sent = await Promise.all([page.waitForRequest(uploaded, { timeout: 10_000 }).then(() => true, () => false), button.click()]);
    if (!sent[0]) await Promise.all([page.waitForRequest(uploaded), button.click()]);
    await page.locator('#file-error').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#file').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.locator('#page-form [name="kind"]').inputValue(), 'passport_scan', 'what was chosen is kept');
    await context.close();
  });

  test('without JavaScript the statement still downloads', { skip: needsServices }, async () => {
    const { context, page } = await founderOnStatement({ javaScriptEnabled: false });
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-csv')]);
    assert.match(download.suggestedFilename(), /\.csv$/);
    await context.close();
  });
});
