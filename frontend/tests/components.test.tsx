// The real screens over recorded answers of the real app against a real santrald (ayse's day,
// tests/recorded/agent-day.ayse.json), driven through their data-testid's.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { visibleRange, VirtualList } from '../src/components/VirtualList';
import { setLanguage, t } from '../src/i18n';
import { change, click, mount, press, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
  document.documentElement.removeAttribute('data-theme');
});

const day = (at: string) => mount('agent-day.ayse', at);

describe('sign-in', () => {
  it('shows the server\'s refusal in Turkish, then signs in', async () => {
    m = await day('signed-out');
    expect(m.query('shell')).toBeNull();
    await typeInto(m.get('login-server'), 'http://santral.test');
    await typeInto(m.get('login-username'), 'ayse');
    await typeInto(m.get('login-password'), 'yanlis');
    await click(m.get('login-submit'));
    expect(m.get('login-error').textContent).toBe('Kullanıcı adı veya şifre hatalı.');
    await typeInto(m.get('login-password'), 'password-ayse');
    await click(m.get('login-submit'));
    expect(m.replay.step).toBe('signed-in');
    expect(m.get('shell')).toBeTruthy();
    expect(m.get('user-name').textContent).toBe('Ayşe Demir');
    expect(m.replay.misses).toEqual([]);
  });

  it('switches the sign-in screen to English (remembered by the Go side)', async () => {
    m = await day('signed-out');
    await click(m.get('login-language-en'));
    expect(m.get('login-submit').textContent).toBe('Sign in');
    expect(m.replay.calls.filter((c) => c.method === 'SavePreferences').at(-1)?.args[0]).toMatchObject({ language: 'en' });
    expect(m.replay.misses).toEqual([]);
  });
});

describe('top bar', () => {
  it('goes online, then on break with a reason, and shows the connection state', async () => {
    m = await day('signed-in');
    expect(m.get('presence-button').dataset.presence).toBe('offline');
    expect(m.get('connection-indicator').dataset.state).toBe('connected');
    await click(m.get('presence-button'));
    await click(m.get('presence-online'));
    expect(m.get('presence-button').dataset.presence).toBe('online');
    await click(m.get('presence-button'));
    await click(m.get('presence-break'));
    await click(m.get('presence-reason-meal'));
    expect((m.get('presence-break-reason') as HTMLInputElement).value).toBe('Yemek');
    await click(m.get('presence-break-confirm'));
    expect(m.replay.calls.filter((c) => c.method === 'SetPresence').map((c) => c.args)).toEqual([['online', ''], ['break', 'Yemek']]);
    expect(m.get('presence-button').dataset.presence).toBe('break');
    expect(m.get('presence-button').textContent).toContain('Mola: Yemek');
  });

  it('shows "offline since" while reconnecting', async () => {
    m = await day('online');
    const since = new Date(2026, 0, 12, 9, 5).getTime();
    await act(async () => m!.replay.emit('connection', { state: 'reconnecting', since, attempt: 2 }));
    const ind = m.get('connection-indicator');
    expect(ind.dataset.state).toBe('reconnecting');
    expect(ind.textContent).toContain('Yeniden bağlanıyor…');
    expect(ind.textContent).toContain('09:05');
    expect(m.get('offline-banner').textContent).toContain('sıraya alınır');
  });

  it('says in words why the link is down, never the Go error', async () => {
    m = await day('online');
    await act(async () =>
      m!.replay.emit('connection', { state: 'reconnecting', since: Date.now(), attempt: 1, error: 'sync: the server cannot be reached: dial tcp 127.0.0.1:8080: connect: connection refused', reason: 'unreachable' }),
    );
    const ind = m.get('connection-indicator');
    expect(ind.getAttribute('title')).toContain('Sunucuya ulaşılamıyor');
    expect(ind.outerHTML).not.toContain('dial tcp');
  });
});

describe('inbox', () => {
  it('lists the conversations the server assigned, with unread counts, and switches tabs with Alt+digits', async () => {
    m = await day('online');
    expect(m.query('conversation-row-' + m.replay.ids.elif)).toBeNull();
    await m.advance('customers-write');
    const { elif, burak } = m.replay.ids;
    expect(m.get(`conversation-row-${elif}`).textContent).toContain('Elif Şahin');
    expect(m.get(`unread-${elif}`).textContent).toBe('2');
    expect(m.get(`unread-${burak}`).textContent).toBe('1');
    expect(m.get('unread-total').textContent).toBe('3');
    await press(window, '2', { altKey: true, code: 'Digit2' });
    expect(m.get('tab-queue').getAttribute('aria-selected')).toBe('true');
    expect(m.get('queue-count').dataset.count).toBe('0');
    expect(m.get('queue-empty')).toBeTruthy();
  });

  it('shows the server\'s refusal of a pull', async () => {
    m = await day('take-up');
    await click(m.get('pull-button'));
    expect(m.replay.step).toBe('pull-empty');
    expect(m.get('toast').textContent).toContain('Kuyrukta bekleyen konuşma yok.');
  });

  it('Ctrl+K focuses the search', async () => {
    m = await day('customers-write');
    await press(window, 'k', { ctrlKey: true });
    expect(document.activeElement).toBe(m.get('inbox-search'));
  });
});

describe('conversation', () => {
  async function openElif() {
    m = await day('customers-write');
    await click(m.get(`conversation-row-${m.replay.ids.elif}`));
    return m;
  }

  it('opens a conversation: header, timeline, unread cleared', async () => {
    const m = await openElif();
    expect(m.replay.step).toBe('open');
    expect(m.get('conversation-customer').textContent).toBe('Elif Şahin');
    expect(m.get('conversation-channel').getAttribute('data-channel')).toBe('sandbox');
    expect(m.get('conversation-state').textContent).toBe('Açık');
    expect(m.get('timeline').textContent).toContain('Siparişim ne zaman kargoya verilecek?');
    expect(m.get('timeline').textContent).toContain('Konuşma oluşturuldu');
    expect(m.query(`unread-${m.replay.ids.elif}`)).toBeNull();
    expect(m.query('window-banner')).toBeNull(); // the sandbox has no window
  });

  it('sends with Enter (Shift+Enter is a new line); connected, the reply comes back sent', async () => {
    const m = await openElif();
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Merhaba');
    await press(input, 'Enter', { shiftKey: true });
    expect(m.replay.count('Send')).toBe(0);
    await typeInto(input, 'Kargonuz bugün çıkıyor');
    await press(input, 'Enter');
    expect(m.replay.calls.find((c) => c.method === 'Send')?.args).toEqual([m.replay.ids.elif, 'Kargonuz bugün çıkıyor']);
    expect(input.value).toBe('');
    await settle();
    expect(m.get('timeline').textContent).toContain('Kargonuz bugün çıkıyor');
    expect(m.root.querySelector('[data-testid^="outbox-"]')).toBeNull(); // shown once: as the server's message
    expect(m.replay.misses).toEqual([]);
  });

  it('fills a quick message typed as /shortcut, rendered by the Go side', async () => {
    const m = await openElif();
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Selam /mer');
    expect(m.get('quick-popup').textContent).toContain('/merhaba');
    expect(m.query(`quick-item-${m.replay.ids.quick_mine}`)).toBeNull();
    // The popup shows the text as it would be sent here, filled in by the Go side.
    await settle();
    expect(m.get(`quick-preview-${m.replay.ids.quick_greet}`).textContent).toBe('Merhaba Elif Şahin, ben Ayşe Demir. Size nasıl yardımcı olabilirim?');
    await press(input, 'Enter');
    await settle();
    expect(m.replay.calls.find((c) => c.method === 'RenderQuickMessage')?.args).toEqual([m.replay.ids.elif, m.replay.ids.quick_greet]);
    expect(input.value).toBe('Selam Merhaba Elif Şahin, ben Ayşe Demir. Size nasıl yardımcı olabilirim?');
    expect(m.replay.count('Send')).toBe(0);
  });

  it('inserts emoji from the picker', async () => {
    const m = await openElif();
    await click(m.get('emoji-button'));
    const first = m.get('emoji-picker').querySelector('button')!;
    await click(first);
    expect((m.get('composer-input') as HTMLTextAreaElement).value).toBe(first.textContent);
  });

  it('closes the emoji picker on send and on Esc, in the text or on the picker', async () => {
    const m = await openElif();
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await click(m.get('emoji-button'));
    await click(m.get('emoji-picker').querySelector('button')!);
    await press(input, 'Enter');
    await settle();
    expect(m.replay.count('Send')).toBe(1);
    expect(m.query('emoji-picker')).toBeNull();
    await click(m.get('emoji-button'));
    await press(input, 'Escape');
    expect(m.query('emoji-picker')).toBeNull();
    await click(m.get('emoji-button'));
    await press(m.get('emoji-picker').querySelector('button')!, 'Escape');
    expect(m.query('emoji-picker')).toBeNull();
  });

  it('on break, says so and lets the server refuse the reply in sight; discard removes it', async () => {
    m = await day('reply');
    await click(m.get(`conversation-row-${m.replay.ids.elif}`));
    await click(m.get('presence-button'));
    await click(m.get('presence-break'));
    await click(m.get('presence-reason-meal'));
    await click(m.get('presence-break-confirm'));
    expect(m.get('not-online-note').textContent).toContain('Moladasınız');
    const input = m.get('composer-input') as HTMLTextAreaElement;
    expect(input.disabled).toBe(false); // who may reply is the server's answer
    await typeInto(input, 'Moladayken yazdım');
    await press(input, 'Enter');
    const item = m.root.querySelector<HTMLElement>('[data-testid^="outbox-"][data-state]')!;
    expect(item.dataset.state).toBe('failed');
    const key = item.dataset.testid!.replace('outbox-', '');
    expect(m.get(`outbox-state-${key}`).textContent).toBe('Gönderilemedi: Molada: molada olan temsilci konuşma alamaz, yanıt veremez ve aktarım alamaz.');
    await click(m.get(`outbox-discard-${key}`));
    expect(m.replay.calls.some((c) => c.method === 'DiscardSend' && c.args[0] === key)).toBe(true);
    expect(m.query(`outbox-${key}`)).toBeNull();
  });

  it('ending without a reason is refused by the server; with one it ends and the next conversation opens', async () => {
    m = await day('back-online');
    const { elif, burak } = m.replay.ids;
    await click(m.get(`conversation-row-${elif}`));
    await click(m.get('end-button'));
    await click(m.get('end-confirm'));
    expect(m.replay.calls.find((c) => c.method === 'End')?.args).toEqual([elif, 0]);
    expect(m.get('end-error').textContent).toBe('Sonlandırma sebebi seçmelisiniz.');
    await click(m.get(`end-reason-${m.replay.ids.end_reason_other}`).querySelector('input')!);
    await click(m.get('end-confirm'));
    expect(m.query('end-dialog')).toBeNull();
    await settle();
    // Issue 11 (the agent's polish): ending moves on to the next conversation in my list —
    // Burak's, below Elif's — rather than staying on the ended one.
    expect(m.query(`conversation-row-${elif}`)).toBeNull();
    expect(m.get('conversation').dataset.conversationId).toBe(String(burak));
    expect(m.get(`conversation-row-${burak}`).getAttribute('aria-current')).toBe('true');
    expect(m.get('toast').textContent).toContain(t('toast.ended'));
    expect(m.replay.misses).toEqual([]);
    // The ended one is in the history, with its reason.
    await click(m.get('tab-history'));
    await click(m.get(`history-row-${elif}`));
    await settle();
    expect(m.get('conversation-state').textContent).toBe('Sonlandırıldı');
    expect(m.get('timeline').textContent).toContain('Sonlandırma sebebi: Bilgi verildi');
    expect(m.get('readonly-note')).toBeTruthy();
  });
});

describe('history and ended', () => {
  it('filters the history as the server answers it, and takes a conversation up again', async () => {
    m = await day('end');
    const elif = m.replay.ids.elif;
    await click(m.get('tab-history'));
    expect(m.get(`history-row-${elif}`)).toBeTruthy();
    if (!m.query('filter-text')) await click(m.get('history-filter-toggle'));
    await typeInto(m.get('filter-text'), 'kargo');
    await typeInto(m.get('filter-customer'), 'Elif');
    await click(m.get('filter-submit'));
    expect(m.replay.step).toBe('filter');
    expect(m.get(`history-row-${elif}`)).toBeTruthy();

    await press(window, '5', { altKey: true, code: 'Digit5' });
    if (!m.query('filter-end-reason')) await click(m.get('ended-filter-toggle'));
    await change(m.get('filter-end-reason'), String(m.replay.ids.end_reason));
    await click(m.get('filter-submit'));
    expect(m.query(`history-row-${elif}`)).toBeNull();
    await change(m.get('filter-end-reason'), String(m.replay.ids.end_reason_other));
    await click(m.get('filter-submit'));
    expect(m.get(`history-row-${elif}`)).toBeTruthy();
    await click(m.get(`take-up-${elif}`));
    expect(m.replay.step).toBe('take-up');
    expect(m.get('tab-mine').getAttribute('aria-selected')).toBe('true');
    expect(m.get('conversation').dataset.conversationId).toBe(String(elif));
    expect(m.get(`conversation-row-${elif}`)).toBeTruthy();
    expect(m.replay.misses).toEqual([]);
  });

  it('shows a refused filter', async () => {
    m = await day('filter');
    await click(m.get('tab-history'));
    await act(async () => m!.ctl.historySearch('history', { from: '2025-13-01' })); // a date input cannot hold it
    await settle();
    expect(m.get('history-error').textContent).toBe('Geçersiz değer: from.');
  });
});

describe('settings and sign-out', () => {
  it('saves language and theme through the Go side, then signs out', async () => {
    m = await day('pull-empty');
    await click(m.get('settings-button'));
    await change(m.get('settings-language'), 'en');
    await click(m.get('settings-theme-dark'));
    await click(m.get('settings-save'));
    expect(m.replay.step).toBe('preferences');
    expect(document.documentElement.dataset.theme).toBe('dark');
    expect(m.get('tab-queue').textContent).toContain('Queue');
    await click(m.get('sign-out'));
    expect(m.replay.step).toBe('logout');
    expect(m.get('login-form')).toBeTruthy();
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
