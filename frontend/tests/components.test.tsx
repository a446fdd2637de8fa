// The real screens rendered over the fake Wails bridge, driven through their data-testid's.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { visibleRange, VirtualList } from '../src/components/VirtualList';
import { setLanguage } from '../src/i18n';
import { change, click, mount, press, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
  document.documentElement.removeAttribute('data-theme');
});

describe('sign-in', () => {
  it('shows a refused sign-in in Turkish, then signs in', async () => {
    m = await mount({ signedIn: false });
    expect(m.query('shell')).toBeNull();
    await typeInto(m.get('login-server'), 'http://127.0.0.1:8080');
    await typeInto(m.get('login-username'), 'ayse');
    await typeInto(m.get('login-password'), 'yanlis');
    await click(m.get('login-submit'));
    expect(m.get('login-error').textContent).toBe('Kullanıcı adı veya şifre hatalı.');
    await typeInto(m.get('login-password'), 'demo1234');
    await click(m.get('login-submit'));
    expect(m.fake.calls.filter((c) => c.method === 'Login').at(-1)?.args).toEqual(['http://127.0.0.1:8080', 'ayse', 'demo1234']);
    expect(m.get('shell')).toBeTruthy();
    expect(m.get('user-name').textContent).toBe('Ayşe Demir');
  });

  it('switches the sign-in screen to English', async () => {
    m = await mount({ signedIn: false });
    await click(m.get('login-language-en'));
    expect(m.get('login-submit').textContent).toBe('Sign in');
  });
});

describe('top bar', () => {
  it('shows presence with its light and goes on break with a reason', async () => {
    m = await mount();
    const btn = m.get('presence-button');
    expect(btn.dataset.presence).toBe('online');
    expect(btn.textContent).toContain('Çevrimiçi');
    await click(btn);
    await click(m.get('presence-break'));
    await click(m.get('presence-reason-meal'));
    expect((m.get('presence-break-reason') as HTMLInputElement).value).toBe('Yemek');
    await click(m.get('presence-break-confirm'));
    expect(m.fake.calls.find((c) => c.method === 'SetPresence')?.args).toEqual(['break', 'Yemek']);
    expect(m.get('presence-button').dataset.presence).toBe('break');
    expect(m.get('presence-button').textContent).toContain('Mola: Yemek');
    expect(m.query('presence-menu')).toBeNull();
    await click(m.get('presence-button'));
    await click(m.get('presence-online'));
    expect(m.get('presence-button').dataset.presence).toBe('online');
  });

  it('shows the connection state, offline since when reconnecting', async () => {
    m = await mount();
    expect(m.get('connection-indicator').dataset.state).toBe('connected');
    expect(m.get('connection-indicator').textContent).toContain('Bağlı');
    const since = new Date(2025, 0, 1, 9, 5).getTime();
    await act(async () => m!.fake.emit('connection', { state: 'reconnecting', since, attempt: 2 }));
    const ind = m.get('connection-indicator');
    expect(ind.dataset.state).toBe('reconnecting');
    expect(ind.textContent).toContain('Yeniden bağlanıyor…');
    expect(ind.textContent).toContain('09:05');
    expect(m.get('offline-banner').textContent).toContain('sıraya alınır');
  });
});

describe('inbox', () => {
  it('lists my conversations with unread badges and waiting time, and switches tabs with Alt+digits', async () => {
    m = await mount();
    expect(m.get('conversation-row-11').textContent).toContain('Elif Şahin');
    expect(m.get('unread-11').textContent).toBe('2');
    expect(m.get('conversation-row-11').textContent).toContain('bekliyor');
    expect(m.get('tab-queue-badge').textContent).toBe('3');
    await press(window, '2', { altKey: true, code: 'Digit2' });
    expect(m.get('tab-queue').getAttribute('aria-selected')).toBe('true');
    expect(m.get('queue-count').dataset.count).toBe('3');
    expect(m.get('queue-row-21')).toBeTruthy();
    await press(window, '3', { altKey: true, code: 'Digit3' });
    expect(m.get('offer-501').textContent).toContain('Mehmet Yılmaz aktarıyor');
    expect(m.get('offer-note-501').textContent).toContain('hasarlı ürün');
  });

  it('pulls with the conversation button', async () => {
    m = await mount();
    await click(m.get('tab-queue'));
    await click(m.get('pull-button'));
    expect(m.fake.count('Pull')).toBe(1);
    expect(m.get('tab-mine').getAttribute('aria-selected')).toBe('true');
    expect(m.get('conversation').dataset.conversationId).toBe('21');
    expect(m.get('conversation-row-21')).toBeTruthy();
  });

  it('shows a refused pull as a notice', async () => {
    m = await mount({ tweak: (w) => (w.conversations = w.conversations.filter((c) => c.state !== 'queued')) });
    await click(m.get('pull-button'));
    expect(m.get('toast').textContent).toContain('Kuyrukta bekleyen konuşma yok.');
  });

  it('counts down an incoming offer and accepts it', async () => {
    m = await mount();
    const text = m.get('offer-countdown-501').textContent ?? '';
    expect(text).toMatch(/^1:(2|3)\d kaldı$/);
    await click(m.get('offer-accept-501'));
    expect(m.fake.calls.some((c) => c.method === 'AcceptTransfer' && c.args[0] === 501)).toBe(true);
    expect(m.get('conversation').dataset.conversationId).toBe('41');
    expect(m.query('offer-501')).toBeNull();
  });

  it('Ctrl+K focuses the search', async () => {
    m = await mount();
    await press(window, 'k', { ctrlKey: true });
    expect(document.activeElement).toBe(m.get('inbox-search'));
  });
});

describe('conversation', () => {
  async function openElif() {
    m = await mount();
    await click(m.get('conversation-row-11'));
    return m;
  }

  it('shows the header, the timeline and the earlier conversations', async () => {
    const m = await openElif();
    expect(m.get('conversation-customer').textContent).toBe('Elif Şahin');
    expect(m.get('conversation-channel').textContent).toContain('WhatsApp');
    expect(m.get('conversation-state').textContent).toBe('Açık');
    expect(m.get('timeline').textContent).toContain('Siparişim ne zaman kargoya verilecek?');
    expect(m.get('timeline').textContent).toContain('Konuşma oluşturuldu');
    expect(m.get('earlier-31').textContent).toContain('Sorun çözüldü');
  });

  it('sends with Enter, keeps Shift+Enter for a new line, and shows the reply', async () => {
    const m = await openElif();
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Merhaba');
    await press(input, 'Enter', { shiftKey: true });
    expect(m.fake.count('Send')).toBe(0);
    await typeInto(input, 'Kargonuz bugün çıkıyor');
    await press(input, 'Enter');
    expect(m.fake.calls.find((c) => c.method === 'Send')?.args).toEqual([11, 'Kargonuz bugün çıkıyor']);
    expect(input.value).toBe('');
    await settle();
    expect(m.get('timeline').textContent).toContain('Kargonuz bugün çıkıyor');
  });

  it('shows a queued reply with its clock and a failed one with the reason, retry and discard', async () => {
    m = await mount({ tweak: (w) => (w.offline = true) });
    await click(m.get('conversation-row-11'));
    await typeInto(m.get('composer-input'), 'Çevrimdışı yazıldı');
    await click(m.get('composer-send'));
    const key = m.fake.world.outbox[0].key;
    expect(m.get(`outbox-${key}`).dataset.state).toBe('queued');
    expect(m.get(`outbox-state-${key}`).textContent).toContain('Sırada');
    m.fake.world.outbox[0].state = 'failed';
    m.fake.world.outbox[0].error = { code: 'not_online', message: 'x' };
    await act(async () => m!.fake.emit('conversation', { id: 11 }));
    await settle();
    expect(m.get(`outbox-state-${key}`).textContent).toBe('Gönderilemedi: Bu işlem için çevrimiçi olmanız gerekir.');
    await click(m.get(`outbox-discard-${key}`));
    expect(m.fake.calls.some((c) => c.method === 'DiscardSend' && c.args[0] === key)).toBe(true);
    expect(m.query(`outbox-${key}`)).toBeNull();
  });

  it('fills a quick message typed as /shortcut', async () => {
    const m = await openElif();
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Selam /mer');
    expect(m.get('quick-popup').textContent).toContain('/merhaba');
    expect(m.query('quick-item-2')).toBeNull();
    await press(input, 'Enter');
    await settle();
    expect(m.fake.calls.find((c) => c.method === 'RenderQuickMessage')?.args).toEqual([11, 1]);
    expect(input.value).toBe('Selam Merhaba Elif Şahin, ben Ayşe Demir. Size nasıl yardımcı olabilirim?');
    expect(m.fake.count('Send')).toBe(0);
    expect(m.query('quick-popup')).toBeNull();
  });

  it('inserts emoji from the picker', async () => {
    const m = await openElif();
    await click(m.get('emoji-button'));
    const first = m.get('emoji-picker').querySelector('button')!;
    await click(first);
    expect((m.get('composer-input') as HTMLTextAreaElement).value).toBe(first.textContent);
  });

  it('transfers to an online agent only, with a note', async () => {
    const m = await openElif();
    await click(m.get('transfer-button'));
    const dialog = m.get('transfer-dialog');
    expect(m.query('transfer-agent-3')).toBeTruthy(); // Mehmet, online
    expect(m.query('transfer-agent-1')).toBeTruthy(); // Selin, online supervisor
    expect(m.query('transfer-agent-4')).toBeNull(); // Zeynep, on break
    expect(m.query('transfer-agent-5')).toBeNull(); // Emre, offline
    expect(m.query('transfer-agent-2')).toBeNull(); // me
    expect((m.get('transfer-confirm') as HTMLButtonElement).disabled).toBe(true);
    await click(dialog.querySelector('[data-testid="transfer-agent-3"] input')!);
    await typeInto(m.get('transfer-note'), 'Kargo takibi gerekiyor');
    await click(m.get('transfer-confirm'));
    expect(m.fake.calls.find((c) => c.method === 'Transfer')?.args).toEqual([11, 3, 'Kargo takibi gerekiyor']);
    expect(m.query('transfer-dialog')).toBeNull();
    expect(m.get('pending-offer').textContent).toContain('Mehmet Yılmaz');
    expect((m.get('transfer-button') as HTMLButtonElement).disabled).toBe(true);
  });

  it('shows a transfer refusal inside the dialog; Esc closes it', async () => {
    const m = await openElif();
    await click(m.get('transfer-button'));
    await click(m.get('transfer-dialog').querySelector('[data-testid="transfer-agent-3"] input')!);
    m.fake.me().presence = 'break';
    await click(m.get('transfer-confirm'));
    expect(m.get('transfer-error').textContent).toBe('Bu işlem için çevrimiçi olmanız gerekir.');
    await press(window, 'Escape');
    expect(m.query('transfer-dialog')).toBeNull();
  });

  it('requires an end reason, then ends the conversation', async () => {
    const m = await openElif();
    await click(m.get('end-button'));
    expect(m.query('end-reason-5')).toBeNull(); // inactive reasons are not offered
    await click(m.get('end-confirm'));
    expect(m.get('end-error').textContent).toBe('Sonlandırma sebebi seçmelisiniz.');
    expect(m.fake.count('End')).toBe(0);
    await click(m.get('end-reason-2').querySelector('input')!);
    await click(m.get('end-confirm'));
    expect(m.fake.calls.find((c) => c.method === 'End')?.args).toEqual([11, 2]);
    expect(m.query('end-dialog')).toBeNull();
    await settle();
    expect(m.get('conversation-state').textContent).toBe('Sonlandırıldı');
    expect(m.get('timeline').textContent).toContain('Sonlandırma sebebi: Bilgi verildi');
    expect(m.query('conversation-row-11')).toBeNull();
  });

  it('asks to go online before replying while on break', async () => {
    m = await mount({ tweak: (w) => (w.users[1].presence = 'break') });
    await click(m.get('conversation-row-11'));
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
    await click(m.get('go-online'));
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false);
  });
});

describe('history and ended', () => {
  it('filters ended conversations and takes one up again', async () => {
    m = await mount();
    await press(window, '5', { altKey: true, code: 'Digit5' });
    expect(m.get('history-row-31')).toBeTruthy();
    expect(m.get('history-row-33')).toBeTruthy();
    await change(m.get('filter-end-reason'), '3');
    await click(m.get('filter-submit'));
    expect(m.fake.calls.filter((c) => c.method === 'History').at(-1)?.args[0]).toMatchObject({ view: 'ended', end_reason_id: 3 });
    expect(m.query('history-row-31')).toBeNull();
    expect(m.get('history-row-33')).toBeTruthy();
    await click(m.get('take-up-33'));
    expect(m.fake.calls.some((c) => c.method === 'TakeUp' && c.args[0] === 33)).toBe(true);
    expect(m.get('tab-mine').getAttribute('aria-selected')).toBe('true');
    expect(m.get('conversation').dataset.conversationId).toBe('33');
    expect(m.get('conversation-row-33')).toBeTruthy();
  });

  it('searches the history by text and customer', async () => {
    m = await mount();
    await click(m.get('tab-history'));
    await typeInto(m.get('filter-text'), 'kargom');
    await typeInto(m.get('filter-customer'), 'Elif');
    await click(m.get('filter-submit'));
    expect(m.fake.calls.filter((c) => c.method === 'History').at(-1)?.args[0]).toMatchObject({ view: 'history', text: 'kargom', customer: 'Elif' });
    expect(m.get('history-row-31')).toBeTruthy();
    expect(m.query('history-row-32')).toBeNull();
  });
});

describe('settings', () => {
  it('saves language, theme, sound and autostart', async () => {
    m = await mount();
    await click(m.get('settings-button'));
    await change(m.get('settings-language'), 'en');
    await click(m.get('settings-theme-dark'));
    await click(m.get('settings-autostart'));
    await click(m.get('settings-save'));
    expect(m.fake.calls.find((c) => c.method === 'SavePreferences')?.args[0]).toEqual({ language: 'en', theme: 'dark', sound: true, autostart: true });
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(m.get('tab-queue').textContent).toContain('Queue');
    expect(m.get('presence-button').textContent).toContain('Online');
  });
});

describe('virtual list', () => {
  it('computes the window of rows to render', () => {
    expect(visibleRange(0, 500, 50, 1000, 2)).toEqual({ start: 0, end: 13 });
    expect(visibleRange(5000, 500, 50, 1000, 2)).toEqual({ start: 98, end: 113 });
    expect(visibleRange(49_800, 500, 50, 1000, 2)).toEqual({ start: 994, end: 1000 });
    expect(visibleRange(0, 500, 50, 0, 2)).toEqual({ start: 0, end: 0 });
  });

  it('renders only a window of 1,000 rows', async () => {
    const root = document.createElement('div');
    document.body.appendChild(root);
    const items = Array.from({ length: 1000 }, (_, i) => i);
    await act(async () => {
      render(<VirtualList items={items} rowHeight={76} getKey={(i) => i} renderRow={(i) => <span class="r">{i}</span>} />, root);
    });
    const rendered = root.querySelectorAll('.r').length;
    expect(rendered).toBeGreaterThan(5);
    expect(rendered).toBeLessThan(40);
    expect((root.querySelector('.vlist-inner') as HTMLElement).style.height).toBe('76000px');
    render(null, root);
    root.remove();
  });
});
