// End-to-end: two agents use the real desktop app (real UI + real Go side through Wails' dev
// bridge) against a real santrald; customers write through the sandbox channel; notifications
// are read from the recorder on the private session bus. Started by build/e2e/run.sh.
import { api, launch, run, server, step, until } from './lib.mjs';
import { createHmac } from 'node:crypto';
import { createServer } from 'node:http';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const adminPassword = process.env.SANTRAL_ADMIN_PASSWORD;
const art = process.env.E2E_ARTIFACTS;
const notificationsFile = process.env.E2E_NOTIFICATIONS;


let msgSeq = 0;
const customer = (sender, name, text) =>
  api('POST', '/sandbox/messages', { sender_id: sender, name, message_id: `e2e-${Date.now()}-${++msgSeq}`, text });
const received = (sender) => api('GET', `/sandbox/messages?sender_id=${sender}`);

function notifications() {
  if (!existsSync(notificationsFile)) return [];
  return readFileSync(notificationsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
}



const tid = (page, id) => page.getByTestId(id);

async function login(page, username, password) {
  await tid(page, 'login-server').fill(server);
  await tid(page, 'login-username').fill(username);
  await tid(page, 'login-password').fill(password);
  await tid(page, 'login-submit').click();
  await tid(page, 'user-name').waitFor();
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 15000 });
}

async function goOnline(page) {
  await tid(page, 'presence-button').click();
  await tid(page, 'presence-online').click();
  await page.waitForSelector('[data-testid="presence-button"][data-presence="online"]', { timeout: 10000 });
}

/** Language through the real binding, then a reload shows it (the Go side stays signed in). */
async function language(page, lang) {
  await page.evaluate(async (lang) => {
    const s = await window.go.app.App.Session();
    await window.go.app.App.SavePreferences({ ...s.preferences, language: lang });
  }, lang);
  await page.reload();
  await tid(page, 'user-name').waitFor();
  await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 15000 });
}

async function main() {
  // Workspace: two agents and an end reason, set up by the admin through the API.
  const admin = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
  for (const [username, name, limit] of [['ayse', 'Ayşe Demir', 3], ['mehmet', 'Mehmet Kaya', 0]]) {
    await api('POST', '/api/v1/users', { username, display_name: name, password: `${username}-password`, role: 'agent', auto_limit: limit }, admin.token);
  }
  const reason = await api('POST', '/api/v1/end-reasons', { label: 'Çözüldü' }, admin.token);

  // Two agents' apps are two tabs: keep the one in the background running at full speed.
  const browser = await launch('e2e-chromium-', ['--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows']);
  const ctx = browser;
  const a = await ctx.newPage();
  const b = await ctx.newPage();
  a.on('pageerror', (e) => console.log('  [app A] page error:', e.message));
  b.on('pageerror', (e) => console.log('  [app B] page error:', e.message));
  const shot = (page, name) => page.screenshot({ path: join(art, `${name}.png`) });

  try {
    await a.goto(process.env.E2E_APP_A);
    await b.goto(process.env.E2E_APP_B);

    await step('log in and go online', async () => {
      await tid(a, 'login-form').waitFor();
      await shot(a, '01-login');
      await login(a, 'ayse', 'ayse-password');
      await goOnline(a);
      await shot(a, '02-online');
    });

    await step('chatbot flow: the agent hands a customer to a flow, the customer answers, it comes back with the attributes', async () => {
      // The admin publishes a flow (the editor's own test is below); no word of it matches the
      // history filter's "siparis" further on.
      const def = {
        start: 'menu',
        steps: [
          { id: 'menu', type: 'ask', text: 'Merhaba {{customer.first_name}}, nasıl yardımcı olabiliriz?', attribute: 'konu',
            choices: [{ id: 'kargo', title: 'Kargo takibi', next: 'track' }, { id: 'fatura', title: 'Fatura', next: 'queue' },
              { id: 'temsilci', title: 'Temsilciye bağlan', next: 'queue' }] },
          { id: 'track', type: 'collect', text: 'Kargo takip numaranızı yazar mısınız?', attribute: 'takip_no', validate: 'pattern',
            pattern: 'TR[0-9]{6,}', invalid_text: 'Takip numarası TR ile başlar.', next: 'thanks' },
          { id: 'thanks', type: 'message', text: 'Teşekkürler, {{takip_no}} için sizi bir temsilciye aktarıyorum.', next: 'queue' },
          { id: 'queue', type: 'handover', tag: 'kargo' },
        ],
      };
      const flow = await api('POST', '/api/v1/flows', { name: 'Kargo menüsü', definition: def }, admin.token);
      await api('POST', `/api/v1/flows/${flow.id}/publish`, {}, admin.token);
      const sender = '905427778899';
      const id = (await customer(sender, 'Selim Tekin', 'Merhaba, kargom gelmedi')).conversation_id;
      await tid(a, `conversation-row-${id}`).waitFor({ timeout: 10000 });
      await tid(a, `conversation-row-${id}`).click();
      await a.waitForSelector(`[data-testid="conversation"][data-conversation-id="${id}"]`);
      await tid(a, 'flows-button').click();
      await tid(a, `flow-item-${flow.id}`).click();
      // At once: the conversation leaves her list (capacity freed), the pane says a flow talks.
      await tid(a, `conversation-row-${id}`).waitFor({ state: 'detached', timeout: 10000 });
      await a.waitForSelector('[data-testid="conversation-state"]:has-text("Akışta")', { timeout: 10000 });
      await a.waitForSelector('[data-kind="flow_started"]', { timeout: 10000 });
      await shot(a, '02a-handed-to-flow');
      // The customer gets the menu as numbered lines (the sandbox has no buttons) and answers.
      await until('the customer receives the menu', async () => (await received(sender)).some((m) => /1\. Kargo takibi/.test(m.body)));
      await customer(sender, 'Selim Tekin', '1');
      await until('the question', async () => (await received(sender)).some((m) => /takip numaranızı/.test(m.body)));
      await customer(sender, 'Selim Tekin', 'bilmiyorum');
      await until('the re-ask', async () => (await received(sender)).some((m) => /TR ile başlar/.test(m.body)));
      await customer(sender, 'Selim Tekin', 'TR2026114455');
      // The flow hands over to the queue; automatic assignment gives it to her (she is online
      // with room): the timeline shows both, and the side panel what the flow collected.
      const detail = await until('handed back to the queue and assigned', async () => {
        const d = await api('GET', `/api/v1/conversations/${id}`, undefined, admin.token);
        const kinds = d.timeline.map((e) => e.kind);
        return kinds.includes('flow_handover') && d.conversation.state === 'assigned' ? d : null;
      });
      const kinds = detail.timeline.map((e) => e.kind);
      assert.ok(kinds.lastIndexOf('assigned') > kinds.indexOf('flow_handover'), `queued, then assigned: ${kinds.join(' ')}`);
      await tid(a, `conversation-row-${id}`).waitFor({ timeout: 10000 });
      await tid(a, `conversation-row-${id}`).click();
      await a.waitForSelector('[data-kind="flow_handover"]', { timeout: 10000 });
      await tid(a, 'flow-attr-takip_no').waitFor({ timeout: 10000 });
      assert.equal(await tid(a, 'flow-attr-takip_no').textContent(), 'TR2026114455');
      assert.equal(await tid(a, 'flow-attr-konu').textContent(), 'kargo');
      assert.equal(await tid(a, 'flow-attr-tag').textContent(), 'kargo');
      assert.match(await tid(a, 'flow-details').textContent(), /Teşekkürler, TR2026114455 için/);
      await shot(a, '02b-back-with-attributes');
      // Wrapped up, so the steps below start from an empty list as before.
      await tid(a, 'end-button').click();
      await tid(a, `end-reason-${reason.id}`).click();
      await tid(a, 'end-confirm').click();
      await tid(a, `conversation-row-${id}`).waitFor({ state: 'detached', timeout: 10000 });
    });

    let conv;
    await step('a customer writes: the conversation appears and a notification is raised', async () => {
      conv = (await customer('905321112233', 'Elif Yıldız', 'Merhaba, siparişim nerede? 📦')).conversation_id;
      await tid(a, `conversation-row-${conv}`).waitFor({ timeout: 10000 });
      const n = await until('the assignment notification', () =>
        notifications().find((x) => x.summary.includes('Elif Yıldız')));
      assert.match(n.summary, /Yeni sohbet/);
      assert.ok(n.actions.includes('default'), 'clicking the notification opens the conversation');
      await shot(a, '03-assigned');
    });

    await step('reply: the customer receives it', async () => {
      await tid(a, `conversation-row-${conv}`).click();
      await a.waitForSelector(`[data-testid="conversation"][data-conversation-id="${conv}"]`);
      await tid(a, 'composer-input').fill('Merhaba Elif Hanım, hemen bakıyorum 😊');
      await tid(a, 'composer-send').click();
      await until('the customer receives the reply', async () =>
        (await received('905321112233')).some((m) => m.body === 'Merhaba Elif Hanım, hemen bakıyorum 😊'));
      await a.waitForSelector('[data-testid^="message-"][data-direction="out"]');
      await shot(a, '04-replied');
    });

    await step('transfer to a second agent with a note: accepted', async () => {
      await login(b, 'mehmet', 'mehmet-password');
      await goOnline(b);
      await tid(a, 'transfer-button').click();
      await tid(a, 'transfer-dialog').waitFor();
      const mehmet = (await api('GET', '/api/v1/users', undefined, admin.token)).find((u) => u.username === 'mehmet');
      await tid(a, `transfer-agent-${mehmet.id}`).click();
      await tid(a, 'transfer-note').fill('Kargo takibini sen yapar mısın?');
      await tid(a, 'transfer-confirm').click();
      await tid(b, 'tab-transfers').click();
      const offer = b.locator(`[data-testid^="offer-"][data-conversation-id="${conv}"]`).first();
      await offer.waitFor({ timeout: 10000 });
      assert.match(await offer.textContent(), /Kargo takibini sen yapar mısın\?/);
      const offerId = (await offer.getAttribute('data-testid')).replace('offer-', '');
      // Whom and what (issue 11): the server's offer names the customer and their last message.
      assert.equal(await tid(b, `offer-customer-${offerId}`).textContent(), 'Elif Yıldız');
      assert.match(await tid(b, `offer-message-${offerId}`).textContent(), /^Müşteri: “.+”$/);
      await until('the offer notification', () => notifications().some((x) => /Aktarım/.test(x.summary)));
      await shot(b, '05-offer');
      await language(b, 'en');
      await tid(b, 'tab-transfers').click();
      await tid(b, `offer-message-${offerId}`).waitFor({ timeout: 10000 });
      assert.match(await tid(b, `offer-message-${offerId}`).textContent(), /^Customer: “.+”$/);
      await shot(b, '05-offer-en');
      await language(b, 'tr');
      await tid(b, 'tab-transfers').click();
      // The sender is still on the conversation, typing, when the receiver accepts.
      await tid(a, 'composer-input').fill('Kargonuz için hemen');
      await tid(b, `offer-accept-${offerId}`).click();
      await tid(b, 'tab-mine').click();
      await tid(b, `conversation-row-${conv}`).waitFor({ timeout: 10000 });
      // At once on the sender's side: the row is gone, the composer locked with the reason, the
      // draft still there (nothing typed is lost silently).
      await tid(a, `conversation-row-${conv}`).waitFor({ state: 'detached', timeout: 10000 });
      await tid(a, 'conversation-lost').waitFor({ timeout: 10000 });
      assert.match(await tid(a, 'conversation-lost').textContent(), /Mehmet Kaya/);
      assert.equal(await tid(a, 'composer-input').isDisabled(), true, 'the sender\'s composer is locked');
      assert.equal(await tid(a, 'composer-send').isDisabled(), true);
      assert.equal(await tid(a, 'composer-input').inputValue(), 'Kargonuz için hemen');
      assert.equal(await tid(a, 'transfer-button').count(), 0);
      await shot(a, '06-sender-locked');
      await shot(b, '06-accepted');
    });

    await step('end with a reason: it shows in the history and the filter finds it', async () => {
      await tid(b, `conversation-row-${conv}`).click();
      await tid(b, 'end-button').click();
      await tid(b, 'end-dialog').waitFor();
      await tid(b, `end-reason-${reason.id}`).click();
      await tid(b, 'end-confirm').click();
      await tid(b, `conversation-row-${conv}`).waitFor({ state: 'detached', timeout: 10000 });
      // Ending moves on to the next conversation; Mehmet held only this one: the empty state.
      await tid(b, 'no-conversation').waitFor({ timeout: 10000 });
      await tid(b, 'tab-history').click();
      await tid(b, `history-row-${conv}`).waitFor({ timeout: 10000 });
      // A second ended conversation, so the filter has something to leave out.
      const other = (await customer('905339998877', 'Burak Öztürk', 'Faturamı alabilir miyim?')).conversation_id;
      const ayse = await api('POST', '/api/v1/auth/login', { username: 'ayse', password: 'ayse-password' });
      await until('the second conversation reaches ayse', async () =>
        (await api('GET', '/api/v1/conversations?view=mine', undefined, ayse.token)).conversations.some((c) => c.id === other));
      await api('POST', `/api/v1/conversations/${other}/end`, { end_reason_id: reason.id }, ayse.token);
      await tid(b, 'tab-mine').click();
      await tid(b, 'tab-history').click();
      await tid(b, `history-row-${other}`).waitFor({ timeout: 10000 });
      if (!(await tid(b, 'filter-text').isVisible())) await tid(b, 'history-filter-toggle').click();
      await tid(b, 'filter-text').fill('siparis');
      await tid(b, 'filter-submit').click();
      await until('the filter keeps only the matching conversation', async () =>
        (await tid(b, `history-row-${conv}`).isVisible()) && (await b.locator('[data-testid^="history-row-"]').count()) === 1);
      await shot(b, '07-history-filter');
    });

    await step('break in one click: no assignment while on break', async () => {
      // The vendor page's break button: one click, no reason asked (the server requires none).
      await tid(a, 'presence-go-break').click();
      await a.waitForSelector('[data-testid="presence-button"][data-presence="break"]');
      await tid(a, 'presence-go-online').waitFor();
      assert.match(await tid(a, 'presence-since').textContent(), /^\d\d:\d\d’den beri · (şimdi|\d+ sn|\d+ dk)$/);
      const waiting = (await customer('905054443322', 'Deniz Arslan', 'Kapıda ödeme var mı?')).conversation_id;
      await tid(a, 'tab-queue').click();
      await tid(a, `queue-row-${waiting}`).waitFor({ timeout: 10000 });
      await tid(a, 'tab-mine').click();
      await new Promise((r) => setTimeout(r, 800));
      assert.equal(await tid(a, `conversation-row-${waiting}`).count(), 0, 'nothing is assigned on break');
      await shot(a, '08-break');
      await language(a, 'en');
      assert.match(await tid(a, 'presence-since').textContent(), /^since \d\d:\d\d · (now|\d+s|\d+m)$/);
      assert.equal(await tid(a, 'presence-go-online').textContent(), 'Go online');
      await shot(a, '08-break-en');
      await language(a, 'tr');
      // And back online in one click.
      await tid(a, 'presence-go-online').click();
      await a.waitForSelector('[data-testid="presence-button"][data-presence="online"]', { timeout: 10000 });
      await tid(a, `conversation-row-${waiting}`).waitFor({ timeout: 10000 });
    });

    await step('a rejected transfer comes back to the sender', async () => {
      const rows = a.locator('[data-testid^="conversation-row-"]');
      const id = (await rows.first().getAttribute('data-testid')).replace('conversation-row-', '');
      await rows.first().click();
      await tid(a, 'transfer-button').click();
      const mehmet = (await api('GET', '/api/v1/users', undefined, admin.token)).find((u) => u.username === 'mehmet');
      await tid(a, `transfer-agent-${mehmet.id}`).click();
      await tid(a, 'transfer-confirm').click();
      await tid(b, 'tab-transfers').click();
      const offer = b.locator(`[data-testid^="offer-"][data-conversation-id="${id}"]`).first();
      await offer.waitFor({ timeout: 10000 });
      const offerId = (await offer.getAttribute('data-testid')).replace('offer-', '');
      const who = await tid(b, `offer-customer-${offerId}`).textContent();
      await tid(b, `offer-reject-${offerId}`).click();
      await tid(a, 'pending-offer').waitFor({ state: 'detached', timeout: 10000 });
      // Rejected: the receiver's app shows nothing of that customer any more.
      await offer.waitFor({ state: 'detached', timeout: 10000 });
      assert.ok(!(await b.locator('body').textContent()).includes(who), `the receiver still shows ${who}`);
      await tid(a, `conversation-row-${id}`).waitFor();
      await tid(b, 'tab-mine').click();
      assert.equal(await tid(b, `conversation-row-${id}`).count(), 0, 'the receiver did not get it');
      await shot(a, '09-rejected-back');
    });

    await step('WhatsApp: a signed webhook reaches the app, the reply reaches the Graph API as documented', async () => {
      // A local WhatsApp Cloud API: records requests, answers the documented success.
      const fixtures = new URL('../../backend/channels/testdata/whatsapp/', import.meta.url);
      const fixture = (name) => readFileSync(new URL(name, fixtures));
      const seen = [];
      const graph = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          seen.push({ method: req.method, path: req.url, auth: req.headers.authorization, body });
          res.setHeader('content-type', 'application/json');
          res.end(fixture('send_response.json'));
        });
      });
      await new Promise((r) => graph.listen(0, '127.0.0.1', r));
      try {
        const base = `http://127.0.0.1:${graph.address().port}`;
        const ch = await api('POST', '/api/v1/channel-accounts', {
          type: 'whatsapp', name: 'WhatsApp Mağaza', base_url: base, api_version: 'v23.0', account_id: '106540352242922',
          credentials: { token: 'EAAG-e2e-token', app_secret: 'e2e-app-secret', verify_token: 'e2e-verify' },
        }, admin.token);
        // Delivered now: the customer's own time opens the 24-hour window (an old fixture time
        // would not).
        const delivery = Buffer.from(fixture('inbound_text.json').toString()
          .replace(/"timestamp": "\d+"/g, `"timestamp": "${Math.floor(Date.now() / 1000)}"`));
        const signature = 'sha256=' + createHmac('sha256', 'e2e-app-secret').update(delivery).digest('hex');
        const res = await fetch(`${server}/webhooks/${ch.id}`, { method: 'POST', headers: { 'x-hub-signature-256': signature }, body: delivery });
        assert.equal(res.status, 200, 'the signed delivery is stored');
        const conv = await until('the WhatsApp conversation', async () =>
          (await api('GET', '/api/v1/conversations?view=history&customer=905321234567', undefined, admin.token)).conversations[0]);
        await tid(a, 'tab-mine').click();
        await tid(a, `conversation-row-${conv.id}`).waitFor({ timeout: 10000 });
        await tid(a, `conversation-row-${conv.id}`).click();
        await a.waitForSelector(`[data-testid="conversation"][data-conversation-id="${conv.id}"]`);
        const want = JSON.parse(fixture('send_text_request.json'));
        await tid(a, 'composer-input').fill(want.text.body);
        await tid(a, 'composer-send').click();
        const sent = await until('the Graph API request', () => seen.find((r) => r.method === 'POST'));
        assert.equal(sent.path, '/v23.0/106540352242922/messages');
        assert.equal(sent.auth, 'Bearer EAAG-e2e-token');
        assert.deepEqual(JSON.parse(sent.body), want, 'the request is exactly the documented one');
        await a.waitForSelector('[data-testid^="message-"][data-direction="out"][data-status="sent"]', { timeout: 10000 });
        await shot(a, '10-whatsapp');
      } finally {
        graph.close();
      }
    });

    await step('clicking a notification opens its conversation', async () => {
      const c = (await customer('905417776655', 'Can Koç', 'Ürün hasarlı geldi')).conversation_id;
      await until('its notification', () => notifications().some((x) => x.summary.includes('Can Koç')));
      const before = notifications().length;
      process.kill(Number(process.env.E2E_RECORDER_PID), 'SIGUSR1'); // the user clicks the last one
      await a.waitForSelector(`[data-testid="conversation"][data-conversation-id="${c}"]`, { timeout: 10000 });
      assert.ok(notifications().length >= before);
    });

    await step('the admin builds a flow in the editor: the server validates it per step, the simulator runs it, it is published', async () => {
      await tid(b, 'sign-out').click();
      await tid(b, 'login-form').waitFor();
      await login(b, 'admin', adminPassword);
      await tid(b, 'settings-button').click();
      await tid(b, 'settings-flows').click();
      await tid(b, 'flow-new').click();
      await tid(b, 'flow-editor').waitFor();
      await tid(b, 'flow-name').fill('E2E menüsü');
      // A question added at the end: nothing leads to it, its choice has no title and no next.
      await tid(b, 'flow-add-type').selectOption('ask');
      await tid(b, 'flow-add').click();
      await tid(b, 'flow-validate').click();
      await tid(b, 'flow-step-problems-2').waitFor({ timeout: 10000 });
      assert.match(await tid(b, 'flow-step-problems-2').textContent(), /ulaşılamayan/);
      await shot(b, '11-editor-problems');
      // Fixed in the outline: the welcome message leads to the question, the choice to the queue.
      await tid(b, 'step-0-next').selectOption('ask1');
      await tid(b, 'step-2-text').fill('Ne istersiniz?');
      await tid(b, 'step-2-choice-0-title').fill('Temsilci');
      await tid(b, 'step-2-choice-0-next').selectOption('queue');
      await tid(b, 'flow-validate').click();
      await tid(b, 'flow-valid').waitFor({ timeout: 10000 });
      // The try-it simulator: the server's engine, no customer.
      await tid(b, 'sim-start').click();
      await b.waitForSelector('[data-testid="sim-log"] >> text=1. Temsilci', { timeout: 10000 });
      await tid(b, 'sim-answer').fill('1');
      await tid(b, 'sim-send').click();
      await b.waitForSelector('[data-testid="sim-log"] >> text=Akış konuşmayı kuyruğa devretti.', { timeout: 10000 });
      await shot(b, '12-editor-simulator');
      await tid(b, 'flow-publish').click();
      await b.waitForSelector('[data-testid="flow-status"]:has-text("Yayında: sürüm")', { timeout: 10000 });
      const flows = await api('GET', '/api/v1/flows', undefined, admin.token);
      const made = flows.find((f) => f.name === 'E2E menüsü');
      assert.ok(made && made.published_version > 0, 'published on the server');
      const published = await api('GET', `/api/v1/flows/${made.id}`, undefined, admin.token);
      assert.deepEqual(published.definition.steps.map((x) => [x.id, x.type, x.next ?? '']), [['welcome', 'message', 'ask1'], ['queue', 'handover', ''], ['ask1', 'ask', '']]);
      await tid(b, 'flow-back').click();
      await tid(b, `flow-export-${made.id}`).click();
      assert.equal(JSON.parse(await tid(b, 'flow-export-text').inputValue()).format, 'santral.flow/1');
    });
  } finally {
    await browser.close();
  }
}

run(main);
