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

export async function startFrontend() {
  if (process.env.FRONTEND_URL) {
    return { url: process.env.FRONTEND_URL.replace(/\/$/, ''), stop: async () => {} };
  }
  const binary = process.env.FRONTEND_DEMO_BIN ?? defaultBinary;
  const child = spawn(binary, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${binary} did not start within ${STARTUP_TIMEOUT_MS} ms`)), STARTUP_TIMEOUT_MS);
    child.once('error', (error) => { clearTimeout(timer); reject(error); });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${binary} exited with ${code}`)); });
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = line.match(/^frontend listening on (http:\/\/\S+)$/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
  });
  return {
    url,
    stop: async () => {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}
