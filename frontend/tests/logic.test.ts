import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { filterConversations, sortMine, splitOffers, transferChoices, windowStatus } from '../src/logic/inbox';
import { buildTimeline, describeEntry } from '../src/logic/timeline';
import type { Conversation, InboxItem, Message, OutboxItem, TimelineEntry, TransferOffer, User } from '../src/types';

afterEach(() => setLanguage('tr'));

const HOUR = 3600_000;
const conv = (id: number, extra: Partial<Conversation> = {}): Conversation => ({
  id,
  state: 'assigned',
  agent_id: 2,
  contact: { id, channel_id: 1, external_id: 'x' + id, name: 'Müşteri ' + id, phone: '+90 532 000 00 ' + String(id).padStart(2, '0') },
  channel: { id: 1, type: 'whatsapp', name: 'WA' },
  queued_at: 0,
  created_at: 0,
  last_message_preview: '',
  ...extra,
});
const agent = (id: number, presence: User['presence'], active = 0, name = 'Agent ' + id): User => ({ id, username: 'u' + id, display_name: name, role: 'agent', presence, presence_since: 0, auto_limit: null, hard_cap: null, active, effective_limit: 3 });
const offer = (id: number, from: number, to: number, state: TransferOffer['state'], expires: number): TransferOffer => ({ id, conversation_id: id, from_agent_id: from, to_agent_id: to, state, created_at: 0, expires_at: expires });

describe('inbox selectors', () => {
  it('orders my conversations by latest activity', () => {
    const mine: InboxItem[] = [{ ...conv(1, { last_message_at: 10 }), unread: 0 }, { ...conv(2, { last_message_at: 30 }), unread: 1 }, { ...conv(3, { created_at: 20 }), unread: 0 }];
    expect(sortMine(mine).map((c) => c.id)).toEqual([2, 3, 1]);
  });

  it('searches by name, phone digits and last message', () => {
    const list = [conv(1, { last_message_preview: 'Kargom nerede?' }), conv(2), conv(3, { contact: { ...conv(3).contact, name: 'İlker Işık' } })];
    expect(filterConversations(list, 'kargom').map((c) => c.id)).toEqual([1]);
    expect(filterConversations(list, '0002').map((c) => c.id)).toEqual([2]);
    expect(filterConversations(list, '532').map((c) => c.id)).toEqual([1, 2, 3]);
    expect(filterConversations(list, '00 02').map((c) => c.id)).toEqual([2]);
    expect(filterConversations(list, 'ILKER').map((c) => c.id)).toEqual([]);
    expect(filterConversations(list, 'İLKER').map((c) => c.id)).toEqual([3]);
    expect(filterConversations(list, '  ')).toHaveLength(3);
  });

  it('splits pending offers into incoming and outgoing', () => {
    const offers = [offer(1, 3, 2, 'pending', 50), offer(2, 2, 3, 'pending', 40), offer(3, 3, 2, 'rejected', 10), offer(4, 4, 2, 'pending', 20)];
    const { incoming, outgoing } = splitOffers(offers, 2);
    expect(incoming.map((o) => o.id)).toEqual([4, 1]);
    expect(outgoing.map((o) => o.id)).toEqual([2]);
  });

  it('lists every other agent to transfer to, online first then least busy; presence is shown, not filtered', () => {
    const agents = [agent(2, 'online'), agent(3, 'online', 2), agent(4, 'break'), agent(5, 'offline'), agent(6, 'online', 1), { ...agent(7, 'online'), disabled: true }];
    expect(transferChoices(agents, 2).map((a) => a.id)).toEqual([6, 3, 4, 5]);
  });

  it('reads the window only from the server\'s closing time and clock, whatever the channel', () => {
    const now = 100 * HOUR;
    expect(windowStatus(now + 22 * HOUR, now)).toEqual({ kind: 'open', closesIn: 22 * HOUR, closesAt: now + 22 * HOUR });
    expect(windowStatus(now - HOUR, now)).toEqual({ kind: 'closed', closedAt: now - HOUR });
    expect(windowStatus(now, now)).toEqual({ kind: 'closed', closedAt: now });
    expect(windowStatus(0, now)).toEqual({ kind: 'none' });
    expect(windowStatus(undefined, now)).toEqual({ kind: 'none' });
  });

  it('counts a reply refused with window_closed after the last reopening as closed', () => {
    const now = 100 * HOUR;
    const refused = (closed_at: number): OutboxItem => ({ key: 'k', conversation_id: 1, body: 'x', state: 'failed', created_at: now, error: { code: 'window_closed', message: '', closed_at } });
    expect(windowStatus(now + HOUR, now, [refused(now + HOUR)])).toEqual({ kind: 'closed', closedAt: now + HOUR });
    // The customer wrote since: the server's closing time moved past the refusal's.
    expect(windowStatus(now + 20 * HOUR, now, [refused(now - HOUR)]).kind).toBe('open');
    expect(windowStatus(now + HOUR, now, [{ ...refused(now + HOUR), error: { code: 'not_holder', message: '' } }]).kind).toBe('open');
  });
});

describe('timeline', () => {
  const msg = (id: number, at: number, dir: 'in' | 'out' = 'in', key?: string): Message => ({ id, conversation_id: 1, direction: dir, body: 'm' + id, status: dir === 'in' ? 'received' : 'sent', created_at: at, sent_at: at, idempotency_key: key });
  const entry = (id: number, at: number, kind: string, data?: TimelineEntry['data'], actor: number | null = null): TimelineEntry => ({ id, conversation_id: 1, at, kind, actor_id: actor, data });
  const out = (key: string, at: number, state: OutboxItem['state'] = 'queued'): OutboxItem => ({ key, conversation_id: 1, body: key, state, created_at: at });

  it('merges messages and entries by time with day separators, unsent replies last', () => {
    const day1 = new Date(2025, 2, 10, 10, 0).getTime();
    const day2 = new Date(2025, 2, 11, 9, 0).getTime();
    const items = buildTimeline([msg(1, day1 + 1000), msg(2, day2, 'out', 'k1'), msg(3, day1)], [entry(10, day1, 'created'), entry(11, day2 + 5, 'ended', { end_reason: 'Çözüldü' })], [out('k1', day2, 'sent'), out('k2', day1)]);
    expect(items.map((i) => i.key)).toEqual(['d2025-03-10', 'e10', 'm3', 'm1', 'd2025-03-11', 'm2', 'e11', 'ok2']);
  });

  it('describes life-cycle entries with names, notes and reasons', () => {
    const agents = [agent(2, 'online', 0, 'Ayşe'), agent(3, 'online', 0, 'Mehmet')];
    expect(describeEntry(entry(1, 0, 'assigned', { agent_id: 2, by: 'pull' }), agents).text).toBe('Ayşe kuyruktan çekti');
    expect(describeEntry(entry(1, 0, 'assigned', { agent_id: 2, by: 'auto' }), agents, 2).text).toBe('Ayşe (siz) temsilcisine otomatik atandı');
    const offered = describeEntry(entry(1, 0, 'transfer_offered', { to_agent_id: 3, note: 'Değişim istiyor' }, 2), agents);
    expect(offered.text).toBe('Ayşe, Mehmet kişisine aktarım teklif etti');
    expect(offered.details).toEqual(['Not: Değişim istiyor']);
    expect(describeEntry(entry(1, 0, 'transfer_rejected', { from_agent_id: 2, to_agent_id: 3 }), agents).text).toContain('Mehmet aktarımı reddetti');
    expect(describeEntry(entry(1, 0, 'transfer_expired', { from_agent_id: 2, to_agent_id: 3 }), agents).text).toContain('süresi doldu');
    expect(describeEntry(entry(1, 0, 'transfer_withdrawn', { from_agent_id: 2, to_agent_id: 3, reason: 'receiver_on_break' }), agents).details).toEqual(['alıcı molaya geçti']);
    expect(describeEntry(entry(1, 0, 'ended', { end_reason: 'Sorun çözüldü' }, 2), agents)).toMatchObject({ text: 'Konuşma sonlandırıldı', details: ['Sonlandırma sebebi: Sorun çözüldü'], tone: 'ended' });
    expect(describeEntry(entry(1, 0, 'taken_up', undefined, 3), agents).text).toBe('Mehmet konuşmaya yeniden başladı');
    expect(describeEntry(entry(1, 0, 'requeued', { reason: 'agent_offline' }), agents).details).toEqual(['temsilci çevrimdışı oldu']);
    expect(describeEntry(entry(1, 0, 'some_future_kind'), agents).text).toBe('Olay: some_future_kind');
    expect(describeEntry(entry(1, 0, 'flow_started', { flow: 'Karşılama', flow_id: 1 }, 2), agents).text).toBe('Ayşe, konuşmayı “Karşılama” akışına devretti');
    expect(describeEntry(entry(1, 0, 'flow_started', { flow: 'Karşılama', default: true }), agents).text).toBe('Kanalın karşılama akışı “Karşılama” başladı');
    setLanguage('en');
    expect(describeEntry(entry(1, 0, 'transfer_accepted', { from_agent_id: 2, to_agent_id: 3, note: 'n' }), agents).text).toBe('Mehmet accepted the transfer; the conversation is with Mehmet');
  });
});
