// Payments to other banks in a real browser: Debian's Chromium driven by playwright-core, in
// each language. founder1 is refused a payment to an account number whose check digit does not
// match the bank code (in words beside the field), then pays the right number at bank 00440
// and finds the payment accepted with its money held; finance1 is refused a clearing file
// broken at its third line and then hands in one that credits founder1's account.
// Run: DATABASE_URL=… node --test other_banks.test.mjs (the demo then runs the accounts service,
// founder1 has sums to pay from, and no clearing run: a payment stays accepted).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import {
  assertSound, chooseLanguage, frontendAndBrowser, openPage, screenshotDir, skipWithoutServices, submit, VIEWPORTS,
} from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the accounts service and the demo logins');
const started = frontendAndBrowser(needsServices);

/** Each language with the words its pages carry. */
const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', title: 'Boshqa bankka toʻlov', wrongBank: 'Bu raqam koʻrsatilgan bankka tegishli emas: hisobvaraq raqamini ham, bank kodini ham tekshiring.', accepted: 'qabul qilingan', held: 'Pul hisobvaraqingizda band qilingan', clearing: 'Banklararo kliring', line: '3-satr:' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', title: 'Бошқа банкка тўлов', wrongBank: 'Бу рақам кўрсатилган банкка тегишли эмас: ҳисобварақ рақамини ҳам, банк кодини ҳам текширинг.', accepted: 'қабул қилинган', held: 'Пул ҳисобварағингизда банд қилинган', clearing: 'Банклараро клиринг', line: '3-сатр:' },
  { code: 'ru', button: 'Русский', title: 'Платёж в другой банк', wrongBank: 'Этот номер не принадлежит указанному банку: проверьте и номер счёта, и код банка.', accepted: 'принят', held: 'Деньги заблокированы на вашем счёте', clearing: 'Межбанковский клиринг', line: 'Строка 3:' },
  { code: 'en', button: 'English', title: 'Pay to another bank', wrongBank: 'This number does not belong to that bank: check both the account number and the bank code.', accepted: 'accepted', held: 'The money is held on your account', clearing: 'Interbank clearing', line: 'Line 3:' },
];

const [DESKTOP, PHONE] = VIEWPORTS;

/**
 * A company's account in sums at bank 00440 (owner 12345678, serial 1), as the accounts
 * service's numbering issues it; the Rust page test checks it against that scheme.
 */
const PAYEE = '20208000612345678001';
/** The same number with another check digit (its ninth digit), which belongs to no bank. */
const WRONG_CHECK_DIGIT = '20208000912345678001';

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

/** An incoming clearing file paying `amount` sums to `account` under `reference`. */
function incomingFile(reference, account, amount) {
  return [
    'IMKON-CLEARING 1 INCOMING 2026-12-05',
    `${reference}|00440|${PAYEE}|OOO Silk Road Software|${account}|${amount}|Refund of invoice 42`,
    `TOTAL 1|${amount}`,
  ].join('\n');
}

describe('payments to other banks', () => {
  for (const language of LANGUAGES) {
    test(`founder1 is refused a number of another bank and pays one at bank 00440, in ${language.code}`, { skip: needsServices }, async () => {
      const { context, page, violations } = await openPage(started.browser, DESKTOP);
      await signIn(page, 'founder1', language);
      await page.goto(`${started.server.url}/other-banks`);
      assert.equal((await page.locator('h1').textContent()).trim(), language.title);
      await assertSound(page, violations, 'other banks', DESKTOP);
      await shoot(page, 'other-banks', language, DESKTOP);

      await page.fill('#interbank-bank', '00440');
      await page.fill('#interbank-account', WRONG_CHECK_DIGIT);
      await page.fill('#interbank-recipient', 'OOO Silk Road Software');
      await page.fill('#interbank-purpose', 'Invoice 42 for software development');
      await page.fill('#interbank-amount', '150000');
      const refused = await submit(page, '#interbank-form');
      assert.equal(refused.status(), 422);
      assert.equal((await page.locator('#interbank-account-error').textContent()).trim(), language.wrongBank);
      assert.equal(await page.inputValue('#interbank-account'), WRONG_CHECK_DIGIT, 'what was typed is kept');
      await assertSound(page, violations, 'other banks refused', DESKTOP);
      await shoot(page, 'other-banks-refused', language, DESKTOP);

      await page.fill('#interbank-account', PAYEE);
      await submit(page, '#interbank-form');
      assert.match(new URL(page.url()).pathname, /^\/other-banks\/[0-9a-f-]{36}$/);
      assert.equal((await page.locator('#interbank-state').textContent()).trim(), language.accepted);
      assert.ok((await page.locator('#interbank-state-meaning').textContent()).startsWith(language.held));
      await assertSound(page, violations, 'other bank payment', DESKTOP);
      await shoot(page, 'other-bank-payment', language, DESKTOP);

      await page.goto(`${started.server.url}/other-banks`);
      const rows = page.locator('#interbank-payments tbody tr');
      assert.ok(await rows.count() >= 1, 'the payment is listed');
      assert.equal((await rows.first().locator('.interbank-state').textContent()).trim(), language.accepted, 'the newest first, accepted');
      await context.close();
    });
  }

  // finance1 signs in once and changes language on the page: each sign-in of a staff member
  // takes a later second-factor step than the last, so signing in per language would wait.
  test('finance1 is refused a broken clearing file and hands in one, in every language', { skip: needsServices }, async () => {
    const client = await openPage(started.browser, DESKTOP);
    await signIn(client.page, 'founder1', LANGUAGES[3]);
    await client.page.goto(`${started.server.url}/other-banks`);
    const account = await client.page.locator('#interbank-from option').first().getAttribute('value');
    await client.context.close();

    const { context, page, violations } = await openPage(started.browser, DESKTOP);
    await signIn(page, 'finance1', LANGUAGES[3]);
    for (const language of LANGUAGES) {
      await page.goto(`${started.server.url}/clearing`);
      await chooseLanguage(page, language);
      assert.equal((await page.locator('h1').textContent()).trim(), language.clearing);
      await assertSound(page, violations, 'clearing', DESKTOP);
      await shoot(page, 'clearing', language, DESKTOP);

      const reference = `CLR-${language.code}-${Date.now()}`;
      await page.fill('#clearing-file-name', `IN-${language.code}.txt`);
      await page.fill('#clearing-content', incomingFile(reference, account, '1250.00').replace('TOTAL 1|', 'TOTAL 2|'));
      const refused = await submit(page, '#clearing-file-form');
      assert.equal(refused.status(), 422);
      assert.ok((await page.locator('#clearing-content-fault').textContent()).startsWith(language.line));
      assert.equal(await page.inputValue('#clearing-file-name'), `IN-${language.code}.txt`, 'what was typed is kept');
      await assertSound(page, violations, 'clearing refused', DESKTOP);
      await shoot(page, 'clearing-refused', language, DESKTOP);

      await page.fill('#clearing-content', incomingFile(reference, account, '1250.00'));
      const handedIn = await submit(page, '#clearing-file-form');
      assert.equal(handedIn.status(), 200);
      assert.equal((await page.locator('#clearing-credited').textContent()).trim(), '1');
      assert.equal((await page.locator('#clearing-already-received').textContent()).trim(), '0');
      await assertSound(page, violations, 'clearing report', DESKTOP);
      await shoot(page, 'clearing-report', language, DESKTOP);
    }
    await context.close();
  });

  test('the pages of payments to other banks hold their layout on a phone in every language', { skip: needsServices }, async () => {
    const client = await openPage(started.browser, PHONE);
    await signIn(client.page, 'founder1', LANGUAGES[3]);
    const finance = await openPage(started.browser, PHONE);
    await signIn(finance.page, 'finance1', LANGUAGES[3]);
    for (const language of LANGUAGES) {
      await client.page.goto(`${started.server.url}/other-banks`);
      await chooseLanguage(client.page, language);
      await assertSound(client.page, client.violations, 'other banks', PHONE);
      await shoot(client.page, 'other-banks', language, PHONE);
      const payments = client.page.locator('#interbank-payments tbody tr a');
      if (await payments.count() > 0) {
        await Promise.all([
          client.page.waitForNavigation({ waitUntil: 'load' }),
          payments.first().click(),
        ]);
        await assertSound(client.page, client.violations, 'other bank payment', PHONE);
        await shoot(client.page, 'other-bank-payment', language, PHONE);
      }
      await finance.page.goto(`${started.server.url}/clearing`);
      await chooseLanguage(finance.page, language);
      await assertSound(finance.page, finance.violations, 'clearing', PHONE);
      await shoot(finance.page, 'clearing', language, PHONE);
    }
    await client.context.close();
    await finance.context.close();
  });
});
