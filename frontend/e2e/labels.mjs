// No cut labels (issue 11, "the agent's polish"): an agent's main screens at 1280×800 and
// 1024×768, in Turkish and in English, in the real app (dev bridge) against the real santrald.
// On each screen every visible label of the interface — buttons, tabs, form labels, headings,
// pills and badges — must show its whole text: the check fails when one's text is wider than
// its box (scrollWidth > clientWidth) while it clips or ellipsizes, or spills out of a button.
// What customers wrote (names, previews, messages) may be ellipsized by design and is not
// checked. An empty field's placeholder must fit too. Screenshots of every screen go to the artifacts. Started by build/e2e/run.sh.
import { api, launch, run, server, step, until } from './lib.mjs';
import { cutLabels } from './cutlabels.mjs';
import { join } from 'node:path';
import assert from 'node:assert/strict';

const art = process.env.E2E_ARTIFACTS;
const appURL = process.env.E2E_APP_LABELS;
const adminPassword = process.env.SANTRAL_ADMIN_PASSWORD;

async function main() {
  const admin = await api('POST', '/api/v1/auth/login', { username: 'admin', password: adminPassword });
  await api('POST', '/api/v1/users', { username: 'leyla', display_name: 'Leyla Çelik', password: 'leyla-password', role: 'agent', auto_limit: 3 }, admin.token);
  const browser = await launch('e2e-labels-chromium-');
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('  [labels app] page error:', e.message));
  const tid = (id) => page.getByTestId(id);
  const problems = [];
  try {
    await step('the check itself finds a cut button, an ellipsized label and a cut placeholder', async () => {
      await page.setContent(`<div style="font: 14px sans-serif">
        <button style="width: 40px; overflow: hidden; white-space: nowrap">Konuşma çek</button>
        <label><span style="display: inline-block; width: 50px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap">Sonlandırma sebebi</span></label>
        <input style="width: 60px" placeholder="Konuşmalarda ara">
        <button>Aktar</button></div>`);
      const cut = await cutLabels(page);
      assert.equal(cut.length, 3, cut.join('\n'));
    });
    await page.goto(appURL);
    await step('the agent signs in, goes online and gets a conversation', async () => {
      await tid('login-server').fill(server);
      await tid('login-username').fill('leyla');
      await tid('login-password').fill('leyla-password');
      await tid('login-submit').click();
      await page.waitForSelector('[data-testid="connection-indicator"][data-state="connected"]', { timeout: 15000 });
      await tid('presence-button').click();
      await tid('presence-online').click();
      await page.waitForSelector('[data-testid="presence-button"][data-presence="online"]', { timeout: 10000 });
      await api('POST', '/sandbox/messages', { sender_id: 'labels-1', name: 'Gülşen Karaağaçlıoğlu', message_id: `labels-${Date.now()}`, text: 'Merhaba, siparişim hâlâ gelmedi, iade süreci nasıl işliyor?' });
      await page.waitForSelector('[data-testid^="conversation-row-"]', { timeout: 15000 });
      await page.locator('[data-testid^="conversation-row-"]').first().click();
      await tid('composer-input').waitFor();
    });

    const screens = [
      ['inbox', async () => tid('tab-mine').click()],
      ['queue', async () => tid('tab-queue').click()],
      ['transfers', async () => tid('tab-transfers').click()],
      ['history', async () => tid('tab-history').click()],
      ['presence-menu', async () => {
        await tid('tab-mine').click();
        await tid('presence-button').click();
        await tid('presence-menu').waitFor();
      }],
      ['transfer-dialog', async () => {
        await page.keyboard.press('Escape');
        await tid('transfer-button').click();
        await page.waitForSelector('.dialog', { timeout: 5000 });
      }],
      ['end-dialog', async () => {
        await page.keyboard.press('Escape');
        await tid('end-button').click();
        await page.waitForSelector('.dialog', { timeout: 5000 });
      }],
      ['settings', async () => {
        await page.keyboard.press('Escape');
        await tid('settings-button').click();
        await tid('settings-language').waitFor();
      }],
    ];

    for (const lang of ['tr', 'en']) {
      await step(`language ${lang}`, async () => {
        await page.keyboard.press('Escape');
        await tid('settings-button').click();
        await tid('settings-language').selectOption(lang);
        await tid('settings-save').click();
        const mine = lang === 'tr' ? 'Konuşmalarım' : 'My conversations';
        await until('the language applied', async () => (await tid('tab-mine').innerText()).includes(mine));
      });
      for (const [w, h] of [[1280, 800], [1024, 768]]) {
        await page.setViewportSize({ width: w, height: h });
        for (const [name, open] of screens) {
          await step(`${lang} ${w}×${h} ${name}: every label whole`, async () => {
            await open();
            await page.waitForTimeout(150); // a dialog's opening transition
            await page.screenshot({ path: join(art, `labels-${lang}-${w}x${h}-${name}.png`) });
            if (name === 'history' && (await tid('filter-from').isVisible())) {
              // Dates as the app writes them in every build, not the web view's locale's mm/dd/yyyy.
              assert.equal(await tid('filter-from').getAttribute('placeholder'), lang === 'tr' ? 'gg.aa.yyyy' : 'dd/mm/yyyy');
            }
            const cut = await cutLabels(page);
            for (const c of cut) problems.push(`${lang} ${w}×${h} ${name}: ${c}`);
          });
        }
        await page.keyboard.press('Escape');
      }
    }
    await step('no label is cut on any screen', async () => {
      assert.deepEqual(problems, []);
    });
  } finally {
    await browser.close();
  }
}

run(main);
