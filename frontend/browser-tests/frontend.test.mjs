// The frontend in a real browser: Debian's Chromium driven by playwright-core.
// Run: node --test frontend.test.mjs (see server.mjs for the server it drives).

import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

import { assertAccessible } from './accessibility.mjs';
import { chooseLanguage, submit } from './harness.mjs';
import { startFrontend } from './server.mjs';
import { passSecondFactor } from './totp.mjs';

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

async function submitCalculator(page) {
  await submit(page, 'form.calculator');
}

/** No inline script or style anywhere (the CSP forbids them, and the page must not need them),
 * and every control named and all text readable. */
async function assertNoInlineCode(page, violations) {
  const counts = await page.evaluate(() => ({
    inlineScripts: document.querySelectorAll('script:not([src])').length,
    styleElements: document.querySelectorAll('style').length,
    styleAttributes: document.querySelectorAll('[style]').length,
  }));
  assert.deepEqual(counts, { inlineScripts: 0, styleElements: 0, styleAttributes: 0 }, page.url());
  assert.deepEqual(violations, [], 'no Content-Security-Policy violations');
  await assertAccessible(page, page.url());
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
      await submitCalculator(page);
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
      await submitCalculator(page);
      const rateField = page.locator('.field', { has: page.locator('#annual_rate_percent') });
      assert.equal(await rateField.locator('.field-error').textContent(), language.rateError);
      assert.equal(await page.getAttribute('#annual_rate_percent', 'aria-invalid'), 'true');
      assert.equal(await page.inputValue('#annual_rate_percent'), '150');
      assert.equal(await page.inputValue('#principal'), language.typedPrincipal);
      assert.equal(await page.locator('.schedule-table').count(), 0);
      await assertNoInlineCode(page, violations);

      await page.fill('#principal', 'abc');
      await submitCalculator(page);
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

describe('the calculator with flat interest', () => {
  test('charges every month the same interest on the whole amount lent', async () => {
    const { context, page, violations } = await openPage();
    await page.goto(`${server.url}/calculator`);
    await chooseLanguage(page, LANGUAGES[3]);
    await fillLoan(page, { principal: '1,200.00', rate: '12' });
    await page.fill('#term_months', '12');
    await page.selectOption('#interest_method', 'flat');
    await submitCalculator(page);
    // Amounts are written with a no-break space between the currency and the figure.
    const interest = (await page.locator('.schedule-table tbody tr td:nth-child(4)').allTextContents())
      .map((text) => text.replace(/\s/g, ' '));
    assert.equal(interest.length, 12);
    assert.deepEqual(new Set(interest), new Set(['UZS 12.00']), '1,200.00 × 12% / 12 every month');
    assert.equal(await page.inputValue('#interest_method'), 'flat', 'the choice stays');
    await assertNoInlineCode(page, violations);
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
            await submitCalculator(page);
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

// Signing in and a founder's pages. The founder's path needs the real onboarding and
// applications services, which the demo starts when DATABASE_URL is set.
const withServices = Boolean(process.env.DATABASE_URL);
const needsServices = withServices ? false : 'needs DATABASE_URL (the demo then runs onboarding and applications)';

const SIGN_IN = {
  'uz-Latn': { title: 'Kirish', username: 'Foydalanuvchi nomi', wrong: 'Foydalanuvchi nomi yoki parol notoʻgʻri.', programmes: 'Moliyalashtirish dasturlari', mine: 'Arizalarim', apply: 'Ariza' },
  'uz-Cyrl': { title: 'Кириш', username: 'Фойдаланувчи номи', wrong: 'Фойдаланувчи номи ёки парол нотўғри.', programmes: 'Молиялаштириш дастурлари', mine: 'Аризаларим', apply: 'Ариза' },
  ru: { title: 'Вход', username: 'Имя пользователя', wrong: 'Неверное имя пользователя или пароль.', programmes: 'Программы финансирования', mine: 'Мои заявки', apply: 'Заявка' },
  en: { title: 'Sign in', username: 'Username', wrong: 'The username or password is not right.', programmes: 'Funding programmes', mine: 'My applications', apply: 'Application' },
};

const MVP_GRANT = '01935f1e-6a00-7c3d-9e1a-6b2f3c4d6a02';

async function signIn(page, username, password) {
  await page.goto(`${server.url}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await submit(page, '#login-form');
  await passSecondFactor(page, username);
}

describe('signing in', () => {
  for (const language of LANGUAGES) {
    test(`the login page speaks ${language.code} and labels its fields`, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/login`);
      await chooseLanguage(page, language);
      const words = SIGN_IN[language.code];
      assert.equal(await page.locator('h1').textContent(), words.title);
      assert.equal(await page.getByLabel(words.username, { exact: true }).count(), 1);
      assert.equal(await page.getAttribute('#password', 'type'), 'password');
      await assertNoInlineCode(page, violations);
      await context.close();
    });
  }

  test('a private page sends a visitor to the login page and back after it', { skip: needsServices }, async () => {
    const { context, page } = await openPage();
    await page.goto(`${server.url}/programmes`);
    assert.equal(new URL(page.url()).pathname, '/login');
    assert.equal(new URL(page.url()).searchParams.get('next'), '/programmes');
    await page.fill('#username', 'founder1');
    await page.fill('#password', 'founder1-demo-pass');
    await submit(page, '#login-form');
    assert.equal(new URL(page.url()).pathname, '/programmes');
    await context.close();
  });

  for (const language of LANGUAGES) {
    test(`a wrong password is explained in ${language.code} and the username kept`, { skip: needsServices }, async () => {
      const { context, page, violations } = await openPage();
      await page.goto(`${server.url}/login`);
      await chooseLanguage(page, language);
      await page.fill('#username', 'founder2');
      await page.fill('#password', 'wrong-password');
      await submit(page, '#login-form');
      assert.equal(await page.locator('.form-notice').textContent(), SIGN_IN[language.code].wrong);
      assert.equal(await page.inputValue('#username'), 'founder2');
      assert.equal(await page.inputValue('#password'), '');
      await assertNoInlineCode(page, violations);
      await context.close();
    });
  }
});

describe('a founder', () => {
  test('signs in, picks a programme, fills the form step by step and submits', { skip: needsServices }, async () => {
    const { context, page, violations } = await openPage();
    await signIn(page, 'founder1', 'founder1-demo-pass');
    await chooseLanguage(page, LANGUAGES[3]);
    await page.goto(`${server.url}/programmes`);
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator(`a[href="/programmes/${MVP_GRANT}/apply"]`).click(),
    ]);
    await page.fill('#requested_amount', 'lots');
    await page.fill('#term_months', '12');
    await submit(page, '#apply-form');
    const amountField = page.locator('.field', { has: page.locator('#requested_amount') });
    assert.equal(await amountField.locator('.field-error').textContent(), 'Enter a number, such as 1,250,000.00.');
    assert.equal(await page.inputValue('#requested_amount'), 'lots', 'what was typed stays');

    await page.fill('#requested_amount', '50,000,000.00');
    await page.fill('#project_cost', '200,000,000.00');
    await submit(page, '#apply-form');
    assert.match(new URL(page.url()).search, /step=answers/);
    await page.fill('#q-project_summary', 'A marketplace for farm produce.');
    await page.fill('#q-team_experience_years', '6');
    await page.selectOption('#q-technical_founder', 'yes');
    await page.selectOption('#q-product_stage', 'mvp');
    await page.fill('#q-monthly_active_users', '1,200');
    await page.selectOption('#q-target_market', 'uzbekistan');
    await page.selectOption('#q-it_park_resident', 'yes');
    await page.fill('#q-jobs_to_be_created', '12');
    await submit(page, '#apply-form');
    assert.match(new URL(page.url()).search, /step=review/);
    assert.equal(await page.locator('#missing').count(), 0, 'nothing is missing');
    await submit(page, '#apply-form');
    assert.match(new URL(page.url()).pathname, /^\/applications\/[0-9a-f-]{36}$/);
    assert.ok((await page.locator('#application-state').textContent()).length > 0);
    assert.ok(await page.locator('.timeline li').count() >= 2, 'the timeline shows the steps');
    await assertNoInlineCode(page, violations);
    await context.close();
  });
});

describe('screenshots of the signed-in pages', () => {
  for (const viewport of VIEWPORTS) {
    for (const language of LANGUAGES) {
      test(`in ${language.code} at ${viewport.name} width hold their layout`, { skip: needsServices }, async () => {
        const { context, page, violations } = await openPage(viewport);
        await page.goto(`${server.url}/login`);
        await chooseLanguage(page, language);
        await page.screenshot({ path: path.join(screenshotDir, `login-${language.code}-${viewport.name}.png`), fullPage: true });
        await page.goto(`${server.url}/register`);
        await assertNoInlineCode(page, violations);
        await page.screenshot({ path: path.join(screenshotDir, `register-${language.code}-${viewport.name}.png`), fullPage: true });
        // founder1 has the application the founder's test submitted.
        await signIn(page, 'founder1', 'founder1-demo-pass');
        const shown = [
          { name: 'programmes', path: '/programmes' },
          { name: 'my-applications', path: '/applications' },
          { name: 'apply', path: `/programmes/${MVP_GRANT}/apply` },
          { name: 'profile', path: '/profile' },
          { name: 'companies', path: '/companies' },
          { name: 'documents', path: '/documents' },
          { name: 'kyc', path: '/kyc' },
        ];
        for (const { name, path: pagePath } of shown) {
          await page.goto(`${server.url}${pagePath}`);
          const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 0, `${name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
          await assertNoInlineCode(page, violations);
          await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
        }
        await page.goto(`${server.url}/applications`);
        const firstApplication = page.locator('.applications-table a').first();
        if (await firstApplication.count() > 0) {
          await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), firstApplication.click()]);
          await assertNoInlineCode(page, violations);
          await page.screenshot({ path: path.join(screenshotDir, `application-${language.code}-${viewport.name}.png`), fullPage: true });
        }
        await page.goto(`${server.url}/programmes`);
        assert.equal(await page.locator('h1').textContent(), SIGN_IN[language.code].programmes);
        await context.close();
      });
    }
  }
});

describe('screenshots of the officers\' pages', () => {
  const officers = [
    { username: 'credit1', pages: [{ name: 'application-queue', path: '/applications' }, { name: 'reviews', path: '/reviews' }] },
    { username: 'kyc1', pages: [{ name: 'kyc-queue', path: '/kyc/cases' }] },
  ];
  for (const viewport of VIEWPORTS) {
    for (const language of LANGUAGES) {
      test(`in ${language.code} at ${viewport.name} width hold their layout`, { skip: needsServices }, async () => {
        for (const officer of officers) {
          const { context, page, violations } = await openPage(viewport);
          await page.goto(`${server.url}/login`);
          await chooseLanguage(page, language);
          await signIn(page, officer.username, `${officer.username}-demo-pass`);
          for (const { name, path: pagePath } of officer.pages) {
            await page.goto(`${server.url}${pagePath}`);
            const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
            assert.ok(overflow <= 0, `${name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
            await assertNoInlineCode(page, violations);
            await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
          }
          const firstCase = page.locator('.kyc-table a, .applications-table a').first();
          if (await firstCase.count() > 0) {
            await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), firstCase.click()]);
            await assertNoInlineCode(page, violations);
            await page.screenshot({ path: path.join(screenshotDir, `${officer.username}-case-${language.code}-${viewport.name}.png`), fullPage: true });
          }
          await context.close();
        }
      });
    }
  }
});
