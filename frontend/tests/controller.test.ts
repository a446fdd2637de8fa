// The controller over recorded answers of the real app (no DOM): reading, re-reading on the Go
// side's events, the server's clock, and what it does with refusals.

import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { serverNow } from '../src/time';
import type { Inbox } from '../src/types';
import { Replay } from './replay';

let replay: Replay | null = null;
afterEach(() => {
  replay?.uninstall();
  replay = null;
  setLanguage('tr');
});

const tick = () => new Promise((r) => setTimeout(r, 0));
async function settle() {
  for (let i = 0; i < 6; i++) await tick();
}

async function started(recording: string, at: string) {
  replay = new Replay(recording, at).install();
  const ctl = new Controller();
  await ctl.start();
  await settle();
  return ctl;
}

describe('controller: session and inbox', () => {
  it('reads the session, then the inbox, and takes "now" from the server\'s clock', async () => {
    const ctl = await started('agent-day.ayse', 'customers-write');
    const inbox = replay!.answer('customers-write', 'Inbox') as Inbox;
    expect(ctl.state.session?.user?.username).toBe('ayse');
    expect(ctl.state.inbox.mine.map((c) => c.id).sort()).toEqual(inbox.mine.map((c) => c.id).sort());
    // The recorded server clock is on another day than this machine's: the offset carries it.
    expect(Math.abs(serverNow(ctl.state.offset) - inbox.server_time)).toBeLessThan(5000);
  });

  it('stays on sign-in when signed out and does not read the inbox', async () => {
    const ctl = await started('agent-day.ayse', 'signed-out');
    expect(ctl.state.session?.signed_in).toBe(false);
    expect(replay!.count('Inbox')).toBe(0);
  });

  it('re-reads the inbox on "inbox" events, one call at a time', async () => {
    await started('agent-day.ayse', 'customers-write');
    const before = replay!.count('Inbox');
    for (let i = 0; i < 10; i++) replay!.emit('inbox');
    await settle();
    expect(replay!.count('Inbox') - before).toBe(2); // one read, the nine others coalesce into one more
  });

  it('follows the connection state', async () => {
    const ctl = await started('agent-day.ayse', 'online');
    replay!.emit('connection', { state: 'reconnecting', since: 1234, attempt: 3, error: 'dial tcp: refused' });
    expect(ctl.state.session?.connection).toEqual({ state: 'reconnecting', since: 1234, attempt: 3, error: 'dial tcp: refused' });
  });

  it('clears everything when the app says the session ended', async () => {
    const ctl = await started('agent-day.ayse', 'pull-empty');
    await ctl.select(replay!.ids.elif);
    await ctl.logout();
    expect(replay!.step).toBe('logout');
    expect(ctl.state.session?.signed_in).toBe(false);
    expect(ctl.state.inbox.mine).toEqual([]);
    expect(ctl.state.view).toBeNull();
  });
});

describe('controller: conversations', () => {
  it('opens a conversation and clears its unread count at once', async () => {
    const ctl = await started('agent-day.ayse', 'customers-write');
    const elif = replay!.ids.elif;
    expect(ctl.state.inbox.unread_total).toBe(3);
    const p = ctl.select(elif);
    expect(ctl.state.inbox.mine.find((c) => c.id === elif)?.unread).toBe(0);
    expect(ctl.state.inbox.unread_total).toBe(1);
    await p;
    expect(ctl.state.view?.conversation.id).toBe(elif);
    expect(ctl.state.view?.messages).toHaveLength(2);
  });

  it('re-reads the open conversation on its "conversation" event only', async () => {
    const ctl = await started('agent-day.ayse', 'customers-write');
    await ctl.select(replay!.ids.elif);
    const n = replay!.count('OpenConversation');
    replay!.emit('conversation', { id: replay!.ids.burak });
    await settle();
    expect(replay!.count('OpenConversation')).toBe(n);
    replay!.emit('conversation', { id: replay!.ids.elif });
    await settle();
    expect(replay!.count('OpenConversation')).toBe(n + 1);
  });

  it('an answer for a conversation no longer selected does not replace the view', async () => {
    const ctl = await started('agent-day.ayse', 'open');
    const { elif, burak } = replay!.ids;
    const first = ctl.select(burak); // answered after the next select (refused: not recorded)
    await ctl.select(elif);
    await first;
    expect(ctl.state.selectedId).toBe(elif);
    expect(ctl.state.view?.conversation.id).toBe(elif);
  });

  it('selects the conversation of a clicked notification; a transfer offer\'s shows the offer', async () => {
    let ctl = await started('agent-day.ayse', 'open');
    ctl.setTab('queue');
    replay!.emit('open-conversation', { id: replay!.ids.elif });
    await settle();
    expect(ctl.state.tab).toBe('mine');
    expect(ctl.state.view?.conversation.id).toBe(replay!.ids.elif);
    replay!.uninstall();
    ctl = await started('transfer.receiver', 'offer-arrives');
    replay!.emit('open-conversation', { id: replay!.ids.conv });
    await settle();
    expect(ctl.state.tab).toBe('transfers');
    expect(ctl.state.selectedId).toBeNull();
  });

  it('shows why a pull was refused, with the server\'s code', async () => {
    const ctl = await started('agent-day.ayse', 'reply-on-break');
    expect(await ctl.pull()).toBe(false);
    expect(replay!.step).toBe('pull-on-break');
    expect(ctl.state.toasts.at(-1)).toMatchObject({ kind: 'error' });
    expect(ctl.state.toasts.at(-1)?.text).toContain('Molada');
    expect(ctl.state.busy.pull).toBeUndefined();
  });

  it('locks a conversation that left me, drops it from my list, closes its dialog', async () => {
    const ctl = await started('transfer.sender', 'offered');
    const { conv, mehmet } = replay!.ids;
    await ctl.select(conv);
    ctl.openDialog({ kind: 'transfer', conversationId: conv });
    replay!.advance('accepted');
    await settle();
    expect(ctl.state.lost[conv]).toEqual({ id: conv, why: 'transferred', to_agent_id: mehmet });
    expect(ctl.state.inbox.mine.some((c) => c.id === conv)).toBe(false);
    expect(ctl.state.dialog).toBeNull();
    expect(ctl.state.view?.refused?.code).toBe('not_holder');
  });
});

describe('controller: history', () => {
  it('shows a refused filter in the tab', async () => {
    const ctl = await started('agent-day.ayse', 'filter');
    await ctl.historySearch('history', { from: '2025-13-01' });
    expect(ctl.state.history.history.error).toBe('Geçersiz değer: from.');
  });
});
