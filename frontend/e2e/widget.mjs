// End-to-end: a visitor on a shop's website writes through the chat widget (the real
// /widget.js in Chromium, on a page of another origin), an agent answers through the API, the
// reply appears in the widget, and a reload keeps the conversation. Started by build/e2e/run.sh
// against the same santrald as e2e.mjs.
import { api, launch, run, server, step, until } from './lib.mjs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const adminPassword = process.env.SANTRAL_ADMIN_PASSWORD;
const art = process.env.E2E_ARTIFACTS;




// The shop's page, on an origin of its own.
function shop() {
  const html = `<!doctype html><html lang="tr"><head><meta charset="utf-8"><title>Örnek Mağaza</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body><h1>Örnek Mağaza</h1><p>Ürünlerimiz…</p>
<script src="${server}/widget.js" defer></script></body></html>`;
  const srv = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(html);
  });
  return new Promise((resolve) => srv.listen(0, '127.0.0.1', () => resolve(srv)));
}

async function main() {
  const admin = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
  const username = `web${Date.now() % 100000}`;
  await api('POST', '/api/v1/users', { username, display_name: 'Web Temsilcisi', password: `${username}-password`, role: 'agent', auto_limit: 10 }, admin.token);
  // Agents left online by the app test would share the queue: take them offline first.
  for (const other of ['ayse', 'mehmet']) {
    try {
      const s = await api('POST', '/api/v1/auth/login', { username: other, password: `${other}-password` });
      await api('PUT', '/api/v1/me/presence', { presence: 'offline' }, s.token);
    } catch { /* not there when run alone */ }
  }
  const agent = await api('POST', '/api/v1/auth/login', { username, password: `${username}-password` });
  await api('PUT', '/api/v1/me/presence', { presence: 'online' }, agent.token);

  const srv = await shop();
  const shopURL = `http://127.0.0.1:${srv.address().port}/`;
  const browser = await launch('e2e-widget-');
  const question = 'Merhaba, kargo ücreti ne kadar?';
  const answer = 'Merhaba! 500 TL üzeri siparişlerde kargo ücretsiz.';
  try {
    const page = browser.pages()[0] || (await browser.newPage());
    page.on('pageerror', (e) => console.log('  [shop] page error:', e.message));
    // Every URL the widget requests, to check the visitor secret never travels in one.
    const urls = [];
    page.on('websocket', (ws) => urls.push(ws.url()));
    page.on('request', (req) => urls.push(req.url()));

    await step('the widget loads on the shop page, in Turkish', async () => {
      await page.goto(shopURL);
      const launcher = page.locator('#santral-launcher');
      await launcher.waitFor();
      assert.equal(await launcher.getAttribute('aria-label'), 'Canlı destek');
      assert.equal(await launcher.getAttribute('aria-expanded'), 'false');
    });

    await step('the visitor opens the widget and writes', async () => {
      await page.locator('#santral-launcher').click();
      await page.locator('#santral-panel').waitFor({ state: 'visible' });
      await page.locator('#santral-input').fill(question);
      await page.keyboard.press('Enter');
      await page.locator('#santral-panel .santral-in:not(.santral-pending)', { hasText: question }).waitFor({ timeout: 10000 });
    });

    let convID;
    await step('the conversation reaches the online agent', async () => {
      convID = await until('the agent holds the webchat conversation', async () => {
        const list = await api('GET', '/api/v1/conversations?view=mine', undefined, agent.token);
        const c = list.conversations.find((c) => (c.last_message_preview || '').includes('kargo')) || list.conversations[0];
        if (c) return c.id;
        const queue = await api('GET', '/api/v1/conversations?view=queue', undefined, agent.token);
        if (queue.conversations.length) await api('POST', '/api/v1/queue/pull', {}, agent.token).catch(() => null);
        return null;
      });
      const d = await api('GET', `/api/v1/conversations/${convID}`, undefined, agent.token);
      assert.ok(d.messages.some((m) => m.direction === 'in' && m.body === question), 'the agent sees the question');
    });

    await step("the agent's reply appears in the widget", async () => {
      await api('POST', `/api/v1/conversations/${convID}/messages`, { body: answer, idempotency_key: `w-${Date.now()}` }, agent.token);
      await page.locator('#santral-panel .santral-out', { hasText: answer }).waitFor({ timeout: 10000 });
      if (art) await page.screenshot({ path: join(art, 'widget.png') });
    });

    await step('the visitor sends a file; the agent sees it, the visitor gets a link', async () => {
      await page.locator('#santral-file').setInputFiles({ name: 'fatura.pdf', mimeType: 'application/pdf', buffer: Buffer.from('%PDF-1.4 e2e') });
      const link = page.locator('#santral-panel .santral-in:not(.santral-pending) a.santral-file', { hasText: 'fatura.pdf' });
      await link.waitFor({ timeout: 10000 });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      const body = await download.createReadStream().then((s) => new Promise((resolve) => {
        const chunks = [];
        s.on('data', (c) => chunks.push(c));
        s.on('end', () => resolve(Buffer.concat(chunks).toString()));
      }));
      assert.equal(body, '%PDF-1.4 e2e');
      assert.equal(download.suggestedFilename(), 'fatura.pdf');
      const d = await api('GET', `/api/v1/conversations/${convID}`, undefined, agent.token);
      assert.ok(d.messages.some((m) => (m.attachments || []).some((a) => a.name === 'fatura.pdf')), 'the agent sees the file');
    });

    await step('a reload keeps the identity and the history', async () => {
      const before = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('santral-webchat:')).map((k) => JSON.parse(localStorage[k]).visitor_id));
      await page.reload();
      await page.locator('#santral-launcher').click();
      await page.locator('#santral-panel .santral-in', { hasText: question }).waitFor({ timeout: 10000 });
      await page.locator('#santral-panel .santral-out', { hasText: answer }).waitFor({ timeout: 10000 });
      const after = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('santral-webchat:')).map((k) => JSON.parse(localStorage[k]).visitor_id));
      assert.deepEqual(after, before);
      assert.equal(await page.locator('#santral-panel .santral-in', { hasText: question }).count(), 1);
      const mine = await api('GET', '/api/v1/conversations?view=mine', undefined, agent.token);
      assert.equal(mine.conversations.filter((c) => c.id === convID).length, 1, 'still one conversation');
    });

    await step('the visitor secret never travels in a URL', async () => {
      const secret = await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('santral-webchat:')).map((k) => JSON.parse(localStorage[k]).visitor_secret)[0]);
      assert.ok(secret, 'the widget keeps a secret');
      assert.ok(urls.some((u) => u.includes('/webchat/socket')), 'the widget opened its socket');
      const leaked = urls.filter((u) => u.includes(secret) || u.includes('visitor_secret'));
      assert.deepEqual(leaked, [], 'no URL carries the visitor secret');
    });
  } finally {
    await browser.close();
    srv.close();
  }
}

run(main);
