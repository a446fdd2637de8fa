// End-to-end: the shop in the conversation. A WhatsApp customer asks about her order; the agent
// (the real desktop app: real UI + real Go side through Wails' dev bridge) sees her orders in
// the side panel, sends the tracking link and a product, and cancels an order after confirming.
// WhatsApp's Cloud API and the Shopify store are local servers answering with the documented
// responses (backend/channels/testdata, backend/shop/testdata). Started by build/e2e/run.sh.
import { api, launch, run, server, step, until } from './lib.mjs';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const adminPassword = process.env.SANTRAL_ADMIN_PASSWORD;
const art = process.env.E2E_ARTIFACTS;
const tid = (page, id) => page.getByTestId(id);
const wa = (name) => readFileSync(new URL(`../../backend/channels/testdata/whatsapp/${name}`, import.meta.url));
const shopify = (name) => readFileSync(new URL(`../../backend/shop/testdata/shopify/${name}`, import.meta.url), 'utf8');
const phoneId = '106540352242999'; // this test's own WhatsApp number (e2e.mjs has another)

// A picture the shop serves for its product (JPEG magic, then bytes).
const jpeg = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from(' JFIF'), Buffer.alloc(2048, 0x42)]);

function listen(handler) {
  const srv = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  return new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv)));
}

async function main() {
  const admin = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
  // The other agents of the first script take no new conversation: this one goes to Zeynep.
  for (const u of await api('GET', '/api/v1/users', undefined, admin.token)) {
    if (u.role === 'agent') await api('PATCH', `/api/v1/users/${u.id}`, { auto_limit: 0 }, admin.token);
  }
  await api('POST', '/api/v1/users', { username: 'zaydin', display_name: 'Zeynep Aydın', password: 'zeynep-password', role: 'agent', auto_limit: 5 }, admin.token);

  const graphSeen = [];
  const graph = await listen((req, res, body) => {
    graphSeen.push({ method: req.method, path: req.url, body });
    res.setHeader('content-type', 'application/json');
    res.end(req.url.endsWith('/media') ? '{"id":"2871233095478813"}' : wa('send_response.json'));
  });
  const shopSeen = [];
  let cancelled = false;
  const shop = await listen((req, res, body) => {
    if (req.url === '/img/termos.jpg') {
      res.setHeader('content-type', 'image/jpeg');
      return res.end(jpeg);
    }
    if (req.url !== '/admin/api/2026-10/graphql.json' || req.headers['x-shopify-access-token'] !== 'shpat_e2e') {
      res.statusCode = 401;
      return res.end('{"errors":"[API] Invalid API key or access token"}');
    }
    const { query } = JSON.parse(body);
    const op = query.split(/[\s(]/)[1];
    shopSeen.push(op);
    res.setHeader('content-type', 'application/json');
    switch (op) {
      case 'SantralCustomerOrders': {
        const orders = shopify('customer_by_identifier.response.json');
        return res.end(cancelled ? orders.replace('"cancelledAt": null,', `"cancelledAt": "${new Date().toISOString()}",`) : orders);
      }
      case 'SantralProductSearch':
        return res.end(shopify('products_search.response.json').replace(/https:\/\/cdn\.shopify\.com\/[^"]+/, `http://127.0.0.1:${shop.address().port}/img/termos.jpg`));
      case 'SantralProduct': {
        const one = JSON.parse(shopify('products_search.response.json').replace(/https:\/\/cdn\.shopify\.com\/[^"]+/, `http://127.0.0.1:${shop.address().port}/img/termos.jpg`));
        return res.end(JSON.stringify({ data: { product: one.data.products.nodes[0] } }));
      }
      case 'SantralOrderCancel':
        cancelled = true;
        return res.end(shopify('order_cancel.response.json'));
      case 'SantralJob':
        return res.end(shopify('job_poll.response.json'));
      default:
        res.statusCode = 400;
        return res.end('{}');
    }
  });

  const browser = await launch('e2e-shop-chromium-');
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('  [app C] page error:', e.message));
  const shot = (name) => page.screenshot({ path: join(art, `${name}.png`) });
  try {
    const ch = await api('POST', '/api/v1/channel-accounts', {
      type: 'whatsapp', name: 'WhatsApp Sipariş', base_url: `http://127.0.0.1:${graph.address().port}`, api_version: 'v23.0', account_id: phoneId,
      credentials: { token: 'EAAG-e2e-shop', app_secret: 'e2e-shop-secret', verify_token: 'e2e-shop-verify' },
    }, admin.token);
    const store = await api('POST', '/api/v1/shop-stores', {
      platform: 'shopify', name: 'Anadolu Kahve', base_url: `http://127.0.0.1:${shop.address().port}`,
      action_roles: ['admin', 'supervisor', 'agent'], credentials: { access_token: 'shpat_e2e' },
    }, admin.token);
    assert.ok(!JSON.stringify(store).includes('shpat_e2e'), 'the store never shows its token');

    await step('shop: the agent signs in and goes online', async () => {
      await page.goto(process.env.E2E_APP_C);
      await tid(page, 'login-form').waitFor();
      await tid(page, 'login-server').fill(server);
      await tid(page, 'login-username').fill('zaydin');
      await tid(page, 'login-password').fill('zeynep-password');
      await tid(page, 'login-submit').click();
      await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 15000 });
      await tid(page, 'presence-button').click();
      await tid(page, 'presence-online').click();
      await page.waitForSelector('[data-testid="presence-button"][data-presence="online"]', { timeout: 10000 });
    });

    let conv;
    await step('shop: a WhatsApp customer asks about her order and the agent sees her orders in the panel', async () => {
      const delivery = Buffer.from(wa('inbound_text.json').toString()
        .replaceAll('106540352242922', phoneId)
        .replace(/"timestamp": "\d+"/g, `"timestamp": "${Math.floor(Date.now() / 1000)}"`)
        .replace(/"id": "wamid\.[^"]+"/, `"id": "wamid.e2e-shop-${Date.now()}"`)
        .replace(/"body": "[^"]*"/, '"body": "Merhaba, 1042 numaralı siparişim nerede? 📦"'));
      const signature = 'sha256=' + createHmac('sha256', 'e2e-shop-secret').update(delivery).digest('hex');
      const res = await fetch(`${server}/webhooks/${ch.id}`, { method: 'POST', headers: { 'x-hub-signature-256': signature }, body: delivery });
      assert.equal(res.status, 200, 'the signed delivery is stored');
      conv = await until('the conversation', async () =>
        (await api('GET', '/api/v1/conversations?view=history&customer=905321234567', undefined, admin.token)).conversations.find((c) => c.channel.id === ch.id));
      await tid(page, `conversation-row-${conv.id}`).waitFor({ timeout: 10000 });
      await tid(page, `conversation-row-${conv.id}`).click();
      await page.waitForSelector(`[data-testid="conversation"][data-conversation-id="${conv.id}"]`);
      await tid(page, 'shop-toggle').click();
      const shipped = page.locator('[data-testid="shop-order"][data-order-number="#1042"]');
      await shipped.waitFor({ timeout: 10000 });
      assert.equal(await shipped.getByTestId('shop-order-status').textContent(), 'Kargoda');
      assert.equal(await shipped.getByTestId('shop-order-carrier').textContent(), 'Yurtiçi Kargo');
      assert.equal(await shipped.getByTestId('shop-order-tracking-link').getAttribute('href'),
        'https://www.yurticikargo.com/tr/online-servisler/gonderi-sorgula?code=304918277651');
      assert.match((await shipped.getByTestId('shop-order-total').textContent()).replace(/\s/g, ' '), /1\.249,90/);
      await shot('20-shop-orders');
    });

    await step('shop: the agent sends the tracking link', async () => {
      await page.locator('[data-testid="shop-order"][data-order-number="#1042"]').getByTestId('shop-send-tracking').click();
      const sent = await until('the tracking link at the Graph API', () =>
        graphSeen.find((r) => r.path.endsWith('/messages') && r.body.includes('gonderi-sorgula?code=304918277651')));
      assert.equal(JSON.parse(sent.body).to, '905321234567');
    });

    await step('shop: the agent finds a product and sends it as an image with its caption', async () => {
      await tid(page, 'shop-product-query').fill('termos');
      await tid(page, 'shop-product-search').click();
      await tid(page, 'shop-product').waitFor({ timeout: 10000 });
      await shot('21-shop-product');
      await tid(page, 'shop-send-product').click();
      const img = await until('the product image at the Graph API', () =>
        graphSeen.find((r) => r.path.endsWith('/messages') && JSON.parse(r.body).type === 'image'));
      const body = JSON.parse(img.body);
      assert.equal(body.image.id, '2871233095478813');
      assert.equal(body.image.caption, 'Çelik Termos 500 ml\n899,90 TL\nhttps://anadolukahve.example.com.tr/products/celik-termos-500-ml');
      assert.ok(graphSeen.some((r) => r.path.endsWith('/media') && r.body.includes('JFIF')), 'the picture was uploaded first');
    });

    await step('shop: the agent cancels an order after confirming, and the timeline records it', async () => {
      const order = page.locator('[data-testid="shop-order"][data-order-number="#1057"]');
      await order.getByTestId('shop-cancel').click();
      await tid(page, 'shop-confirm').waitFor();
      assert.equal(await tid(page, 'shop-confirm-question').textContent(), '#1057 numaralı sipariş iptal edilsin mi? Bu işlem geri alınamaz.');
      await shot('22-shop-confirm');
      assert.ok(!shopSeen.includes('SantralOrderCancel'), 'nothing reached the store before the confirmation');
      await tid(page, 'shop-confirm-yes').click();
      await until('Shopify cancelled it and its job was followed', () => shopSeen.includes('SantralOrderCancel') && shopSeen.includes('SantralJob'));
      await page.waitForSelector('[data-testid="shop-order"][data-order-number="#1057"][data-status="cancelled"]', { timeout: 10000 });
      const entry = page.locator('[data-kind="shop_order_action"]');
      await entry.waitFor({ timeout: 10000 });
      assert.match(await entry.textContent(), /#1057 siparişini iptal etti \(Anadolu Kahve\)/);
      await shot('23-shop-cancelled');
    });
  } finally {
    await browser.close();
    graph.close();
    shop.close();
  }
}

run(main);
