// The agent's polish (issue 11, line 6), the parts a fake bridge shows as well as a recording:
// one click to go online or on break with the time since the change, notices that go when their
// problem is gone and show once when repeated, and ending a conversation moving on to the next.
// (The recorded scenarios cover the same with the real app: components.test.tsx "ending …",
// transfer.test.tsx "the receiver".)

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { AppError, type Bridge } from '../src/bridge';
import { PresenceQuick, PresenceButton } from '../src/components/TopBar';
import { Toasts } from '../src/components/Toasts';
import { ControllerContext } from '../src/context';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { settle } from './helpers';
import type { ConversationView, Inbox, InboxItem, OutboxItem, User } from '../src/types';

afterEach(() => setLanguage('tr'));

const MIN = 60_000;

function screen(ctl: Controller, ui: preact.ComponentChild) {
  const root = document.createElement('div');
  document.body.appendChild(root);
  const mountIt = () =>
    act(async () => {
      render(<ControllerContext.Provider value={ctl}>{ui}</ControllerContext.Provider>, root);
    });
  const q = (id: string) => root.querySelector<HTMLElement>(`[data-testid="${id}"]`);
  return {
    root,
    mountIt,
    q,
    all: (id: string) => [...root.querySelectorAll<HTMLElement>(`[data-testid="${id}"]`)],
    done: () => {
      render(null, root);
      root.remove();
    },
  };
}

function signedIn(ctl: Controller, user: Partial<User>, state = 'connected') {
  ctl.store.set({
    session: { signed_in: true, user: { id: 3, role: 'agent', display_name: 'Ayşe Demir', ...user }, connection: { state, since: 0, attempt: 0 } } as never,
  });
}

describe('presence in one click', () => {
  it('goes online with one click and on break with one, showing since when and for how long', async () => {
    const calls: unknown[][] = [];
    let since = Date.now() - 12 * MIN;
    const api = {
      setPresence: async (p: string, reason: string) => {
        calls.push([p, reason]);
        since = Date.now();
        return { id: 3, role: 'agent', display_name: 'Ayşe Demir', presence: p, presence_since: since } as User;
      },
      inbox: () => new Promise(() => {}),
    } as unknown as Bridge;
    const ctl = new Controller(undefined, api);
    signedIn(ctl, { presence: 'offline', presence_since: since });
    const s = screen(ctl, (
      <>
        <PresenceButton />
        <PresenceQuick />
      </>
    ));
    await s.mountIt();
    const clock = (ms: number) => `${String(new Date(ms).getHours()).padStart(2, '0')}:${String(new Date(ms).getMinutes()).padStart(2, '0')}`;
    expect(s.q('presence-since')!.textContent).toBe(`${clock(since)}’den beri · 12 dk`);
    expect(s.q('presence-go-break')).toBeNull();
    await act(async () => s.q('presence-go-online')!.click());
    await settle();
    expect(calls).toEqual([['online', '']]);
    expect(s.q('presence-button')!.dataset.presence).toBe('online');
    expect(s.q('presence-go-online')).toBeNull();
    expect(s.q('presence-since')!.textContent).toBe(`${clock(since)}’den beri · şimdi`);
    // No reason asked: the server does not require one (checkBreakReason only bounds its length).
    await act(async () => s.q('presence-go-break')!.click());
    await settle();
    expect(calls).toEqual([['online', ''], ['break', '']]);
    expect(s.q('presence-button')!.dataset.presence).toBe('break');
    expect(s.q('presence-go-online')).toBeTruthy();
    setLanguage('en');
    await s.mountIt();
    await act(async () => ctl.store.set({ offset: 65 * MIN + 30_000 })); // the server's clock is 65½ min ahead
    await s.mountIt();
    expect(s.q('presence-since')!.textContent).toMatch(/^since \d\d:\d\d · 1h 5m$/);
    s.done();
  });

  it('offers no change while disconnected: the presence is unknown then', async () => {
    const ctl = new Controller(undefined, {} as Bridge);
    signedIn(ctl, { presence: 'online', presence_since: Date.now() }, 'reconnecting');
    const s = screen(ctl, (
      <>
        <PresenceButton />
        <PresenceQuick />
      </>
    ));
    await s.mountIt();
    expect(s.q('presence-button')!.className).toContain('presence-unknown');
    expect(s.q('presence-go-break')).toBeNull();
    expect(s.q('presence-go-online')).toBeNull();
    expect(s.q('presence-since')).toBeNull();
    s.done();
  });
});

describe('notices', () => {
  const toastTexts = (ctl: Controller) => ctl.state.toasts.map((x) => x.text);

  it('"no connection" shows once with a count, and goes when the connection is back', async () => {
    const ctl = new Controller(undefined, {} as Bridge);
    signedIn(ctl, { presence: 'online' }, 'reconnecting');
    const s = screen(ctl, <Toasts />);
    await s.mountIt();
    await act(async () => {
      ctl.fail(new AppError('offline', 'the server cannot be reached'));
      ctl.fail(new AppError('offline', 'the server cannot be reached'));
      ctl.toast('success', 'Konuşma sonlandırıldı.');
    });
    expect(s.all('toast').map((e) => e.firstElementChild!.textContent)).toEqual(['Sunucuya bağlantı yok. Bağlantı gelince tekrar deneyin.', 'Konuşma sonlandırıldı.']);
    expect(s.q('toast-count')!.textContent).toBe('×2');
    await act(async () => ctl.applyConnection({ state: 'connected', since: 1, attempt: 0 } as never));
    // Only the connection's notice goes; the other is about something else.
    expect(toastTexts(ctl)).toEqual(['Konuşma sonlandırıldı.']);
    s.done();
  });

  it('the same notice raised twice is one notice', () => {
    const ctl = new Controller(undefined, {} as Bridge);
    ctl.toast('info', 'Aktarım reddedildi.');
    ctl.toast('info', 'Aktarım reddedildi.');
    expect(ctl.state.toasts).toHaveLength(1);
    expect(ctl.state.toasts[0].count).toBe(2);
  });

  it('"on break" refusals go once the agent is online', async () => {
    const api = {
      setPresence: async (p: string) => ({ id: 3, role: 'agent', presence: p, presence_since: 1 }) as User,
      inbox: () => new Promise(() => {}),
    } as unknown as Bridge;
    const ctl = new Controller(undefined, api);
    signedIn(ctl, { presence: 'break' });
    ctl.fail(new AppError('agent_on_break', 'on break'));
    expect(ctl.state.toasts).toHaveLength(1);
    await ctl.setPresence('online', '');
    expect(ctl.state.toasts).toHaveLength(0);
  });

  it('a refused reply elsewhere is told, and the notice goes once the retried reply is on its way', async () => {
    const api = { retrySend: async () => {}, openConversation: () => new Promise(() => {}) } as unknown as Bridge;
    const ctl = new Controller(undefined, api);
    signedIn(ctl, { presence: 'online' });
    const item: OutboxItem = { key: 'k-1', conversation_id: 5, body: 'Merhaba', state: 'failed', error: { code: 'not_online', message: '' }, created_at: 1 };
    ctl.applyOutbox({ item, conversation: 'Elif Şahin' });
    ctl.applyOutbox({ item, conversation: 'Elif Şahin' }); // told again by a resync: still one notice
    expect(toastTexts(ctl)).toEqual(['Elif Şahin konuşmasına yanıtınız gönderilemedi: Bu işlem için çevrimiçi olmanız gerekir.']);
    ctl.applyOutbox({ item: { ...item, state: 'queued', error: null }, conversation: 'Elif Şahin' });
    expect(ctl.state.toasts).toHaveLength(0);
    // Delivered after a retry from the conversation: the same.
    ctl.applyOutbox({ item, conversation: 'Elif Şahin' });
    expect(ctl.state.toasts).toHaveLength(1);
    await ctl.retrySend('k-1');
    expect(ctl.state.toasts).toHaveLength(0);
  });
});

describe('ending moves on', () => {
  const conv = (id: number, at: number) => ({ id, state: 'assigned', agent_id: 3, last_message_at: at, contact: { id, name: `Müşteri ${id}` }, channel: { id: 1, type: 'sandbox' }, unread: 0 }) as unknown as InboxItem;

  function setup(mine: InboxItem[]) {
    const opened: number[] = [];
    const api = {
      end: async () => ({}),
      inbox: () => new Promise(() => {}),
      openConversation: async (id: number) => {
        opened.push(id);
        return { conversation: mine.find((c) => c.id === id), messages: [], timeline: [], outbox: [], pending_offer: null } as unknown as ConversationView;
      },
    } as unknown as Bridge;
    const ctl = new Controller(undefined, api);
    signedIn(ctl, { presence: 'online' });
    ctl.store.set({ inbox: { mine, queue: [], offers: [], agents: [], end_reasons: [], quick_messages: [], unread_total: 0, server_time: 0 } as unknown as Inbox });
    return { ctl, opened };
  }

  // The list shows the latest activity first: 3, 2, 1.
  const list = () => [conv(1, 100), conv(2, 200), conv(3, 300)];

  it('to the one below', async () => {
    const { ctl, opened } = setup(list());
    await ctl.select(3);
    await ctl.end(3, 1);
    expect(ctl.state.selectedId).toBe(2);
    expect(opened).toEqual([3, 2]);
  });

  it('to the one above when it was the last', async () => {
    const { ctl } = setup(list());
    await ctl.select(1);
    await ctl.end(1, 1);
    expect(ctl.state.selectedId).toBe(2);
  });

  it('to the empty state when it was the only one', async () => {
    const { ctl } = setup([conv(7, 100)]);
    await ctl.select(7);
    await ctl.end(7, 1);
    expect(ctl.state.selectedId).toBeNull();
    expect(ctl.state.view).toBeNull();
  });
});
