// Each role's home in a real browser: Debian's Chromium driven by playwright-core.
// Run: DATABASE_URL=… node --test homes.test.mjs (the demo then runs the services whose demo
// logins these are).

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';

import { assertAccessible } from './accessibility.mjs';
import { chooseLanguage, frontendAndBrowser, screenshotDir, skipWithoutServices, submit, VIEWPORTS } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the services of the demo logins');
const started = frontendAndBrowser(needsServices);

/** Each demo login, the home it lands on and that home's heading in English. A client who has
 * not applied for funding (no demo client has yet) lands on their accounts. */
const HOMES = [
  ['founder1', '/accounts', 'My accounts'],
  ['founder2', '/accounts', 'My accounts'],
  ['founder3', '/accounts', 'My accounts'],
  ['client1', '/accounts', 'My accounts'],
  ['credit1', '/applications', 'Application queue'],
  ['credit2', '/applications', 'Application queue'],
  ['approver1', '/approvals', 'Awaiting your confirmation'],
  ['kyc1', '/kyc/cases', 'KYC queue'],
  ['finance1', '/payouts', 'Tranches waiting to be paid'],
  ['admin1', '/admin', 'Administration'],
];

/** The new home pages' headings in each language. */
const LANGUAGES = [
  { code: 'uz-Latn', button: 'Oʻzbekcha', payouts: 'Toʻlanishi kutilayotgan transhlar', admin: 'Maʼmuriyat', approvals: 'Sizning tasdiqingizni kutmoqda' },
  { code: 'uz-Cyrl', button: 'Ўзбекча', payouts: 'Тўланиши кутилаётган траншлар', admin: 'Маъмурият', approvals: 'Сизнинг тасдиқингизни кутмоқда' },
  { code: 'ru', button: 'Русский', payouts: 'Транши к выплате', admin: 'Администрирование', approvals: 'Ждут вашего подтверждения' },
  { code: 'en', button: 'English', payouts: 'Tranches waiting to be paid', admin: 'Administration', approvals: 'Awaiting your confirmation' },
];

/** Signs `username` in with the demo password in `language`, passing the second factor of staff. */
async function signIn(page, username, language = LANGUAGES[0]) {
  await page.goto(`${started.server.url}/login`);
  await chooseLanguage(page, language);
  await page.fill('#username', username);
  await page.fill('#password', `${username}-demo-pass`);
  await submit(page, '#login-form');
  await passSecondFactor(page, username);
}

describe('each role lands on its own home', () => {
  test('every demo login lands on a page it may see, with its own heading', { skip: needsServices }, async () => {
    for (const [username, home, heading] of HOMES) {
      const context = await started.browser.newContext();
      const page = await context.newPage();
      await signIn(page, username, LANGUAGES[3]);
      const landed = new URL(page.url());
      assert.equal(`${landed.pathname}${landed.search}`, home, `${username} lands`);
      const response = await page.goto(page.url());
      assert.equal(response.status(), 200, `${username} may see ${home}`);
      assert.equal((await page.locator('h1').textContent()).trim(), heading, username);
      await context.close();
    }
  });

  for (const viewport of VIEWPORTS) {
    test(`the approvers', finance's and the administrators' homes in every language at ${viewport.name} width`, { skip: needsServices }, async () => {
      for (const [username, home, key] of [['approver1', '/approvals', 'approvals'], ['finance1', '/payouts', 'payouts'], ['admin1', '/admin', 'admin']]) {
        const context = await started.browser.newContext({ viewport: { width: viewport.width, height: viewport.height } });
        const page = await context.newPage();
        await signIn(page, username);
        for (const language of LANGUAGES) {
          await page.goto(`${started.server.url}${home}`);
          await chooseLanguage(page, language);
          assert.equal((await page.locator('h1').textContent()).trim(), language[key]);
          await assertAccessible(page, `${key} home in ${language.code} at ${viewport.name} width`);
          await page.screenshot({
            path: path.join(screenshotDir, `home-${key}-${language.code}-${viewport.name}.png`),
            fullPage: true,
          });
        }
        await context.close();
      }
    });
  }
});
