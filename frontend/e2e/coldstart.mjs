// Cold start for build/bench/app.sh (here for playwright-core in frontend/node_modules): with
// Chromium already running (it stands in for the window's web view), launch the app (dev
// bridge) on a profile whose cache is full and whose server does not answer, and report the time
// from process launch to the first cached conversation row on screen.
import { chromium } from 'playwright-core';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BENCH_URL;
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bench-chromium-')), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
await page.goto('about:blank');

const start = Date.now();
const app = spawn('dbus-run-session', ['--', process.env.BENCH_APP, '-assetdir', 'frontend/dist', '-devserver', url.replace('http://', '')],
  { env: { ...process.env, SANTRAL_APP_DIR: process.env.BENCH_PROFILE }, stdio: 'ignore' });
try {
  // Poll with plain HTTP (a failed browser navigation costs far more than the wait itself).
  for (let i = 0; ; i++) {
    try { if ((await fetch(url)).ok) break; } catch (e) { if (i > 3000) throw e; }
    await new Promise((r) => setTimeout(r, 5));
  }
  const up = Date.now() - start;
  await page.goto(url);
  await page.waitForSelector('[data-testid^="conversation-row-"]', { timeout: 30000 });
  const ms = Date.now() - start;
  const rows = await page.locator('[data-testid^="conversation-row-"]').count();
  console.log(`cold start to cached inbox visible (${process.env.BENCH_N} conversations, ${rows} rows drawn — virtualised): ${ms} ms (process up and serving: ${up} ms; page to inbox: ${ms - up} ms)`);
} finally {
  app.kill();
  await browser.close();
}
