// A loan rescheduled, then written off, in a real browser: credit1 proposes a longer term for
// founder1's paid-out loan (a missing reason refused beside its field first) and dual1
// confirms it, after which the page shows the new schedule and the one it replaced in each
// language; then approver1 proposes writing the loan off, dual1 confirms it, and founder1
// pays part of the debt back from the contract page; a payment above what is still owed is
// refused in each language, and the loan book counts what came back.
// Run: DATABASE_URL=… node --test recoveries.test.mjs (the demo then runs the real services).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { chooseLanguage, frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, submit } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('every service but scoring');
const started = frontendAndBrowser(needsServices);

// The contract page's words for what this test reads, in the order of LANGUAGES.
const WORDS = {
  'uz-Latn': { title: 'Hisobdan chiqarish', tooMuch: 'Summa qolgan qarzdan koʻp.' },
  'uz-Cyrl': { title: 'Ҳисобдан чиқариш', tooMuch: 'Сумма қолган қарздан кўп.' },
  ru: { title: 'Списание', tooMuch: 'Сумма больше оставшегося долга.' },
  en: { title: 'Written off', tooMuch: 'The amount is more than what is still owed.' },
};
const ENGLISH = LANGUAGES[3];

/** A fresh desktop page signed in as `username` (with the second factor for staff), in English. */
async function signedIn(username) {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${started.server.url}/login`);
  await chooseLanguage(page, ENGLISH);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await submit(page, '#login-form');
  await passSecondFactor(page, username);
  assert.notEqual(new URL(page.url()).pathname, '/login', `${username} is signed in`);
  return { context, page };
}

/** The amount a figure of the page shows, as a number of minor units. */
async function minorUnits(page, selector) {
  const text = await page.locator(selector).innerText();
  const digits = text.replace(/[^0-9]/g, '');
  return Number(digits);
}

// The heading of the schedule a rescheduling replaced, in the order of LANGUAGES.
const REPLACED = {
  'uz-Latn': 'Qayta tuzishdan oldingi jadval (muddatni 3 oyga uzaytirish)',
  'uz-Cyrl': 'Қайта тузишдан олдинги жадвал (муддатни 3 ойга узайтириш)',
  ru: 'График до реструктуризации (увеличение срока на 3 месяца)',
  en: 'The schedule before a term 3 months longer',
};

test('credit1 proposes a longer term for founder1\'s loan and dual1 confirms it', { skip: needsServices }, async () => {
  const founder = await signedIn('founder1');
  await founder.page.goto(`${started.server.url}/contracts`);
  const contractPath = await founder.page.locator('#contracts li', { hasText: 'Active' }).locator('h2 a').getAttribute('href');
  await founder.page.goto(`${started.server.url}${contractPath}`);
  const rowsBefore = await founder.page.locator('#schedule tbody tr').count();
  assert.equal(await founder.page.locator('#reschedule-form').count(), 0, 'founders do not reschedule');

  const officer = await signedIn('credit1');
  await officer.page.goto(`${started.server.url}${contractPath}`);
  await officer.page.selectOption('#reschedule-kind', 'longer_term');
  await officer.page.fill('#reschedule-months', '3');
  await submit(officer.page, '#reschedule-form');
  assert.equal((await officer.page.locator('#reschedule-reason-error').innerText()).trim(), 'Fill in this field.');
  assert.equal(await officer.page.inputValue('#reschedule-months'), '3', 'what was typed is kept');
  await officer.page.fill('#reschedule-reason', 'Sales are seasonal; spread the rest over three more months.');
  await submit(officer.page, '#reschedule-form');
  assert.equal(await officer.page.locator('#form-errors').count(), 0, 'the proposal is taken');
  assert.equal(await officer.page.locator('#reschedule-proposal-what').innerText(), 'a term 3 months longer');
  assert.ok(await officer.page.locator('#reschedule-proposed-rows tbody tr').count() > 3);
  assert.equal(await officer.page.locator('#reschedule-confirm-form').count(), 0, 'an officer does not confirm');
  await officer.context.close();

  const approver = await signedIn('dual1');
  await approver.page.goto(`${started.server.url}${contractPath}`);
  await submit(approver.page, '#reschedule-confirm-form');
  assert.equal(await approver.page.locator('#reschedule-proposal').count(), 0, 'nothing is pending');
  assert.equal(await approver.page.locator('#schedule tbody tr').count(), rowsBefore + 3);
  await approver.context.close();

  for (const language of LANGUAGES) {
    await founder.page.goto(`${started.server.url}${contractPath}`);
    await chooseLanguage(founder.page, language);
    const summary = await founder.page.locator('#schedule-version-1 summary').innerText();
    assert.ok(summary.startsWith(REPLACED[language.code]), `${language.code}: ${summary}`);
  }
  await founder.context.close();
});

test('two approvers write off founder1\'s loan and founder1 pays part of it back', { skip: needsServices }, async () => {
  const founder = await signedIn('founder1');
  await founder.page.goto(`${started.server.url}/contracts`);
  const activeLoan = founder.page.locator('#contracts li', { hasText: 'Active' }).locator('h2 a');
  assert.equal(await activeLoan.count(), 1, 'founder1 has one loan paid out');
  const contractPath = await activeLoan.getAttribute('href');
  await founder.page.goto(`${started.server.url}${contractPath}`);
  assert.equal(await founder.page.locator('#written-off').count(), 0, 'an active loan shows no write-off');

  const proposer = await signedIn('approver1');
  await proposer.page.goto(`${started.server.url}${contractPath}`);
  await proposer.page.fill('#write-off-reason', 'The company stopped trading.');
  await proposer.page.check('#write-off-confirmed');
  await submit(proposer.page, '#write-off-form');
  assert.equal(await proposer.page.locator('#form-errors').count(), 0, 'the proposal is taken');
  assert.equal(await proposer.page.locator('#write-off-confirm-form').count(), 0, 'the proposer cannot confirm');
  await proposer.context.close();

  const confirmer = await signedIn('dual1');
  await confirmer.page.goto(`${started.server.url}${contractPath}`);
  await submit(confirmer.page, '#write-off-confirm-form');
  assert.equal(await confirmer.page.locator('#contract-status').innerText(), 'Written off');
  const writtenOff = await minorUnits(confirmer.page, '#written-off-principal');
  assert.ok(writtenOff > 0, 'the outstanding principal was written off');
  assert.equal(await minorUnits(confirmer.page, '#still-owed'), writtenOff);
  assert.equal(await confirmer.page.locator('#recovery-form').count(), 0, 'staff do not pay from the client\'s account');

  // More than is still owed is refused beside the field, in the founder's language.
  for (const language of LANGUAGES) {
    await founder.page.goto(`${started.server.url}${contractPath}`);
    await chooseLanguage(founder.page, language);
    assert.equal(await founder.page.locator('#written-off h2').innerText(), WORDS[language.code].title);
    await founder.page.fill('#recovery-amount', '999999999999');
    const refused = await submit(founder.page, '#recovery-form');
    assert.equal(refused.status(), 422);
    assert.equal(await founder.page.locator('#recovery-amount-error').innerText(), WORDS[language.code].tooMuch);
  }
  await founder.page.goto(`${started.server.url}${contractPath}`);
  await chooseLanguage(founder.page, ENGLISH);
  await founder.page.fill('#recovery-amount', '1,000.00');
  await submit(founder.page, '#recovery-form');
  assert.equal(await founder.page.locator('#form-errors').count(), 0, 'the payment is taken');
  assert.equal(await minorUnits(founder.page, '#recovered'), 100000);
  assert.equal(await minorUnits(founder.page, '#still-owed'), writtenOff - 100000);
  await founder.page.screenshot({ path: path.join(screenshotDir, 'contract-written-off-recovered-en.png'), fullPage: true });
  await founder.context.close();

  await confirmer.page.goto(`${started.server.url}/loan-book`);
  const recoveredCell = confirmer.page.locator('#book-currencies tbody tr').first().locator('td').last();
  assert.match(await recoveredCell.innerText(), /1,000\.00/);
  await confirmer.context.close();
});
