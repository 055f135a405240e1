// Term deposits in a real browser: Debian's Chromium driven by playwright-core, in each
// language. founder1 is refused a deposit below the product's minimum (in words beside the
// field), opens one from their sums, finds it on the list, reads its schedule and closes it
// early; admin1 is refused a product with a rate of 150 % and then sets one up.
// Run: DATABASE_URL=… node --test deposits.test.mjs (the demo then runs the accounts service
// with its three demo products, and founder1 has sums to place).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  assertSound, chooseLanguage, frontendAndBrowser, openPage, screenshotDir, skipWithoutServices, submit, VIEWPORTS,
} from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the accounts service with its demo deposit products');
const started = frontendAndBrowser(needsServices);

/** Each language with the words its pages carry. */
const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', title: 'Muddatli omonatlarim', belowMinimum: 'Summa bu omonatning eng kam summasidan kam.', closed: 'muddatidan oldin yopilgan', products: 'Omonat mahsulotlari', badRate: 'Stavka 0 dan katta va 100 dan kichik' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', title: 'Муддатли омонатларим', belowMinimum: 'Сумма бу омонатнинг энг кам суммасидан кам.', closed: 'муддатидан олдин ёпилган', products: 'Омонат маҳсулотлари', badRate: 'Ставка 0 дан катта ва 100 дан кичик' },
  { code: 'ru', button: 'Русский', title: 'Мои срочные вклады', belowMinimum: 'Сумма меньше минимальной для этого вклада.', closed: 'закрыт досрочно', products: 'Продукты вкладов', badRate: 'Ставка больше 0 и меньше 100' },
  { code: 'en', button: 'English', title: 'My term deposits', belowMinimum: "The amount is below this deposit's minimum.", closed: 'closed early', products: 'Deposit products', badRate: 'The rate is above 0 and below 100' },
];

const [DESKTOP, PHONE] = VIEWPORTS;

/** The demo product in sums with monthly interest, from 1,000,000 sums. */
const SAVINGS = 'Savings 12 months, interest monthly';

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

/** The value of the first option of `select` whose text starts with `label`. */
async function optionLabelled(page, select, label) {
  const options = await page.locator(`${select} option`).evaluateAll((all) => all.map((option) => [option.value, option.textContent]));
  const found = options.find(([, text]) => text.startsWith(label));
  assert.ok(found, `${label} among ${options.map(([, text]) => text)}`);
  return found[0];
}

/** The value of the first option of `select` whose account number carries `currencyCode` (000 for sums). */
async function optionIn(page, select, currencyCode) {
  const values = await page.locator(`${select} option`).evaluateAll((options) => options.map((option) => option.value));
  const found = values.find((number) => number.slice(5, 8) === currencyCode);
  assert.ok(found, `an account in ${currencyCode} among ${values}`);
  return found;
}

describe('term deposits', () => {
  for (const language of LANGUAGES) {
    test(`founder1 opens a deposit, finds it, reads its schedule and closes it early, in ${language.code}`, { skip: needsServices }, async () => {
      const { context, page, violations } = await openPage(started.browser, DESKTOP);
      await signIn(page, 'founder1', language);
      await page.goto(`${started.server.url}/deposits`);
      assert.equal((await page.locator('h1').textContent()).trim(), language.title);
      assert.ok(await page.locator('#products tbody tr').count() >= 3, 'the demo products, and those admin1 adds, on offer');
      await assertSound(page, violations, 'deposits', DESKTOP);
      await shoot(page, 'deposits', language, DESKTOP);

      await page.selectOption('#deposit-product', await optionLabelled(page, '#deposit-product', SAVINGS));
      await page.selectOption('#deposit-from', await optionIn(page, '#deposit-from', '000'));
      await page.fill('#deposit-amount', '1000');
      const refused = await submit(page, '#open-deposit-form');
      assert.equal(refused.status(), 422);
      assert.equal((await page.locator('#deposit-amount-error').textContent()).trim(), language.belowMinimum);
      assert.equal(await page.inputValue('#deposit-amount'), '1000', 'what was typed is kept');
      await assertSound(page, violations, 'deposits refused', DESKTOP);
      await shoot(page, 'deposits-refused', language, DESKTOP);

      const before = await page.locator('#deposits tbody tr').count();
      await page.fill('#deposit-amount', '2000000');
      await submit(page, '#open-deposit-form');
      assert.equal(new URL(page.url()).pathname, '/deposits');
      assert.equal(await page.locator('#deposits tbody tr').count(), before + 1, 'the new deposit is listed');

      // The newest deposit comes first.
      await Promise.all([
        page.waitForNavigation({ waitUntil: 'load' }),
        page.locator('#deposits tbody tr a').first().click(),
      ]);
      assert.match(new URL(page.url()).pathname, /^\/deposits\/[0-9a-f-]{36}$/);
      assert.equal((await page.locator('h1').textContent()).trim(), SAVINGS);
      assert.equal(await page.locator('#deposit-schedule tbody tr').count(), 12, 'twelve monthly periods');
      assert.match(await page.locator('#early-closure-returned').textContent(), /2[\s\u00a0,.]?000[\s\u00a0,.]?000/);
      await assertSound(page, violations, 'deposit', DESKTOP);
      await shoot(page, 'deposit', language, DESKTOP);

      await submit(page, '#close-deposit-form');
      assert.match(await page.locator('#deposit-state').textContent(), new RegExp(language.closed));
      assert.equal(await page.locator('#close-deposit-form').count(), 0, 'nothing left to close');
      await assertSound(page, violations, 'deposit closed', DESKTOP);
      await shoot(page, 'deposit-closed', language, DESKTOP);
      await context.close();
    });
  }

  // admin1 signs in once and changes language on the page: each sign-in of a staff member takes
  // a later second-factor step than the last, so signing in per language would wait for them.
  test('admin1 is refused a rate of 150 % and sets up a product, in every language', { skip: needsServices }, async () => {
    const { context, page, violations } = await openPage(started.browser, DESKTOP);
    await signIn(page, 'admin1', LANGUAGES[3]);
    for (const language of LANGUAGES) {
      await page.goto(`${started.server.url}/admin/deposit-products`);
      await chooseLanguage(page, language);
      assert.equal((await page.locator('h1').textContent()).trim(), language.products);
      const products = await page.locator('#deposit-products tbody tr').count();
      const name = `Spring ${language.code}`;
      await page.fill('#product-name', name);
      await page.selectOption('#product-currency', 'UZS');
      await page.fill('#product-term', '3');
      await page.fill('#product-rate', '150');
      await page.fill('#product-early-rate', '2');
      await page.fill('#product-min-amount', '250000');
      await page.selectOption('#product-payout', 'monthly');
      const refused = await submit(page, '#new-product-form');
      assert.equal(refused.status(), 422);
      assert.ok((await page.locator('#product-rate-error').textContent()).startsWith(language.badRate));
      assert.equal(await page.inputValue('#product-name'), name, 'what was typed is kept');
      await assertSound(page, violations, 'deposit products refused', DESKTOP);
      await shoot(page, 'admin-deposit-products-refused', language, DESKTOP);

      await page.fill('#product-rate', '16.5');
      await submit(page, '#new-product-form');
      assert.equal(new URL(page.url()).pathname, '/admin/deposit-products');
      assert.equal(await page.locator('#deposit-products tbody tr').count(), products + 1);
      assert.equal(await page.locator('#deposit-products tbody tr', { hasText: name }).count(), 1);
      await assertSound(page, violations, 'deposit products', DESKTOP);
      await shoot(page, 'admin-deposit-products', language, DESKTOP);
    }
    await context.close();
  });

  test('the deposit pages hold their layout on a phone in every language', { skip: needsServices }, async () => {
    const client = await openPage(started.browser, PHONE);
    await signIn(client.page, 'founder1', LANGUAGES[3]);
    const admin = await openPage(started.browser, PHONE);
    await signIn(admin.page, 'admin1', LANGUAGES[3]);
    for (const language of LANGUAGES) {
      await client.page.goto(`${started.server.url}/deposits`);
      await chooseLanguage(client.page, language);
      await assertSound(client.page, client.violations, 'deposits', PHONE);
      await shoot(client.page, 'deposits', language, PHONE);
      await Promise.all([
        client.page.waitForNavigation({ waitUntil: 'load' }),
        client.page.locator('#deposits tbody tr a').first().click(),
      ]);
      await assertSound(client.page, client.violations, 'deposit', PHONE);
      await shoot(client.page, 'deposit', language, PHONE);
      await admin.page.goto(`${started.server.url}/admin/deposit-products`);
      await chooseLanguage(admin.page, language);
      await assertSound(admin.page, admin.violations, 'deposit products', PHONE);
      await shoot(admin.page, 'admin-deposit-products', language, PHONE);
    }
    await client.context.close();
    await admin.context.close();
  });
});
