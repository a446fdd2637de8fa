import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { buildRequest, credentialNames, formFromAccount, newForm, webhookURL } from '../src/logic/channels';
import type { ChannelAccount } from '../src/types';
import type { World } from './fake-wails';
import { act } from 'preact/test-utils';
import { change, click, mount, settle, typeInto } from './helpers';

afterEach(() => setLanguage('tr'));

const wa: ChannelAccount = {
  id: 7,
  type: 'whatsapp',
  name: 'Mağaza WhatsApp',
  enabled: true,
  base_url: 'https://graph.facebook.com',
  api_version: 'v23.0',
  account_id: '1234567890',
  waba_id: '555',
  human_agent: false,
  webhook_path: '/webhooks/whatsapp/7',
  credentials: ['token', 'app_secret', 'verify_token'],
};
const tg: ChannelAccount = { id: 8, type: 'telegram', name: 'Destek botu', enabled: false, base_url: 'https://api.telegram.org', account_id: '', human_agent: false, webhook_path: '/webhooks/telegram/8', credentials: ['token'] };

describe('channel form logic', () => {
  it('never pre-fills credentials and sends only the typed ones', () => {
    const f = formFromAccount(wa);
    expect(f.credentials).toEqual({});
    expect(f.stored).toEqual(['token', 'app_secret', 'verify_token']);
    const untouched = buildRequest(f);
    expect(untouched.credentials).toBeUndefined();
    expect(untouched.type).toBeUndefined();
    expect(untouched).toMatchObject({ name: 'Mağaza WhatsApp', enabled: true, account_id: '1234567890', waba_id: '555' });
    expect('human_agent' in untouched).toBe(false);
    const typed = buildRequest({ ...f, credentials: { token: 'new-token', app_secret: '' } });
    expect(typed.credentials).toEqual({ token: 'new-token' });
    const cleared = buildRequest({ ...f, base_url: ' ', api_version: '', waba_id: '' });
    expect('base_url' in cleared || 'api_version' in cleared).toBe(false);
    expect(cleared.waba_id).toBe('');
  });

  it('has the fields of each type', () => {
    expect(credentialNames('telegram')).toEqual(['token', 'secret_token']);
    expect(credentialNames('messenger')).toEqual(['token', 'app_secret', 'verify_token']);
    const ms = buildRequest({ ...newForm('messenger'), name: ' Sayfa ', account_id: '99', human_agent: true });
    expect(ms).toEqual({ type: 'messenger', name: 'Sayfa', enabled: true, account_id: '99', human_agent: true });
    const t = buildRequest({ ...newForm('telegram'), name: 'Bot', credentials: { token: '1:abc', verify_token: 'ignored' } });
    expect(t).toEqual({ type: 'telegram', name: 'Bot', enabled: true, credentials: { token: '1:abc' } });
    expect(webhookURL('https://santral.example.com/', '/webhooks/whatsapp/7')).toBe('https://santral.example.com/webhooks/whatsapp/7');
  });
});

function admin(w: World) {
  const me = w.users.find((u) => u.id === w.meId)!;
  me.role = 'admin';
  w.channelAccounts = [structuredClone(wa), structuredClone(tg)];
  w.secrets = { 7: { token: 'stored-token-value', app_secret: 'stored-secret', verify_token: 'stored-verify' }, 8: { token: 'stored-tg' } };
  w.templates = [{ id: 1, channel_id: 7, name: 'kargo', language: 'tr', category: 'UTILITY', body: 'Kargonuz {{1}}', params: 1, paid: false }];
}

describe('channel settings screen', () => {
  it('is offered to admins only', async () => {
    const m = await mount();
    try {
      await click(m.get('settings-button'));
      expect(m.query('settings-channels')).toBeNull();
    } finally {
      m.unmount();
    }
  });

  it('lists accounts with webhook URL and credential names, edits without showing credentials', async () => {
    const m = await mount({ tweak: admin });
    try {
      await click(m.get('settings-button'));
      await click(m.get('settings-channels'));
      const item = m.get('channel-7');
      expect(item.dataset.channel).toBe('whatsapp');
      expect(m.get('channel-enabled-7').textContent).toBe('Etkin');
      expect(m.get('channel-enabled-8').textContent).toBe('Kapalı');
      expect(m.get('channel-webhook-7').textContent).toBe(m.fake.world.serverURL.replace(/\/+$/, '') + '/webhooks/whatsapp/7');
      expect(m.get('channel-credentials-8').textContent).toContain('Erişim anahtarı');
      expect(m.query('channel-sync-8')).toBeNull();
      expect(document.body.innerHTML).not.toContain('stored-');

      await click(m.get('channel-sync-7'));
      expect(m.get('channel-synced-7').textContent?.trim()).toBe('1');

      await click(m.get('channel-edit-7'));
      const token = m.get('channel-cred-token') as HTMLInputElement;
      expect(token.type).toBe('password');
      expect(token.value).toBe('');
      expect(token.placeholder).toContain('ayarlı');
      expect(m.query('channel-human-agent')).toBeNull();
      expect(document.body.innerHTML).not.toContain('stored-');
      await typeInto(m.get('channel-name'), 'Destek WhatsApp');
      await typeInto(m.get('channel-cred-app_secret'), 'yeni-gizli');
      await click(m.get('channel-save'));
      const sent = m.fake.world.channelRequests!.pop()!;
      expect(sent.id).toBe(7);
      expect(sent.req.name).toBe('Destek WhatsApp');
      expect(sent.req.credentials).toEqual({ app_secret: 'yeni-gizli' });
      expect(m.fake.world.secrets![7].token).toBe('stored-token-value');
      expect(m.get('channel-7').textContent).toContain('Destek WhatsApp');
    } finally {
      m.unmount();
    }
  });

  it('adds a Messenger account with HUMAN_AGENT and shows refusals translated', async () => {
    const m = await mount({ tweak: admin });
    try {
      await act(async () => m.ctl.openDialog({ kind: 'channels' }));
      await settle();
      await click(m.get('channel-add'));
      await change(m.get('channel-type'), 'messenger');
      expect(m.query('channel-waba-id')).toBeNull();
      await click(m.get('channel-save'));
      expect(m.get('channel-form-error').textContent).toBe('Geçersiz değer: name.');
      await typeInto(m.get('channel-name'), 'Facebook sayfası');
      await typeInto(m.get('channel-account-id'), '4242');
      await click(m.get('channel-human-agent'));
      await typeInto(m.get('channel-cred-token'), 'EAAG');
      await click(m.get('channel-save'));
      const sent = m.fake.world.channelRequests!.pop()!;
      expect(sent).toEqual({ id: 0, req: { type: 'messenger', name: 'Facebook sayfası', enabled: true, account_id: '4242', human_agent: true, credentials: { token: 'EAAG' } } });
      const added = m.fake.world.channelAccounts!.find((c) => c.type === 'messenger')!;
      expect(m.get(`channel-${added.id}`).textContent).toContain('Facebook sayfası');
      expect(m.get(`channel-credentials-${added.id}`).textContent).not.toContain('EAAG');
    } finally {
      m.unmount();
    }
  });
});
