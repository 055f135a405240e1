// Staff administration in a real browser: admin1 creates a member of staff, grants them the
// credit officer role, revokes it, disables and re-enables their account; the staff page is
// shot in the four languages at desktop and phone width.
// Run: DATABASE_URL=… node --test people.test.mjs (the demo then runs the real services).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { assertAccessible, assertKeyboardReachable } from './accessibility.mjs';
import { chooseLanguage, frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, VIEWPORTS } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('every service but scoring');
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

/** Clicks `button` and waits for the page it leads to. */
async function press(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
  assert.equal(await page.locator('.notice-error').count(), 0, `no refusal on ${page.url()}`);
}

/** The row of the staff table that shows `username`. */
function rowOf(page, username) {
  return page.locator('tbody tr', { has: page.locator('.username', { hasText: username }) });
}

test('admin1 creates a member of staff, grants and revokes a role, disables and re-enables them', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'admin1');
  await page.goto(`${started.server.url}/admin/staff`);
  await chooseLanguage(page, LANGUAGES[3]);
  assert.equal(await page.locator('h1').innerText(), 'Staff and their access');

  const username = `staff${Date.now().toString(36)}`;
  await page.fill('#new-username', username);
  await page.fill('#new-display-name', 'Dilnoza Yusupova');
  await page.fill('#new-password', 'a-long-enough-password');
  await page.selectOption('#new-role', 'kyc_officer');
  await press(page, page.locator('form[action="/admin/staff"] button[type="submit"]'));
  const row = rowOf(page, username);
  assert.equal(await row.count(), 1, 'the new member of staff is listed');

  const roleCell = row.locator('td').nth(1);
  await row.locator('select[name="role"]').selectOption('credit_officer');
  await press(page, row.locator('form[action$="/roles/grant"] button').first());
  assert.match(await rowOf(page, username).locator('td').nth(1).innerText(), /credit officer/);

  await rowOf(page, username).locator('select[name="role"]').selectOption('credit_officer');
  await press(page, rowOf(page, username).locator('form[action$="/roles/grant"] button').nth(1));
  assert.doesNotMatch(await rowOf(page, username).locator('td').nth(1).innerText(), /credit officer/);
  assert.match(await roleCell.innerText(), /KYC officer/);

  await press(page, rowOf(page, username).locator('form[action$="/disable"] button'));
  assert.match(await rowOf(page, username).locator('td').nth(2).innerText(), /disabled/);
  await press(page, rowOf(page, username).locator('form[action$="/enable"] button'));
  assert.match(await rowOf(page, username).locator('td').nth(2).innerText(), /enabled/);

  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    for (const language of LANGUAGES) {
      await chooseLanguage(page, language);
      const step = `people-staff-${language.code}-${viewport.name}`;
      await assertAccessible(page, step);
      await assertKeyboardReachable(page, step);
      await page.screenshot({ path: path.join(screenshotDir, `${step}.png`), fullPage: true });
    }
  }
  await context.close();
});
