// Passwords and the founder's inbox in a real browser: a founder changes their password and
// signs in with the new one (the old one fails); a founder who forgot theirs sets a new one
// from the emailed link (the demo prints its mail); a member of staff given a one-time password
// by admin1 chooses their own and lands on their home; founder1 applies for a grant, the menu
// counts the unread notifications, and opening one marks it read. Each new page is shot in the
// four languages at desktop and phone width.
// Run: DATABASE_URL=… node --test passwords.test.mjs (the demo then runs the real services).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { assertAccessible, assertKeyboardReachable } from './accessibility.mjs';
import { frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, VIEWPORTS } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('every service but scoring');
const started = frontendAndBrowser(needsServices);

/** Clicks `button` and waits for the page it leads to. */
async function press(page, button) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), button.click()]);
}

/** Submits the login form with `password`; passes the second factor when asked. */
async function signIn(page, username, password = `${username}-demo-pass`) {
  await page.goto(`${started.server.url}/login`);
  await page.fill('#username', username);
  await page.fill('#password', password);
  await press(page, page.locator('#login-form button[type="submit"]'));
  await passSecondFactor(page, username);
}

async function speakEnglish(page) {
  await press(page, page.getByRole('button', { name: 'English', exact: true }));
}

/** Shoots the page in every language and viewport, checking contrast and the keyboard. */
async function shootEverywhere(page, name) {
  for (const viewport of VIEWPORTS) {
    await page.setViewportSize({ width: viewport.width, height: viewport.height });
    for (const language of LANGUAGES) {
      await press(page, page.getByRole('button', { name: language.button, exact: true }));
      assert.equal(await page.getAttribute('html', 'lang'), language.code);
      const step = `passwords-${name}-${language.code}-${viewport.name}`;
      await assertAccessible(page, step);
      await assertKeyboardReachable(page, step);
      await page.screenshot({ path: path.join(screenshotDir, `${step}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1280, height: 800 });
  await speakEnglish(page);
}

async function fillNewPassword(page, password, again = password) {
  await page.fill('#new_password', password);
  await page.fill('#new_password_again', again);
}

test('a founder changes their password, signs out and signs in with the new one', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'founder2');
  await speakEnglish(page);
  await press(page, page.locator('nav.main-nav a[href="/account/password"]'));
  assert.equal(await page.locator('h1').innerText(), 'Change password');
  await shootEverywhere(page, 'change');

  await page.fill('#old_password', 'not-the-password');
  await fillNewPassword(page, 'founder2-new-secret-1');
  await press(page, page.locator('#password-form button[type="submit"]'));
  assert.match(await page.locator('#old_password-error').innerText(), /current password is not right/);

  await page.fill('#old_password', 'founder2-demo-pass');
  await fillNewPassword(page, 'founder2-new-secret-1');
  await press(page, page.locator('#password-form button[type="submit"]'));
  assert.match(await page.locator('#password-done').innerText(), /has been changed/);

  await press(page, page.locator('form.sign-out button'));
  await signIn(page, 'founder2');
  assert.equal(new URL(page.url()).pathname, '/login', 'the old password no longer works');
  assert.match(await page.locator('#form-errors').innerText(), /username or password is not right/);
  await signIn(page, 'founder2', 'founder2-new-secret-1');
  assert.equal(new URL(page.url()).pathname, '/accounts');
  await context.close();
});

test('a founder who forgot their password sets a new one from the emailed link', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${started.server.url}/login`);
  await speakEnglish(page);
  await press(page, page.locator('a[href="/password/forgot"]'));
  assert.equal(await page.locator('h1').innerText(), 'Forgotten password');
  await shootEverywhere(page, 'forgot');

  const seen = started.server.mailCount();
  await page.fill('#email', 'founder3@demo.imkon.uz');
  await press(page, page.locator('#password-form button[type="submit"]'));
  const confirmation = await page.locator('#password-done').innerText();
  await page.goto(`${started.server.url}/password/forgot`);
  await page.fill('#email', 'nobody@example.com');
  await press(page, page.locator('#password-form button[type="submit"]'));
  assert.equal(await page.locator('#password-done').innerText(), confirmation, 'the same answer for an unknown address');

  const link = new URL(await started.server.mailTo('founder3@demo.imkon.uz', seen));
  assert.equal(link.pathname, '/password/reset');
  await page.goto(`${started.server.url}/password/reset${link.search}`);
  assert.equal(await page.locator('h1').innerText(), 'Set a new password');
  await shootEverywhere(page, 'reset');
  await fillNewPassword(page, 'founder3-new-secret-1', 'founder3-other-secret');
  await press(page, page.locator('#password-form button[type="submit"]'));
  assert.match(await page.locator('#new_password_again-error').innerText(), /not the same/);
  await fillNewPassword(page, 'founder3-new-secret-1');
  await press(page, page.locator('#password-form button[type="submit"]'));
  assert.equal(new URL(page.url()).pathname, '/login');
  assert.match(await page.locator('#password-set').innerText(), /new password is set/);

  await signIn(page, 'founder3', 'founder3-new-secret-1');
  assert.equal(new URL(page.url()).pathname, '/accounts');
  await context.close();
});

test('a member of staff given a one-time password by admin1 chooses their own and lands on their home', { skip: needsServices }, async () => {
  const admin = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const adminPage = await admin.newPage();
  await signIn(adminPage, 'admin1');
  await adminPage.goto(`${started.server.url}/admin/staff`);
  await speakEnglish(adminPage);
  const row = adminPage.locator('tbody tr', { has: adminPage.locator('.username', { hasText: /^kyc1$/ }) });
  await press(adminPage, row.locator('form[action$="/one-time-password"] button'));
  const oneTime = (await adminPage.locator('p.notice code').innerText()).trim();
  assert.ok(oneTime.length >= 12, 'the one-time password is shown once');
  await admin.close();

  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await page.goto(`${started.server.url}/login`);
  await speakEnglish(page);
  await page.fill('#username', 'kyc1');
  await page.fill('#password', oneTime);
  await press(page, page.locator('#login-form button[type="submit"]'));
  assert.equal(new URL(page.url()).pathname, '/login/new-password');
  assert.equal(await page.locator('h1').innerText(), 'Choose your own password');
  await shootEverywhere(page, 'must-change');
  await fillNewPassword(page, 'kyc1-own-secret-123');
  await press(page, page.locator('#password-form button[type="submit"]'));
  await passSecondFactor(page, 'kyc1');
  assert.equal(new URL(page.url()).pathname, '/kyc/cases', 'kyc1 lands on their queue');
  await context.close();
});

const MVP_GRANT = '01935f1e-6a00-7c3d-9e1a-6b2f3c4d6a02';

/** Applies to the co-funding grant as the signed-in founder: the submission notifies them. */
async function submitGrantApplication(page) {
  await page.goto(`${started.server.url}/programmes/${MVP_GRANT}/apply`);
  await page.fill('#requested_amount', '50,000,000.00');
  await page.fill('#term_months', '12');
  await page.fill('#project_cost', '200,000,000.00');
  await press(page, page.locator('#apply-form button[type="submit"]'));
  await page.fill('#q-project_summary', 'A marketplace for farm produce.');
  await page.fill('#q-team_experience_years', '6');
  await page.selectOption('#q-technical_founder', 'yes');
  await page.selectOption('#q-product_stage', 'mvp');
  await page.fill('#q-monthly_active_users', '1,200');
  await page.selectOption('#q-target_market', 'uzbekistan');
  await page.selectOption('#q-it_park_resident', 'yes');
  await page.fill('#q-jobs_to_be_created', '12');
  await press(page, page.locator('#apply-form button[type="submit"]'));
  await press(page, page.locator('#apply-form button[type="submit"]'));
  assert.match(new URL(page.url()).pathname, /^\/applications\/[0-9a-f-]{36}$/, 'the application is submitted');
}

test('founder1 sees the unread count in the menu and opening a notification marks it read', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  await signIn(page, 'founder1');
  await speakEnglish(page);
  await submitGrantApplication(page);
  const entry = page.locator('nav.main-nav a[href="/inbox"]');
  const before = Number((await entry.innerText()).match(/\((\d+) new\)/)?.[1] ?? 0);
  assert.ok(before > 0, `the submission notified founder1: ${await entry.innerText()}`);
  await press(page, entry);
  assert.equal(await page.locator('h1').innerText(), 'Notifications');
  assert.equal(await page.locator('.card.unread').count(), Math.min(before, 20));
  await shootEverywhere(page, 'inbox');

  await press(page, page.locator('.card.unread a').first());
  assert.match(new URL(page.url()).pathname, /^\/inbox\/[0-9a-f-]{36}$/);
  const after = Number((await entry.innerText()).match(/\((\d+) new\)/)?.[1] ?? 0);
  assert.equal(after, before - 1, 'the opened notification is read');
  await shootEverywhere(page, 'notification');
  await press(page, page.locator('a[href="/inbox"]').last());
  assert.equal(await page.locator('.card.unread').count(), Math.min(before - 1, 20));
  await context.close();
});
