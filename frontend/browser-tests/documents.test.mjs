// The contract document in a real browser: the founder opens the contract's PDF before signing,
// signs the document whose SHA-256 the page shows, and afterwards the contract page shows that
// hash and the file downloaded from it has exactly that SHA-256.
// Run: DATABASE_URL=… node --test documents.test.mjs (the demo then runs the real services, and
// founder1 has a loan awaiting signature).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';

import { chooseLanguage, frontendAndBrowser, LANGUAGES, screenshotDir, skipWithoutServices, submit } from './harness.mjs';
import { passSecondFactor } from './totp.mjs';

const needsServices = skipWithoutServices('the disbursement service');
const started = frontendAndBrowser(needsServices);

/** Clicks the contract document's link and answers the SHA-256 of the file saved. */
async function downloadDocument(page) {
  const saved = page.waitForEvent('download');
  await page.click('#contract-document');
  const download = await saved;
  assert.match(download.suggestedFilename(), /^contract-.*\.pdf$/);
  const bytes = await readFile(await download.path());
  assert.equal(bytes.subarray(0, 5).toString('latin1'), '%PDF-', 'the file is a PDF');
  return createHash('sha256').update(bytes).digest('hex');
}

test('the founder reads the contract before signing, and the signed file matches the hash shown', { skip: needsServices }, async () => {
  const context = await started.browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: true });
  const page = await context.newPage();
  await page.goto(`${started.server.url}/login`);
  await chooseLanguage(page, LANGUAGES[2]);
  await page.fill('#username', 'founder1');
  await page.fill('#password', 'founder1-demo-pass');
  await submit(page, '#login-form');
  await passSecondFactor(page, 'founder1');

  // The loan awaiting signature is the contract whose page has a sign form.
  await page.goto(`${started.server.url}/contracts`);
  const links = await page.locator('#contracts h2 a').evaluateAll((anchors) => anchors.map((a) => a.getAttribute('href')));
  let contractPath;
  for (const link of links) {
    await page.goto(`${started.server.url}${link}`);
    if (await page.locator(`form[action="${link}/sign"]`).count() === 1) {
      contractPath = link;
      break;
    }
  }
  assert.ok(contractPath, 'founder1 has a contract to sign');

  // Before signing: the link to the contract comes before the sign button, and the page
  // shows the SHA-256 of the document the link gives.
  const order = await page.evaluate((action) => {
    const link = document.getElementById('contract-document');
    const button = document.querySelector(`form[action="${action}"] button[type="submit"]`);
    return link && button ? link.compareDocumentPosition(button) & Node.DOCUMENT_POSITION_FOLLOWING : 0;
  }, `${contractPath}/sign`);
  assert.ok(order, 'the contract link comes before the sign button');
  const shownBefore = (await page.locator('#contract-document-sha256').textContent()).trim();
  assert.match(shownBefore, /^[0-9a-f]{64}$/);
  assert.equal(await downloadDocument(page), shownBefore, 'the founder reads the very document whose hash is shown');
  await page.screenshot({ path: path.join(screenshotDir, 'documents-contract-before-signing.png'), fullPage: true });

  await Promise.all([
    page.waitForNavigation({ waitUntil: 'load' }),
    page.locator(`form[action="${contractPath}/sign"] button[type="submit"]`).click(),
  ]);
  assert.equal(await page.locator('#form-errors').count(), 0, 'the signature is accepted');
  assert.equal(await page.locator(`form[action="${contractPath}/sign"]`).count(), 0, 'signed once');

  // After signing: the hash recorded with the signature is on the page, and the file
  // downloaded now has exactly that SHA-256.
  const signedHash = (await page.locator('#contract-document-sha256').textContent()).trim();
  assert.equal(signedHash, shownBefore, 'the signature recorded the hash of the document read');
  assert.equal(await downloadDocument(page), signedHash, 'the downloaded document is the one signed');
  await page.screenshot({ path: path.join(screenshotDir, 'documents-contract-signed.png'), fullPage: true });
  await context.close();
});
