// Accounts in three currencies, exchange between them and the bank's rates, in a real browser:
// Debian's Chromium driven by playwright-core, in each language.
// Run: DATABASE_URL=… node --test exchange.test.mjs (the demo then runs the accounts service
// with its demo rates, and founder1 has sums to exchange).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  assertSound, chooseLanguage, frontendAndBrowser, openPage, screenshotDir, skipWithoutServices, submit, VIEWPORTS,
} from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the accounts service and the demo logins');
const started = frontendAndBrowser(needsServices);

/** Each language with the headings its pages carry. */
const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', exchange: 'Hisobvaraqlarim orasida ayirboshlash', confirm: 'Ayirboshlashni tasdiqlang', done: 'Ayirboshlandi', fx: 'Valyuta kurslari', payments: 'Toʻlov shablonlari va doimiy topshiriqlar' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', exchange: 'Ҳисобварақларим орасида айирбошлаш', confirm: 'Айирбошлашни тасдиқланг', done: 'Айирбошланди', fx: 'Валюта курслари', payments: 'Тўлов шаблонлари ва доимий топшириқлар' },
  { code: 'ru', button: 'Русский', exchange: 'Обмен между моими счетами', confirm: 'Подтвердите обмен', done: 'Обмен выполнен', fx: 'Курсы валют', payments: 'Шаблоны платежей и постоянные поручения' },
  { code: 'en', button: 'English', exchange: 'Exchange between my accounts', confirm: 'Confirm the exchange', done: 'Exchange done', fx: 'Exchange rates', payments: 'Payment templates and standing orders' },
];

const [DESKTOP] = VIEWPORTS;

async function signIn(page, username, language) {
  await page.goto(`${started.server.url}/login`);
  await chooseLanguage(page, language);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await submit(page, '#login-form');
  await passSecondFactor(page, username);
}

async function shoot(page, name, language, viewport) {
  await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
}

/** The value of the first option of `select` whose account number carries `currencyCode` (000 for sums). */
async function optionIn(page, select, currencyCode) {
  const values = await page.locator(`${select} option`).evaluateAll((options) => options.map((option) => option.value));
  const found = values.find((number) => number.slice(5, 8) === currencyCode);
  assert.ok(found, `an account in ${currencyCode} among ${values}`);
  return found;
}

describe('a client exchanges between their own accounts', () => {
  for (const language of LANGUAGES) {
    test(`founder1 opens a dollar account if need be and exchanges sums into it, in ${language.code}`, { skip: needsServices }, async () => {
      const { context, page, violations } = await openPage(started.browser, DESKTOP);
      await signIn(page, 'founder1', language);
      await page.goto(`${started.server.url}/accounts`);
      if (await page.locator('#open-currency option[value="USD"]').count() > 0) {
        await page.selectOption('#open-currency', 'USD');
        await page.fill('#open-name', 'Travel');
        await submit(page, '#open-account-form');
        assert.equal(new URL(page.url()).pathname, '/accounts');
      }
      assert.equal(await page.locator('#exchange-link').count(), 1, 'two currencies: the exchange is offered');
      await assertSound(page, violations, 'accounts', DESKTOP);
      await shoot(page, 'accounts-currencies', language, DESKTOP);

      await page.goto(`${started.server.url}/exchange`);
      assert.equal((await page.locator('h1').textContent()).trim(), language.exchange);
      assert.ok(await page.locator('#rates tbody tr').count() >= 3, 'the three pairs in force');
      await assertSound(page, violations, 'exchange', DESKTOP);
      await shoot(page, 'exchange', language, DESKTOP);
      await page.selectOption('#exchange-from', await optionIn(page, '#exchange-from', '000'));
      await page.selectOption('#exchange-to', await optionIn(page, '#exchange-to', '840'));
      await page.check('input[name="amount_side"][value="sell"]');
      await page.fill('#exchange-amount', '126900');
      await submit(page, '#exchange-form');
      assert.equal((await page.locator('h1').textContent()).trim(), language.confirm);
      assert.match(await page.locator('#quote-buy').textContent(), /10[.,]00/, 'at the demo rate 12 690, ten dollars');
      await assertSound(page, violations, 'exchange confirmation', DESKTOP);
      await shoot(page, 'exchange-confirm', language, DESKTOP);
      await submit(page, 'form.page-form');
      assert.equal((await page.locator('h1').textContent()).trim(), language.done);
      await shoot(page, 'exchange-done', language, DESKTOP);
      await context.close();
    });

    test(`finance1 proposes a rate and admin1 publishes it, in ${language.code}`, { skip: needsServices }, async () => {
      const finance = await openPage(started.browser, DESKTOP);
      await signIn(finance.page, 'finance1', language);
      await finance.page.goto(`${started.server.url}/fx`);
      assert.equal((await finance.page.locator('h1').textContent()).trim(), language.fx);
      await finance.page.selectOption('#rate-pair', 'EUR/USD');
      await finance.page.fill('#rate-buy', '1.15');
      await finance.page.fill('#rate-sell', '1.17');
      await submit(finance.page, '#rate-form');
      assert.equal(await finance.page.locator('#rates-pending .card form').count(), 0, 'no buttons on its own proposal');
      await assertSound(finance.page, finance.violations, 'rates', DESKTOP);
      await shoot(finance.page, 'fx-proposed', language, DESKTOP);
      await finance.context.close();

      const admin = await openPage(started.browser, DESKTOP);
      await signIn(admin.page, 'admin1', language);
      await admin.page.goto(`${started.server.url}/fx`);
      const pending = await admin.page.locator('#rates-pending .card').count();
      assert.ok(pending >= 1, 'the proposal waits for a second person');
      await submit(admin.page, admin.page.locator('#rates-pending form[action$="/publish"]').first());
      assert.equal(await admin.page.locator('#rates-pending .card').count(), pending - 1, 'published, no longer waiting');
      await assertSound(admin.page, admin.violations, 'rates', DESKTOP);
      await shoot(admin.page, 'fx-published', language, DESKTOP);
      await admin.context.close();
    });
  }

  test('founder1 saves a template, orders it monthly, cancels the order and sends with the template, in every language', { skip: needsServices }, async () => {
    // The destination: founder2's current account, as founder2's own accounts page shows it.
    const other = await openPage(started.browser, DESKTOP);
    await signIn(other.page, 'founder2', LANGUAGES[3]);
    await other.page.goto(`${started.server.url}/accounts`);
    const destination = (await other.page.locator('#accounts a').first().textContent()).trim();
    await other.context.close();
    for (const language of LANGUAGES) {
      const { context, page, violations } = await openPage(started.browser, DESKTOP);
      await signIn(page, 'founder1', language);
      await page.goto(`${started.server.url}/payments`);
      assert.equal((await page.locator('h1').textContent()).trim(), language.payments);
      await page.selectOption('#template-from', await optionIn(page, '#template-from', '000'));
      await page.fill('#template-name', `Rent ${language.code}`);
      await page.fill('#template-to', destination);
      await page.fill('#template-amount', '1000');
      await submit(page, '#template-form');
      assert.equal(new URL(page.url()).pathname, '/payments');
      const templates = await page.locator('#templates tbody tr').count();
      assert.ok(templates >= 1, 'the template is listed');
      await page.fill('#order-day', '5');
      await submit(page, '#order-form');
      const active = await page.locator('#orders form[action$="/cancel"]').count();
      assert.ok(active >= 1, 'an active order can be cancelled');
      await assertSound(page, violations, 'payments', DESKTOP);
      await shoot(page, 'payments', language, DESKTOP);
      await submit(page, page.locator('#orders form[action$="/cancel"]').first());
      assert.equal(await page.locator('#orders form[action$="/cancel"]').count(), active - 1, 'cancelled');
      // A template fills in the transfer form.
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.locator('#templates tbody tr a').first().click()]);
      assert.equal(new URL(page.url()).pathname, '/transfers/new');
      assert.equal(await page.inputValue('#to-account'), destination);
      assert.equal(await page.inputValue('#transfer-amount'), '1000.00');
      await context.close();
    }
  });

  test('the new pages hold their layout on a phone in every language', { skip: needsServices }, async () => {
    const phone = VIEWPORTS[1];
    for (const language of LANGUAGES) {
      const client = await openPage(started.browser, phone);
      await signIn(client.page, 'founder1', language);
      for (const [name, pagePath] of [['accounts-currencies', '/accounts'], ['exchange', '/exchange'], ['payments', '/payments']]) {
        await client.page.goto(`${started.server.url}${pagePath}`);
        await assertSound(client.page, client.violations, name, phone);
        await shoot(client.page, name, language, phone);
      }
      await client.context.close();
      const finance = await openPage(started.browser, phone);
      await signIn(finance.page, 'finance1', language);
      await finance.page.goto(`${started.server.url}/fx`);
      await assertSound(finance.page, finance.violations, 'rates', phone);
      await shoot(finance.page, 'fx', language, phone);
      await finance.context.close();
    }
  });
});
