// The second step of a staff sign-in, for the browser tests: the code the demo authenticator
// of a username shows. The demo secrets derive from the username as onboarding's
// `demo_totp_secret` derives them (the first 20 bytes of the SHA-256 of
// `imkon-demo-second-factor:<username>`); codes are RFC 6238: HMAC-SHA1 over 30-second steps,
// six digits.

import crypto from 'node:crypto';

const STEP_SECONDS = 30;
// Onboarding accepts each step's code once per account, and tests sign the same person in
// several times within one step: each sign-in here takes a later step than the last one.
const lastUsedStep = new Map();

export function demoSecret(username) {
  return crypto.createHash('sha256').update(`imkon-demo-second-factor:${username}`).digest().subarray(0, 20);
}

export function totpCode(secret, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = crypto.createHmac('sha1', secret).update(counter).digest();
  const offset = digest[digest.length - 1] & 0x0f;
  const binary = digest.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 1_000_000).padStart(6, '0');
}

const currentStep = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/** When the page asks for the second factor, enters the demo code of `username`. */
export async function passSecondFactor(page, username) {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    if (new URL(page.url()).pathname !== '/login/second-factor') return;
    const step = Math.max(currentStep() - 1, (lastUsedStep.get(username) ?? 0) + 1);
    while (step > currentStep() + 1) {
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    lastUsedStep.set(username, step);
    await page.fill('#code', totpCode(demoSecret(username), step));
    await Promise.all([
      page.waitForNavigation({ waitUntil: 'load' }),
      page.locator('#second-factor-form button[type="submit"]').click(),
    ]);
  }
}
