// End-to-end for supervisors and admins (issue 11), all real: santrald, the desktop app's Go
// side and UI through Wails' dev bridge — an admin's app, an agent's app and a supervisor's
// dashboard window (the same binary started with --dashboard). Started by build/e2e/run.sh.
//
//  - the admin creates a supervisor and an agent, an end reason and a shared quick message in
//    the admin screens; the agent then uses the quick message;
//  - the dashboard sees the agent take a conversation, one queue up, a transfer pending and the
//    agent go on break; the supervisor raises a limit and reassigns from the dashboard, and the
//    agent's app shows both;
//  - screenshots of every new screen in Turkish and English, light and dark.
import { api, launch, run, server, step, until } from './lib.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const adminPassword = process.env.SANTRAL_ADMIN_PASSWORD;
const art = process.env.E2E_ARTIFACTS;
const tid = (page, id) => page.getByTestId(id);
let msgSeq = 0;
const customer = (sender, name, text) =>
  api('POST', '/sandbox/messages', { sender_id: sender, name, message_id: `dash-${Date.now()}-${++msgSeq}`, text });
const received = (sender) => api('GET', `/sandbox/messages?sender_id=${sender}`);

async function login(page, username, password, ready = 'user-name') {
  await tid(page, 'login-server').fill(server);
  await tid(page, 'login-username').fill(username);
  await tid(page, 'login-password').fill(password);
  await tid(page, 'login-submit').click();
  await tid(page, ready).waitFor({ timeout: 15000 });
}

/** Language and theme through the real binding, then a reload shows them. */
async function prefs(page, language, theme) {
  await page.evaluate(async ([language, theme]) => {
    const s = await window.go.app.App.Session();
    await window.go.app.App.SavePreferences({ ...s.preferences, language, theme });
  }, [language, theme]);
  await page.reload();
}

const MODES = [['tr', 'light'], ['tr', 'dark'], ['en', 'light'], ['en', 'dark']];

async function main() {
  const admin = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
  const browser = await launch('e2e-dash-', ['--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows']);
  const adm = await browser.newPage();
  const agent = await browser.newPage();
  const dash = await browser.newPage();
  for (const [name, p] of [['admin', adm], ['agent', agent], ['dashboard', dash]]) {
    p.on('pageerror', (e) => console.log(`  [${name}] page error:`, e.message));
  }
  const shot = (page, name) => page.screenshot({ path: join(art, `dash-${name}.png`) });

  try {
    await adm.goto(process.env.E2E_APP_ADMIN);
    await agent.goto(process.env.E2E_APP_AGENT);
    await dash.goto(process.env.E2E_APP_DASHBOARD);

    await step('the admin creates a supervisor and an agent in the admin screens', async () => {
      await tid(adm, 'login-form').waitFor();
      await login(adm, 'admin', adminPassword);
      await tid(adm, 'open-admin').click();
      await tid(adm, 'admin-users').waitFor();
      for (const [u, name, role, limit] of [['selin', 'Selin Ak', 'supervisor', '0'], ['zeynep', 'Zeynep Arslan', 'agent', '1']]) {
        await tid(adm, 'user-username').fill(u);
        await tid(adm, 'user-display').fill(name);
        await tid(adm, 'user-password').fill(`${u}-password`);
        await tid(adm, 'user-role').selectOption(role);
        await tid(adm, 'user-limit').fill(limit);
        await tid(adm, 'user-create-submit').click();
        await tid(adm, `user-row-${u}`).waitFor({ timeout: 10000 });
      }
      // A refusal shows the server's reason: the same username again.
      await tid(adm, 'user-username').fill('zeynep');
      await tid(adm, 'user-display').fill('Zeynep İki');
      await tid(adm, 'user-password').fill('zeynep-password');
      await tid(adm, 'user-create-submit').click();
      await tid(adm, 'user-error').waitFor();
      assert.match(await tid(adm, 'user-error').textContent(), /kullan/i);
    });

    await step('the admin adds an end reason, a tag and a shared quick message', async () => {
      await tid(adm, 'admin-tab-endReasons').click();
      await tid(adm, 'reason-new').fill('Kargo bilgisi verildi');
      await tid(adm, 'reason-add').click();
      await until('the end reason exists', async () =>
        (await api('GET', '/api/v1/end-reasons', undefined, admin.token)).some((r) => r.label === 'Kargo bilgisi verildi'));
      await tid(adm, 'admin-tab-tags').click();
      await tid(adm, 'tag-new').fill('kargo');
      await tid(adm, 'tag-add').click();
      await until('the tag exists', async () => (await api('GET', '/api/v1/tags', undefined, admin.token)).some((x) => x.label === 'kargo'));
      await tid(adm, 'admin-tab-quick').click();
      await tid(adm, 'quick-title').fill('Kargo yolda');
      await tid(adm, 'quick-shortcut').fill('kargo');
      await tid(adm, 'quick-body').fill('Merhaba {{customer.name}}, kargonuz yolda. {{agent.name}}');
      await tid(adm, 'quick-shared').check();
      await tid(adm, 'quick-save').click();
      await tid(adm, 'quick-row-kargo').waitFor({ timeout: 10000 });
    });

    await step('screenshots of the admin screens in TR/EN, light/dark', async () => {
      for (const [lang, theme] of MODES) {
        await prefs(adm, lang, theme);
        await tid(adm, 'open-admin').click();
        for (const tab of ['users', 'endReasons', 'quick', 'tags', 'workspace', 'widget', 'reports']) {
          await tid(adm, `admin-tab-${tab}`).click();
          await tid(adm, `admin-${tab}`).waitFor();
          if (tab === 'reports') await tid(adm, 'report-table').waitFor({ timeout: 10000 });
          if (tab === 'widget') await until('the widget snippet', async () => /widget\.js/.test(await tid(adm, 'widget-snippet').textContent()));
          await shot(adm, `admin-${tab}-${lang}-${theme}`);
        }
        await adm.keyboard.press('Escape');
      }
      await prefs(adm, 'tr', 'light');
    });

    const users = await api('GET', '/api/v1/users', undefined, admin.token);
    const zeynep = users.find((u) => u.username === 'zeynep');
    // A second agent for the transfer and the reassignment, through the API.
    const can = await api('POST', '/api/v1/users', { username: 'can', display_name: 'Can Öztürk', password: 'can-password', role: 'agent', auto_limit: 0 }, admin.token);
    const canLogin = await api('POST', '/api/v1/auth/login', { username: 'can', password: 'can-password' });
    await api('PUT', '/api/v1/me/presence', { presence: 'online' }, canLogin.token);
    // Conversations an earlier test left waiting would be served first (oldest first): the
    // supervisor clears them — given to Can, then ended — so this test's own are the queue.
    // Agents of an earlier test would be given this test's customers: the supervisor's own
    // action takes them offline first.
    for (const u of await api('GET', '/api/v1/users', undefined, admin.token)) {
      if (!['zeynep', 'can', 'selin', 'admin'].includes(u.username) && u.presence !== 'offline') {
        await api('PUT', `/api/v1/users/${u.id}/presence`, { presence: 'offline' }, admin.token);
      }
    }
    const reasons = await api('GET', '/api/v1/end-reasons', undefined, admin.token);
    for (const c of (await api('GET', '/api/v1/conversations?view=queue', undefined, admin.token)).conversations) {
      await api('POST', `/api/v1/conversations/${c.id}/reassign`, { to_agent_id: can.id }, admin.token);
      await api('POST', `/api/v1/conversations/${c.id}/end`, { end_reason_id: reasons[0].id }, admin.token);
    }

    await step('the supervisor signs in to the dashboard window', async () => {
      await tid(dash, 'login-form').waitFor();
      await login(dash, 'selin', 'selin-password', 'dashboard');
      await dash.waitForSelector('[data-testid="dash-live"][data-live="1"]', { timeout: 15000 });
      await tid(dash, `dash-agent-${zeynep.id}`).waitFor();
    });

    let first, second;
    await step('the agent goes online and takes a conversation; a second queues up; the dashboard sees both', async () => {
      await login(agent, 'zeynep', 'zeynep-password');
      await tid(agent, 'presence-button').click();
      await tid(agent, 'presence-online').click();
      await agent.waitForSelector('[data-testid="presence-button"][data-presence="online"]');
      await dash.waitForSelector(`[data-testid="dash-agent-${zeynep.id}"][data-presence="online"]`, { timeout: 10000 });
      first = (await customer('905551110001', 'Deniz Kaya', 'Kargom nerede?')).conversation_id;
      await tid(agent, `conversation-row-${first}`).waitFor({ timeout: 10000 });
      second = (await customer('905551110002', 'Ege Tan', 'İade etmek istiyorum')).conversation_id;
      await tid(dash, `dash-queued-${second}`).waitFor({ timeout: 10000 });
      await until('the load on the dashboard', async () => (await tid(dash, `dash-load-${zeynep.id}`).textContent()).trim() === '1/1');
    });

    await step('the agent answers with the admin\u2019s quick message, filled in', async () => {
      // The customer wrote last: the row says they are waiting.
      await agent.waitForSelector(`[data-testid="conversation-row-${first}"] .row-wait`);
      await tid(agent, `conversation-row-${first}`).click();
      await agent.waitForSelector(`[data-testid="conversation"][data-conversation-id="${first}"]`);
      await tid(agent, 'composer-input').fill('/kargo');
      await tid(agent, 'quick-popup').waitFor();
      await agent.locator('[data-testid^="quick-item-"][data-shortcut="kargo"]').first().click();
      const text = await until('the quick message filled in', async () => {
        const v = await tid(agent, 'composer-input').inputValue();
        return v !== '/kargo' && v;
      });
      assert.match(text, /Merhaba Deniz Kaya, kargonuz yolda\. Zeynep Arslan/);
      await tid(agent, 'composer-send').click();
      await until('the customer receives the quick message', async () =>
        (await received('905551110001')).some((m) => /kargonuz yolda/.test(m.body)));
      // Answered: nobody is waiting any more.
      await agent.waitForSelector(`[data-testid="conversation-row-${first}"] .row-wait`, { state: 'detached', timeout: 10000 });
      await tid(agent, 'note-input').fill('Müşteri kargo firmasını sordu');
      await tid(agent, 'note-add').click();
      await agent.waitForSelector('[data-kind="note"]', { timeout: 10000 });
      assert.ok(!(await received('905551110001')).some((m) => /kargo firmasını/.test(m.body)), 'an internal note never reaches the customer');
    });

    let offer;
    await step('a transfer pending shows on the dashboard', async () => {
      await tid(agent, 'transfer-button').click();
      await tid(agent, 'transfer-dialog').waitFor();
      await tid(agent, `transfer-agent-${can.id}`).click();
      await tid(agent, 'transfer-note').fill('İade sorusu, bakar mısın?');
      await tid(agent, 'transfer-confirm').click();
      offer = await until('the offer', async () => (await api('GET', '/api/v1/transfers', undefined, canLogin.token)).find((o) => o.state === 'pending'));
      await tid(dash, `dash-offer-${offer.id}`).waitFor({ timeout: 10000 });
      assert.match(await tid(dash, `dash-offer-${offer.id}`).textContent(), /İade sorusu/);
      for (const [lang, theme] of MODES) {
        await prefs(dash, lang, theme);
        await tid(dash, `dash-offer-${offer.id}`).waitFor({ timeout: 10000 });
        await shot(dash, `window-${lang}-${theme}`);
      }
      await prefs(dash, 'tr', 'light');
    });

    await step('the dashboard fits 1280×800 and grows to a wall screen', async () => {
      // A wall screen is read from across the room: the window fills it, nothing scrolls
      // sideways, every panel is on screen and the text grows with the screen.
      const sizes = [[1280, 800], [1920, 1080], [2560, 1440]];
      const fonts = [];
      for (const [width, height] of sizes) {
        await dash.setViewportSize({ width, height });
        await tid(dash, `dash-offer-${offer.id}`).waitFor();
        const m = await dash.evaluate(() => {
          const box = (id) => document.querySelector(`[data-testid="${id}"]`)?.getBoundingClientRect();
          const root = box('dashboard');
          return {
            overflowX: document.documentElement.scrollWidth - window.innerWidth,
            root: root && { w: root.width, h: root.height },
            panels: ['dash-agents', 'dash-queue', 'dash-offers'].map((id) => {
              const b = box(id);
              return { id, inside: !!b && b.left >= 0 && b.right <= window.innerWidth + 0.5 && b.top >= 0 && b.top < window.innerHeight && b.width > 0 };
            }),
            font: parseFloat(getComputedStyle(document.querySelector('.dash')).fontSize),
          };
        });
        assert.ok(m.overflowX <= 0, `${width}×${height}: the page scrolls sideways by ${m.overflowX}px`);
        assert.ok(m.root && m.root.w >= width * 0.98 && m.root.h >= height * 0.98, `${width}×${height}: the dashboard fills ${JSON.stringify(m.root)}`);
        for (const p of m.panels) assert.ok(p.inside, `${width}×${height}: ${p.id} is not on screen`);
        fonts.push(m.font);
        await shot(dash, `wall-${width}x${height}`);
      }
      assert.ok(fonts[2] > fonts[0] * 1.3, `the text grows on a wall screen: ${fonts.join(' / ')} px`);
      await dash.setViewportSize({ width: 1280, height: 800 });
    });

    await step('the receiver rejects the pending offer: it leaves the dashboard', async () => {
      await api('POST', `/api/v1/transfers/${offer.id}/reject`, undefined, canLogin.token);
      await dash.waitForSelector(`[data-testid="dash-offer-${offer.id}"]`, { state: 'detached', timeout: 10000 });
    });

    await step('the supervisor raises the agent\u2019s limit: the waiting conversation reaches her app', async () => {
      await tid(dash, `dash-limit-up-${zeynep.id}`).click();
      await tid(agent, `conversation-row-${second}`).waitFor({ timeout: 10000 });
      await until('2/2 on the dashboard', async () => (await tid(dash, `dash-load-${zeynep.id}`).textContent()).trim() === '2/2');
      await dash.waitForSelector(`[data-testid="dash-queued-${second}"]`, { state: 'detached' });
    });

    await step('the supervisor reassigns a conversation: it leaves the agent\u2019s app', async () => {
      await tid(dash, `dash-reassign-${first}`).selectOption(String(can.id));
      await agent.waitForSelector(`[data-testid="conversation-row-${first}"]`, { state: 'detached', timeout: 10000 });
      const mine = await api('GET', '/api/v1/conversations?view=mine', undefined, canLogin.token);
      assert.ok(mine.conversations.some((c) => c.id === first), 'Can holds it now');
      await shot(agent, 'agent-after-reassign');
    });

    await step('the agent goes on break: the dashboard shows it with the reason', async () => {
      await tid(agent, 'presence-button').click();
      await tid(agent, 'presence-break').click();
      await tid(agent, 'presence-reason-meal').click();
      await tid(agent, 'presence-break-confirm').click();
      await dash.waitForSelector(`[data-testid="dash-agent-${zeynep.id}"][data-presence="break"]`, { timeout: 10000 });
      assert.match(await tid(dash, `dash-presence-${zeynep.id}`).textContent(), /Mola/);
      await shot(dash, 'window-break-tr-light');
    });

    await step('the supervisor ends a stuck conversation with the new reason', async () => {
      const reasons = await api('GET', '/api/v1/end-reasons', undefined, admin.token);
      const r = reasons.find((x) => x.label === 'Kargo bilgisi verildi');
      await tid(dash, `dash-end-${second}`).selectOption(String(r.id));
      await agent.waitForSelector(`[data-testid="conversation-row-${second}"]`, { state: 'detached', timeout: 10000 });
      await dash.waitForSelector(`[data-testid="dash-held-${second}"]`, { state: 'detached', timeout: 10000 });
    });

    await step('the reports screen: today by agent, and its CSV export', async () => {
      await tid(adm, 'open-admin').click();
      await tid(adm, 'admin-tab-reports').click();
      await tid(adm, 'report-by').selectOption('agent');
      await tid(adm, 'report-run').click();
      await tid(adm, `report-row-${can.id}`).waitFor({ timeout: 10000 });
      await shot(adm, 'admin-reports-filled-tr-light');
      await tid(adm, 'report-export').click();
      const toast = adm.locator('.toast', { hasText: '.csv' }).first();
      await toast.waitFor({ timeout: 10000 });
      const path = (await toast.textContent()).match(/(\/\S+\.csv)/)[1];
      const csv = readFileSync(path, 'utf8');
      assert.match(csv.split('\n')[0], /^group,key,conversations,ended/);
      assert.match(csv, /Can Öztürk/);
      assert.match(csv, /\(total\)/);
    });
  } finally {
    await browser.close();
  }
}

run(main);
