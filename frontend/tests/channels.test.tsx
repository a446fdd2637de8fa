import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { buildRequest, credentialNames, formFromAccount, newForm, webhookURL } from '../src/logic/channels';
import type { ChannelAccount } from '../src/types';
import { change, click, mount, typeInto } from './helpers';

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

describe('channel settings screen (channels.admin.json)', () => {
  it('is offered to admins only', async () => {
    const m = await mount('agent-day.ayse', 'online');
    try {
      await click(m.get('settings-button'));
      expect(m.query('settings-channels')).toBeNull();
    } finally {
      m.unmount();
    }
  });

  it('connects an account, syncs its templates and edits it without ever showing a credential', async () => {
    const m = await mount('channels.admin', 'signed-in');
    try {
      await click(m.get('settings-button'));
      await click(m.get('settings-channels'));
      expect(m.replay.step).toBe('list');
      expect(m.query('channel-1')).toBeTruthy(); // the sandbox, the server's own
      await click(m.get('channel-add'));
      await typeInto(m.get('channel-name'), 'Mağaza WhatsApp');
      await typeInto(m.get('channel-account-id'), '106540352242922');
      await typeInto(m.get('channel-waba-id'), '555');
      await typeInto(m.get('channel-base-url'), 'http://graph.test');
      await typeInto(m.get('channel-cred-token'), 'EAAG-token');
      await typeInto(m.get('channel-cred-app_secret'), 'app-secret');
      await typeInto(m.get('channel-cred-verify_token'), 'verify');
      await click(m.get('channel-save'));
      expect(m.replay.step).toBe('create');
      const wa = m.replay.ids.whatsapp;
      expect(m.get(`channel-${wa}`).dataset.channel).toBe('whatsapp');
      expect(m.get(`channel-enabled-${wa}`).textContent).toBe('Etkin');
      expect(m.get(`channel-webhook-${wa}`).textContent).toBe(`http://santral.test/webhooks/${wa}`);
      expect(m.get(`channel-credentials-${wa}`).textContent).toContain('Erişim anahtarı');
      expect(document.body.innerHTML).not.toContain('EAAG-token');

      await click(m.get(`channel-sync-${wa}`));
      expect(m.replay.step).toBe('sync');
      expect(Number(m.get(`channel-synced-${wa}`).textContent?.trim())).toBeGreaterThan(0);

      await click(m.get(`channel-edit-${wa}`));
      const token = m.get('channel-cred-token') as HTMLInputElement;
      expect(token.type).toBe('password');
      expect(token.value).toBe('');
      expect(token.placeholder).toContain('ayarlı');
      expect(m.query('channel-human-agent')).toBeNull();
      await typeInto(m.get('channel-name'), 'Destek WhatsApp');
      await typeInto(m.get('channel-cred-app_secret'), 'yeni-gizli');
      await click(m.get('channel-save'));
      expect(m.replay.step).toBe('edit');
      expect(m.get(`channel-${wa}`).textContent).toContain('Destek WhatsApp');
      expect(m.replay.misses).toEqual([]);
    } finally {
      m.unmount();
    }
  });

  it('shows the server\'s refusal translated, then adds a Messenger page with HUMAN_AGENT', async () => {
    const m = await mount('channels.admin', 'edit');
    try {
      await click(m.get('settings-button'));
      await click(m.get('settings-channels'));
      await click(m.get('channel-add'));
      await change(m.get('channel-type'), 'messenger');
      expect(m.query('channel-waba-id')).toBeNull();
      await click(m.get('channel-save'));
      expect(m.replay.step).toBe('refused');
      expect(m.get('channel-form-error').textContent).toMatch(/^Geçersiz değer/);
      await typeInto(m.get('channel-name'), 'Facebook sayfası');
      await typeInto(m.get('channel-account-id'), '4242');
      await click(m.get('channel-human-agent'));
      await typeInto(m.get('channel-cred-token'), 'EAAG');
      await click(m.get('channel-save'));
      expect(m.replay.step).toBe('messenger');
      const ms = m.replay.ids.messenger;
      expect(m.get(`channel-${ms}`).textContent).toContain('Facebook sayfası');
      expect(m.get(`channel-credentials-${ms}`).textContent).not.toContain('EAAG');
    } finally {
      m.unmount();
    }
  });
});
