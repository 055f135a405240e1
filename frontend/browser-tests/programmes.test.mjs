// The administrator's programmes and audit trail in a real browser: admin1 changes a demo
// programme's budget, is refused a budget below its floor (the reason beside the field), and
// finds the accepted change on the audit page with its before and after.
// Screenshots of both pages in the four languages at desktop and phone width.
// Run: DATABASE_URL=… node --test programmes.test.mjs (the demo then runs the real services
// with their demo data).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { assertAccessible, assertKeyboardReachable } from './accessibility.mjs';
import { frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, VIEWPORTS } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the services with their demo data');
const started = frontendAndBrowser(needsServices);

async function chooseLanguage(page, language) {
  await Promise.all([
    page.waitForURL(/.*/, { waitUntil: 'load' }),
    page.getByRole('button', { name: language.button, exact: true }).click(),
  ]);
  assert.equal(await page.getAttribute('html', 'lang'), language.code);
}

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

/** Submits `form` and waits for the page it leads to. */
async function submit(page, form) {
  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    form.locator('button[type="submit"]').click(),
  ]);
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
  await context.close();
});

for (const viewport of VIEWPORTS) {
  test(`the administration pages in four languages at ${viewport.name} width`, { skip: needsServices }, async () => {
    const context = await started.browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
    const page = await context.newPage();
    await signIn(page, 'admin1');
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      for (const [name, pagePath] of [['admin-programmes', '/admin/programmes'], ['admin-audit', '/admin/audit?subject_type=programme']]) {
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
