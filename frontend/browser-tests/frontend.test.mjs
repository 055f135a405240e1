// The frontend in a real browser: Debian's Chromium driven by playwright-core.
// Run: node --test frontend.test.mjs (see server.mjs for the server it drives).

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

const NBSP = '\u00a0';

const LANGUAGES = [
  {
    code: 'uz-Latn', button: 'Oʻzbekcha', title: 'Kredit kalkulyatori', principalLabel: 'Kredit summasi',
    typedPrincipal: '1 250 000,00', totalPrincipal: `1${NBSP}250${NBSP}000,00${NBSP}soʻm`,
    firstDue: '01.02.2024', notFound: 'Sahifa topilmadi', rateError: 'Stavka 100% dan oshmasligi kerak.',
    notANumber: 'Raqam kiriting, masalan 1 250 000,00.',
  },
  {
    code: 'uz-Cyrl', button: 'Ўзбекча', title: 'Кредит калькулятори', principalLabel: 'Кредит суммаси',
    typedPrincipal: '1 250 000,00', totalPrincipal: `1${NBSP}250${NBSP}000,00${NBSP}сўм`,
    firstDue: '01.02.2024', notFound: 'Саҳифа топилмади', rateError: 'Ставка 100% дан ошмаслиги керак.',
    notANumber: 'Рақам киритинг, масалан 1 250 000,00.',
  },
  {
    code: 'ru', button: 'Русский', title: 'Кредитный калькулятор', principalLabel: 'Сумма кредита',
    typedPrincipal: '1 250 000,00', totalPrincipal: `1${NBSP}250${NBSP}000,00${NBSP}сум`,
    firstDue: '01.02.2024', notFound: 'Страница не найдена', rateError: 'Ставка не может превышать 100%.',
    notANumber: 'Введите число, например 1 250 000,00.',
  },
  {
    code: 'en', button: 'English', title: 'Loan calculator', principalLabel: 'Loan amount',
    typedPrincipal: '1,250,000.00', totalPrincipal: `UZS${NBSP}1,250,000.00`,
    firstDue: '1 Feb 2024', notFound: 'Page not found', rateError: 'The rate cannot exceed 100%.',
    notANumber: 'Enter a number, such as 1,250,000.00.',
  },
];

const VIEWPORTS = [
  { name: 'desktop', width: 1280, height: 800 },
  { name: 'phone', width: 390, height: 844 },
];

let server;
let browser;

before(async () => {
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

/** A fresh browser context (no cookies) with a page that records CSP violations. */
async function openPage(viewport = VIEWPORTS[0]) {
  const context = await browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
  const page = await context.newPage();
  const violations = [];
  page.on('console', (message) => {
    if (message.text().includes('Content Security Policy')) violations.push(message.text());
  });
  return { context, page, violations };
}

/** Chooses a language with the switcher in the header, as a visitor would. */
async function chooseLanguage(page, language) {
  await Promise.all([
    page.waitForURL(/.*/, { waitUntil: 'load' }),
    page.getByRole('button', { name: language.button, exact: true }).click(),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), language.code);
}

async function fillLoan(page, { principal, rate = '9.4822' }) {
  await page.fill('#principal', principal);
  await page.selectOption('#currency', 'UZS');
  await page.fill('#annual_rate_percent', rate);
  await page.fill('#term_months', '6');
  await page.selectOption('#method', 'annuity');
  await page.fill('#grace_months', '0');
  await page.selectOption('#day_count', '30/360');
  await page.fill('#disbursement_date', '2024-01-01');
  await page.fill('#first_due_date', '2024-02-01');
}

async function submit(page) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('form.calculator button[type="submit"]').click(),
  ]);
}

/** No inline script or style anywhere: the CSP forbids them, and the page must not need them. */
async function assertNoInlineCode(page, violations) {
  const counts = await page.evaluate(() => ({
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: document.querySelectorAll('[style]').length,
  }));
  assert.deepEqual(counts, { inlineScripts: 0, styleElements: 0, styleAttributes: 0 }, page.url());
  assert.deepEqual(violations, [], 'no Content-Security-Policy violations');
}

describe('the calculator', () => {
  for (const language of LANGUAGES) {
    test(`speaks ${language.code} once chosen with the switcher`, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/calculator`);
      await chooseLanguage(page, language);
      assert.equal(new URL(page.url()).pathname, '/calculator', 'the switcher returns to the same page');
      assert.equal(await page.locator('h1').textContent(), language.title);
      assert.equal(await page.locator('label[for="principal"]').textContent(), language.principalLabel);
      assert.equal(await page.getByLabel(language.principalLabel, { exact: true }).count(), 1, 'the label names its input');
      await page.reload();
      assert.equal(await page.getAttribute('html', 'lang'), language.code, 'the choice is remembered');
      await assertNoInlineCode(page, violations);
      await context.close();
    });

    test(`shows the schedule and its chart in ${language.code}, amounts written the ${language.code} way`, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/calculator`);
      await chooseLanguage(page, language);
      await fillLoan(page, { principal: language.typedPrincipal });
      await submit(page);
      assert.equal(await page.locator('.schedule-table tbody tr').count(), 6);
      assert.equal(await page.locator('.schedule-table tbody tr:first-child td:nth-child(2)').textContent(), language.firstDue);
      assert.equal(await page.locator('.schedule-table tfoot td').first().textContent(), language.totalPrincipal);
      const chart = page.locator('figure.chart svg');
      assert.equal(await chart.getAttribute('role'), 'img');
      assert.equal(await chart.locator('rect.bar-principal').count(), 6);
      assert.equal(await chart.locator('rect.bar-interest').count(), 6);
      const firstBarHeight = Number(await chart.locator('rect.bar-principal').first().getAttribute('height'));
      assert.ok(firstBarHeight > 0, 'the bars have height');
      assert.equal(await page.inputValue('#principal'), language.typedPrincipal, 'what was typed stays');
      await assertNoInlineCode(page, violations);
      await context.close();
    });

    test(`explains a refused field beside it in ${language.code} and keeps what was typed`, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/calculator`);
      await chooseLanguage(page, language);
      await fillLoan(page, { principal: language.typedPrincipal, rate: '150' });
      await submit(page);
      const rateField = page.locator('.field', { has: page.locator('#annual_rate_percent') });
      assert.equal(await rateField.locator('.field-error').textContent(), language.rateError);
      assert.equal(await page.getAttribute('#annual_rate_percent', 'aria-invalid'), 'true');
      assert.equal(await page.inputValue('#annual_rate_percent'), '150');
      assert.equal(await page.inputValue('#principal'), language.typedPrincipal);
      assert.equal(await page.locator('.schedule-table').count(), 0);
      await assertNoInlineCode(page, violations);

      await page.fill('#principal', 'abc');
      await submit(page);
      const principalField = page.locator('.field', { has: page.locator('#principal') });
      assert.equal(await principalField.locator('.field-error').textContent(), language.notANumber);
      assert.equal(await page.inputValue('#principal'), 'abc');
      await context.close();
    });
  }

  test('can be used with the keyboard alone', async () => {
    const { context, page } = await openPage();
    await page.goto(`${server.url}/calculator`);
    await page.keyboard.press('Tab');
    assert.equal(await page.evaluate(() => document.activeElement.className), 'skip-link');
    await page.focus('#principal');
    await page.fill('#principal', '5000000');
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.keyboard.press('Enter'),
    ]);
    assert.ok(await page.locator('.schedule-table tbody tr').count() > 0, 'Enter submits the form');
    await context.close();
  });
});

describe('error pages', () => {
  for (const language of LANGUAGES) {
    test(`a missing page is a friendly 404 in ${language.code}`, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/`);
      await chooseLanguage(page, language);
      const response = await page.goto(`${server.url}/no/such/page`);
      assert.equal(response.status(), 404);
      assert.equal(await page.locator('h1').textContent(), language.notFound);
      await assertNoInlineCode(page, violations);
      await context.close();
    });
  }
});

describe('screenshots', () => {
  const pages = [
    { name: 'home', path: '/' },
    { name: 'calculator', path: '/calculator' },
    { name: 'schedule', path: '/calculator', fill: true },
    { name: 'not-found', path: '/no/such/page' },
  ];
  for (const viewport of VIEWPORTS) {
    for (const language of LANGUAGES) {
      test(`of the main pages in ${language.code} at ${viewport.name} width hold their layout`, async () => {
        const { context, page, violations } = await openPage(viewport);
        await page.goto(`${server.url}/`);
        await chooseLanguage(page, language);
        for (const shown of pages) {
          await page.goto(`${server.url}${shown.path}`);
          if (shown.fill) {
            await fillLoan(page, { principal: language.typedPrincipal });
            await submit(page);
          }
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${shown.name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
          await assertNoInlineCode(page, violations);
          await page.screenshot({
            path: path.join(screenshotDir, `${shown.name}-${language.code}-${viewport.name}.png`),
            fullPage: true,
          });
        }
        await context.close();
      });
    }
  }
});
