// Cold start for build/bench/app.sh: wait for the app's dev bridge, load it in Chromium and
// report the time from process launch to the first cached conversation row on screen.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BENCH_URL;
const start = BigInt(process.env.BENCH_START_NS);
const browser = await chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), 'bench-chromium-')), {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1280, height: 800 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const page = await browser.newPage();
for (let i = 0; ; i++) {
  try { await page.goto(url, { timeout: 2000 }); break; } catch (e) { if (i > 200) throw e; await new Promise((r) => setTimeout(r, 25)); }
}
await page.waitForSelector('[data-testid^="conversation-row-"]', { timeout: 30000 });
const ms = Date.now() - Number(start / 1000000n);
const rows = await page.locator('[data-testid^="conversation-row-"]').count();
console.log(`cold start to cached inbox visible (${process.env.BENCH_N} conversations, ${rows} rows drawn — virtualised): ${ms} ms`);
await browser.close();
