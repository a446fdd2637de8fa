import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { demoWorld, FakeWails, refusal } from './fake-wails';

let fake: FakeWails;
afterEach(() => {
  fake?.uninstall();
  setLanguage('tr');
});

const tick = () => new Promise((r) => setTimeout(r, 0));
async function settle() {
  for (let i = 0; i < 5; i++) await tick();
}

async function started(signedIn = true) {
  const w = demoWorld();
  w.signedIn = signedIn;
  w.connection = { state: signedIn ? 'connected' : 'signed_out', since: 1, attempt: 0 };
  fake = new FakeWails(w).install();
  const ctl = new Controller();
  await ctl.start();
  await settle();
  return ctl;
}

describe('controller: session and inbox', () => {
  it('reads the session, then the inbox, and measures the server clock offset', async () => {
    fake = new FakeWails(demoWorld()).install();
    fake.world.signedIn = true;
    fake.world.now = () => Date.now() + 45_000; // the server runs 45 s ahead
    const ctl = new Controller();
    await ctl.start();
    const s = ctl.state;
    expect(s.booted).toBe(true);
    expect(s.session?.user?.username).toBe('ayse');
    expect(s.inbox.mine.map((c) => c.id).sort()).toEqual([11, 12, 13]);
    expect(s.inbox.queue).toHaveLength(3);
    expect(s.offset).toBeGreaterThan(44_000);
    expect(s.offset).toBeLessThan(46_000);
  });

  it('stays on sign-in when signed out and does not read the inbox', async () => {
    const ctl = await started(false);
    expect(ctl.state.session?.signed_in).toBe(false);
    expect(fake.count('Inbox')).toBe(0);
  });

  it('uses the language of the saved preferences', async () => {
    const w = demoWorld();
    w.preferences.language = 'en';
    fake = new FakeWails(w).install();
    const ctl = new Controller();
    await ctl.start();
    expect(ctl.state.language).toBe('en');
  });

  it('re-reads the inbox on "inbox" events, one call at a time', async () => {
    const ctl = await started();
    const before = fake.count('Inbox');
    for (let i = 0; i < 10; i++) fake.emit('inbox');
    await settle();
    // The first event starts a read; the other nine coalesce into one more.
    expect(fake.count('Inbox') - before).toBe(2);
    fake.world.conversations.find((c) => c.id === 21)!.agent_id = 2;
    fake.world.conversations.find((c) => c.id === 21)!.state = 'assigned';
    fake.emit('inbox');
    await settle();
    expect(ctl.state.inbox.mine.map((c) => c.id)).toContain(21);
  });

  it('follows the connection state', async () => {
    const ctl = await started();
    fake.emit('connection', { state: 'reconnecting', since: 1234, attempt: 3, error: 'dial tcp: refused' });
    expect(ctl.state.session?.connection).toEqual({ state: 'reconnecting', since: 1234, attempt: 3, error: 'dial tcp: refused' });
  });

  it('clears everything when the session event says signed out', async () => {
    const ctl = await started();
    await ctl.select(11);
    fake.world.signedIn = false;
    fake.emit('session');
    await settle();
    expect(ctl.state.session?.signed_in).toBe(false);
    expect(ctl.state.inbox.mine).toEqual([]);
    expect(ctl.state.view).toBeNull();
  });

  it('goes back to sign-in when a call says unauthorized', async () => {
    const ctl = await started();
    fake.overrides.Pull = async () => {
      fake.world.signedIn = false;
      throw refusal('unauthorized', 'token expired');
    };
    await ctl.pull();
    await settle();
    expect(ctl.state.session?.signed_in).toBe(false);
    expect(ctl.state.toasts.at(-1)?.text).toContain('Oturumunuzun süresi doldu');
  });
});

describe('controller: conversations', () => {
  it('opens a conversation and clears its unread count at once', async () => {
    const ctl = await started();
    expect(ctl.state.inbox.unread_total).toBe(3);
    const p = ctl.select(11);
    expect(ctl.state.inbox.mine.find((c) => c.id === 11)?.unread).toBe(0);
    expect(ctl.state.inbox.unread_total).toBe(1);
    await p;
    expect(ctl.state.view?.conversation.id).toBe(11);
    expect(ctl.state.view?.messages.length).toBe(4);
  });

  it('re-reads the open conversation on its "conversation" event only', async () => {
    const ctl = await started();
    await ctl.select(11);
    const n = fake.count('OpenConversation');
    fake.emit('conversation', { id: 12 });
    await settle();
    expect(fake.count('OpenConversation')).toBe(n);
    fake.simulateInbound(11, 'Yeni mesaj');
    await settle();
    expect(fake.count('OpenConversation')).toBeGreaterThan(n);
    expect(ctl.state.view?.messages.at(-1)?.body).toBe('Yeni mesaj');
  });

  it('ignores a slow answer for a conversation no longer selected', async () => {
    const ctl = await started();
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const real = fake.overrides.OpenConversation;
    fake.overrides.OpenConversation = async (id: number) => {
      if (id === 12) await slow;
      fake.overrides.OpenConversation = real!;
      return { conversation: fake.conversation(id), messages: [], timeline: [], earlier: [], outbox: [], pending_offer: null, from_cache: false };
    };
    const first = ctl.select(12);
    await ctl.select(13);
    release();
    await first;
    expect(ctl.state.selectedId).toBe(13);
    expect(ctl.state.view?.conversation.id).toBe(13);
  });

  it('selects the conversation of a clicked notification', async () => {
    const ctl = await started();
    ctl.setTab('queue');
    fake.emit('open-conversation', { id: 12 });
    await settle();
    expect(ctl.state.tab).toBe('mine');
    expect(ctl.state.view?.conversation.id).toBe(12);
  });

  it('shows the offer when a transfer notification is clicked', async () => {
    const ctl = await started();
    fake.emit('open-conversation', { id: 41 });
    await settle();
    expect(ctl.state.tab).toBe('transfers');
    expect(ctl.state.selectedId).toBeNull();
  });

  it('pulls the oldest queued conversation and opens it', async () => {
    const ctl = await started();
    ctl.setTab('queue');
    expect(await ctl.pull()).toBe(true);
    expect(fake.count('Pull')).toBe(1);
    expect(ctl.state.tab).toBe('mine');
    expect(ctl.state.selectedId).toBe(21);
    expect(ctl.state.inbox.mine.map((c) => c.id)).toContain(21);
    expect(ctl.state.toasts.at(-1)).toMatchObject({ kind: 'success' });
  });

  it('shows why a pull was refused', async () => {
    const ctl = await started();
    fake.me().presence = 'break';
    expect(await ctl.pull()).toBe(false);
    expect(ctl.state.toasts.at(-1)).toMatchObject({ kind: 'error', text: 'Bu işlem için çevrimiçi olmanız gerekir.' });
    expect(ctl.state.busy.pull).toBeUndefined();
  });

  it('queues a reply in the outbox and clears the draft', async () => {
    const ctl = await started();
    await ctl.select(11);
    fake.world.offline = true;
    ctl.setDraft(11, 'Kargonuz yolda');
    expect(await ctl.send(11, 'Kargonuz yolda')).toBe(true);
    expect(ctl.state.drafts[11]).toBe('');
    expect(ctl.state.view?.outbox).toMatchObject([{ body: 'Kargonuz yolda', state: 'queued' }]);
    fake.world.offline = false;
    fake.flushOutbox();
    await settle();
    const view = ctl.state.view!;
    expect(view.messages.at(-1)).toMatchObject({ body: 'Kargonuz yolda', direction: 'out' });
  });

  it('retries and discards failed replies', async () => {
    const ctl = await started();
    await ctl.select(11);
    await ctl.send(11, 'olmaz #fail');
    await settle();
    const failed = ctl.state.view!.outbox[0];
    expect(failed).toMatchObject({ state: 'failed', error: { code: 'window_closed' } });
    await ctl.retrySend(failed.key);
    await settle();
    expect(fake.calls.find((c) => c.method === 'RetrySend')?.args).toEqual([failed.key]);
    expect(ctl.state.view!.messages.at(-1)?.body).toBe('olmaz ');
    await ctl.send(11, 'yine #fail');
    await settle();
    const again = ctl.state.view!.outbox.find((o) => o.state === 'failed')!;
    await ctl.discardSend(again.key);
    expect(ctl.state.view!.outbox.some((o) => o.key === again.key)).toBe(false);
  });

  it('transfers, and throws the refusal for the dialog', async () => {
    const ctl = await started();
    ctl.openDialog({ kind: 'transfer', conversationId: 11 });
    await expect(ctl.transfer(11, 4, '')).rejects.toMatchObject({ code: 'agent_on_break' });
    expect(ctl.state.dialog).not.toBeNull();
    await ctl.transfer(11, 3, '  Kargo sorusu  ');
    expect(fake.calls.filter((c) => c.method === 'Transfer').at(-1)).toEqual({ method: 'Transfer', args: [11, 3, 'Kargo sorusu'] });
    expect(ctl.state.dialog).toBeNull();
    await settle();
    expect(ctl.state.inbox.offers.some((o) => o.conversation_id === 11 && o.from_agent_id === 2)).toBe(true);
  });

  it('accepts an incoming transfer and opens the conversation', async () => {
    const ctl = await started();
    expect(await ctl.acceptTransfer(501)).toBe(true);
    expect(ctl.state.selectedId).toBe(41);
    expect(ctl.state.inbox.mine.map((c) => c.id)).toContain(41);
    expect(ctl.state.inbox.offers).toEqual([]);
  });

  it('ends with a reason and takes the conversation up again', async () => {
    const ctl = await started();
    await ctl.select(11);
    await expect(ctl.end(11, 0)).rejects.toMatchObject({ code: 'end_reason_required' });
    await ctl.end(11, 1);
    await settle();
    expect(ctl.state.view?.conversation.state).toBe('ended');
    expect(ctl.state.inbox.mine.map((c) => c.id)).not.toContain(11);
    expect(await ctl.takeUp(11)).toBe(true);
    await settle();
    expect(ctl.state.view?.conversation).toMatchObject({ id: 11, state: 'assigned', agent_id: 2 });
  });
});

describe('controller: history', () => {
  it('filters and pages with next_cursor', async () => {
    const w = demoWorld();
    w.signedIn = true;
    for (let i = 0; i < 45; i++) {
      w.conversations.push({ ...w.conversations[6], id: 1000 + i, created_at: 1000 + i, ended_at: 2000 + i });
    }
    fake = new FakeWails(w).install();
    const ctl = new Controller();
    await ctl.start();
    await ctl.historySearch('ended');
    expect(ctl.state.history.ended.items).toHaveLength(20);
    expect(ctl.state.history.ended.next).toBe('20');
    await ctl.historyMore('ended');
    await ctl.historyMore('ended');
    const h = ctl.state.history.ended;
    expect(h.items).toHaveLength(48);
    expect(new Set(h.items.map((c) => c.id)).size).toBe(48);
    expect(h.next).toBe('');
    await ctl.historySearch('ended', { end_reason_id: 2 });
    expect(ctl.state.history.ended.items.map((c) => c.id)).toEqual([32]);
    expect(fake.calls.filter((c) => c.method === 'History').at(-1)?.args[0]).toMatchObject({ view: 'ended', end_reason_id: 2, cursor: '' });
  });

  it('shows a refused filter', async () => {
    const ctl = await started();
    fake.overrides.History = async () => {
      throw refusal('invalid_field', 'bad date', 'from');
    };
    await ctl.historySearch('history', { from: '2025-13-01' });
    expect(ctl.state.history.history.error).toBe('Geçersiz değer: from.');
  });
});
