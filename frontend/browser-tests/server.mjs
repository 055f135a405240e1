// Starts the frontend demo (the frontend with the real services, the disbursement service's
// schedule preview at least) for the browser tests, or uses one already running at FRONTEND_URL.
//
// FRONTEND_DEMO_BIN names the built example; by default it is the workspace's debug build,
// `cargo build -p imkon-frontend --example frontend-demo`.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import readline from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const workspace = path.resolve(here, '..', '..');
const targetDir = process.env.CARGO_TARGET_DIR ?? path.join(workspace, 'target');
const defaultBinary = path.join(targetDir, 'debug', 'examples', 'frontend-demo');

const STARTUP_TIMEOUT_MS = 30_000;

// How long a test waits for the demo to print an email it caused.
const MAIL_TIMEOUT_MS = 10_000;

export async function startFrontend() {
  if (process.env.FRONTEND_URL) {
    return {
      url: process.env.FRONTEND_URL.replace(/\/$/, ''),
      stop: async () => {},
      mailTo: async () => { throw new Error('a frontend at FRONTEND_URL prints no mail'); },
      mailCount: () => 0,
    };
  }
  // The demo prints each email it would send as `mail to RECIPIENT: LINK`.
  const mails = [];
  const binary = process.env.FRONTEND_DEMO_BIN ?? defaultBinary;
  const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${binary} exited with ${code}`)); });
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const mail = line.match(/^mail to (\S+): (\S+)$/);
      if (mail) mails.push({ to: mail[1], link: mail[2] });
      const match = line.match(/^frontend listening on (http:\/\/\S+)$/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    /** The link of the first email to `recipient` printed after `seen` emails to anyone. */
    mailTo: async (recipient, seen = 0) => {
      const deadline = Date.now() + MAIL_TIMEOUT_MS;
      for (;;) {
        const found = mails.slice(seen).find((mail) => mail.to === recipient);
        if (found) return found.link;
        if (Date.now() > deadline) throw new Error(`no mail to ${recipient} within ${MAIL_TIMEOUT_MS} ms`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    /** How many emails the demo has printed so far. */
    mailCount: () => mails.length,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
