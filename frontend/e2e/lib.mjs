// What the end-to-end scripts share: the santrald API, waiting, steps with a closing
// "N passed, M failed" line, and Debian's Chromium launched the way this machine needs.
import { chromium } from 'playwright-core';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const server = process.env.SANTRAL_URL;

export async function api(method, path, body, token) {
  const res = await fetch(server + path, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

export async function until(what, fn, timeout = 15000) {
  const end = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const results = [];

export async function step(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  FAIL ${name}: ${e.message}`);
    throw e;
  }
}

/** Runs main and prints the closing line test runners read; exits non-zero on a failure. */
export function run(main) {
  main().then(
    () => console.log(`${results.filter((r) => r.ok).length} passed, ${results.filter((r) => !r.ok).length} failed`),
    (e) => {
      console.error(e);
      const failed = Math.max(1, results.filter((r) => !r.ok).length);
      console.log(`${results.filter((r) => r.ok).length} passed, ${failed} failed`);
      process.exit(1);
    },
  );
}

/** Debian's Chromium, headless, with a fresh profile; extraArgs for the caller's needs. */
export function launch(prefix, extraArgs = []) {
  return chromium.launchPersistentContext(mkdtempSync(join(tmpdir(), prefix)), {
    executablePath: '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1280, height: 800 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
  });
}
