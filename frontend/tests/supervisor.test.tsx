import { afterEach, describe, expect, it } from 'vitest';
import { Controller } from '../src/controller';
import { setLanguage } from '../src/i18n';
import { adminTabs, trDate } from '../src/components/AdminDialog';
import { figure } from '../src/dashboard/DashboardWindow';
import { describeEntry } from '../src/logic/timeline';
import { normalizeDashboard, type Bridge } from '../src/bridge';
import type { Dashboard, TimelineEntry, User } from '../src/types';

afterEach(() => setLanguage('tr'));

const agents = [
  { id: 3, display_name: 'Ayşe Demir' },
  { id: 4, display_name: 'Mehmet Kaya' },
  { id: 9, display_name: 'Selin Ak' },
] as User[];

describe('the agent is told when a transfer offer fails', () => {
  it('says in words who declined, withdrew or let it expire', () => {
    const ctl = new Controller(undefined, {} as Bridge);
    const offer = { id: 1, conversation_id: 5, from_agent_id: 3, to_agent_id: 4, state: 'rejected', created_at: 0, expires_at: 0 } as const;
    ctl.applyOfferFailed({ offer: { ...offer }, to_name: 'Mehmet Kaya' });
    expect(ctl.state.toasts.at(-1)?.text).toBe('Mehmet Kaya aktarımı reddetti; konuşma sizde kaldı.');
    setLanguage('en');
    ctl.applyOfferFailed({ offer: { ...offer, state: 'withdrawn' }, to_name: '' });
    expect(ctl.state.toasts.at(-1)?.text).toBe('The transfer to Agent #4 was withdrawn; the conversation stays with you.');
  });
});

describe('the supervisors’ screens', () => {
  it('offers each role its admin tabs', () => {
    expect(adminTabs('agent')).toEqual(['quick']);
    expect(adminTabs('supervisor')).toEqual(['quick', 'reports']);
    expect(adminTabs('admin')).toContain('users');
  });

  it('writes Turkish dates dd.MM.yyyy and figures as m:ss (— when none)', () => {
    expect(trDate('2026-03-07')).toBe('07.03.2026');
    expect(figure(95_000, 3)).toBe('1:35');
    expect(figure(0, 0)).toBe('—');
  });

  it('tells notes, reassignments and tags in the timeline', () => {
    const e = (kind: string, data: object, actor = 9): TimelineEntry => ({ id: 1, conversation_id: 5, at: 0, kind, actor_id: actor, data } as TimelineEntry);
    expect(describeEntry(e('note', { text: 'Kargo firmasını sordu' }, 3), agents).text).toBe('İç not (Ayşe Demir): Kargo firmasını sordu');
    expect(describeEntry(e('reassigned', { from_agent_id: 3, to_agent_id: 4 }), agents).text).toBe('Selin Ak, görüşmeyi Ayşe Demir temsilcisinden Mehmet Kaya temsilcisine verdi');
    expect(describeEntry(e('tagged', { tags: ['iade', 'kargo'] }), agents).text).toBe('Etiketler: iade, kargo');
  });

  it('reads a snapshot whose lists Go sent as null', () => {
    const d = normalizeDashboard({ seq: 1, server_time: 0, day_start: 0, agents: null, offers: null, held: null, end_reasons: null, queue: { length: 0, per_channel: null, in_flows: 0, queued: null } } as unknown as Dashboard);
    expect(d.agents).toEqual([]);
    expect(d.queue.queued).toEqual([]);
    expect(d.queue.per_channel).toEqual([]);
  });
});

describe('notices', () => {
  it('shows the same notice once', () => {
    const ctl = new Controller(undefined, {} as Bridge);
    ctl.toast('error', 'Sunucuya bağlantı yok.');
    ctl.toast('error', 'Sunucuya bağlantı yok.');
    ctl.toast('info', 'Başka bir şey');
    expect(ctl.state.toasts.map((x) => x.text)).toEqual(['Sunucuya bağlantı yok.', 'Başka bir şey']);
  });
});

describe('the agent’s keys', () => {
  it('moves to the next and previous held conversation in the list’s order, and opens transfer and end for the held one', async () => {
    const { agentShortcut, neighbour } = await import('../src/shortcuts');
    const opened: number[] = [];
    const ctl = new Controller(undefined, { openConversation: (id: number) => (opened.push(id), new Promise(() => {})) } as unknown as Bridge);
    const conv = (id: number, last: number) => ({ id, state: 'assigned', agent_id: 3, last_message_at: last, created_at: last, unread: 0, contact: { name: 'c' + id }, channel: { id: 1, type: 'sandbox', name: 's' } });
    ctl.store.set({ session: { signed_in: true, user: { id: 3, role: 'agent' } } as never, inbox: { ...ctl.state.inbox, mine: [conv(1, 10), conv(2, 20), conv(3, 30)] as never } });
    const first = neighbour(ctl, 1);
    expect(first).not.toBeNull();
    ctl.store.set({ selectedId: first });
    const second = neighbour(ctl, 1);
    expect(second).not.toBe(first);
    expect(neighbour(ctl, -1)).toBeNull(); // nothing above the first
    const key = (code: string) => ({ altKey: true, ctrlKey: false, metaKey: false, code, preventDefault() {} }) as unknown as KeyboardEvent;
    expect(agentShortcut(ctl, key('ArrowDown'))).toBe(true);
    expect(opened).toEqual([second]);
    ctl.store.set({ view: { conversation: conv(second!, 0) } as never, selectedId: second });
    agentShortcut(ctl, key('KeyE'));
    expect(ctl.state.dialog).toEqual({ kind: 'end', conversationId: second });
    agentShortcut(ctl, key('KeyT'));
    expect(ctl.state.dialog).toEqual({ kind: 'transfer', conversationId: second });
    expect(agentShortcut(ctl, { ...key('KeyE'), altKey: false } as KeyboardEvent)).toBe(false);
  });
});

describe('presence while disconnected', () => {
  it('is shown as unknown, not green', async () => {
    const { render } = await import('preact');
    const { act } = await import('preact/test-utils');
    const { ControllerContext } = await import('../src/context');
    const { PresenceButton } = await import('../src/components/TopBar');
    const ctl = new Controller(undefined, {} as Bridge);
    const root = document.createElement('div');
    document.body.appendChild(root);
    const session = (state: string) => ({ signed_in: true, user: { id: 3, role: 'agent', presence: 'online', presence_since: 1 }, connection: { state, since: 0, attempt: 0 } }) as never;
    ctl.store.set({ session: session('connected') });
    await act(async () => {
      render(
        <ControllerContext.Provider value={ctl}>
          <PresenceButton />
        </ControllerContext.Provider>,
        root,
      );
    });
    const btn = () => root.querySelector('[data-testid="presence-button"]')!;
    expect(btn().className).toContain('presence-online');
    expect(btn().textContent).toContain('Çevrimiçi');
    await act(async () => ctl.store.set({ session: session('reconnecting') }));
    expect(btn().className).toContain('presence-unknown');
    expect(btn().textContent).toContain('Durum bilinmiyor');
    render(null, root);
    root.remove();
  });
});
