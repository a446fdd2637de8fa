// The conversation's timeline: messages and life-cycle entries (assigned, transfer offered,
// accepted, …, ended, taken up) merged by time with day separators, and unsent replies last.

import { has, t, type MessageKey } from '../i18n';
import { dayKey } from '../time';
import type { Message, OutboxItem, TimelineData, TimelineEntry, User } from '../types';
import { agentName } from './inbox';
import { pendingOutbox } from './outbox';

const FLOW_EXITS = new Set(['flow_handover', 'flow_ended']);

export type TimelineItem =
  | { type: 'day'; key: string; at: number }
  | { type: 'message'; key: string; at: number; message: Message }
  | { type: 'event'; key: string; at: number; entry: TimelineEntry }
  | { type: 'outbox'; key: string; at: number; item: OutboxItem };

export function buildTimeline(messages: Message[], entries: TimelineEntry[], outbox: OutboxItem[]): TimelineItem[] {
  const dated: TimelineItem[] = [
    ...entries.map((entry): TimelineItem => ({ type: 'event', key: 'e' + entry.id, at: entry.at, entry })),
    ...messages.map((message): TimelineItem => ({ type: 'message', key: 'm' + message.id, at: message.created_at, message })),
  ];
  // Life-cycle entries go first on a tie: "created" before the first message, "ended" after
  // the last one is written at a later instant anyway. A flow's exit is written in the same
  // transaction as the customer's last answer and the flow's last message, and what follows it
  // at that instant (the automatic assignment) too: those go after the messages of the instant.
  const late = new Set<number>();
  for (const x of entries) {
    if (!FLOW_EXITS.has(x.kind)) continue;
    for (const y of entries) if (y.at === x.at && y.id >= x.id) late.add(y.id);
  }
  const rank = (i: TimelineItem) => (i.type === 'message' ? 1 : i.type === 'event' && late.has(i.entry.id) ? 2 : 0);
  dated.sort((a, b) => a.at - b.at || rank(a) - rank(b));
  const out: TimelineItem[] = [];
  let lastDay = '';
  for (const item of dated) {
    const day = dayKey(item.at);
    if (day !== lastDay) {
      out.push({ type: 'day', key: 'd' + day, at: item.at });
      lastDay = day;
    }
    out.push(item);
  }
  // Replies not yet on the server stay at the bottom, in the order they were written.
  const unsent = pendingOutbox(outbox, messages).slice().sort((a, b) => a.created_at - b.created_at);
  for (const item of unsent) out.push({ type: 'outbox', key: 'o' + item.key, at: item.created_at, item });
  return out;
}

export interface EntryText {
  text: string;
  details: string[]; // note, end reason, why an offer was withdrawn
  tone: 'neutral' | 'transfer' | 'ended' | 'warning' | 'note';
}

function reasonText(reason: string | undefined): string {
  if (!reason) return '';
  const key = 'timeline.reason.' + reason;
  return has(key) ? t(key) : reason;
}

/** One timeline entry as a sentence in the current language. */
export function describeEntry(entry: TimelineEntry, agents: User[], meId?: number): EntryText {
  const d: TimelineData = (entry.data ?? {}) as TimelineData;
  const name = (id: number | null | undefined) => agentName(agents, id, meId);
  const from = name(d.from_agent_id ?? entry.actor_id);
  const to = name(d.to_agent_id);
  const details: string[] = [];
  if (d.note) details.push(t('timeline.note', { note: d.note }));
  switch (entry.kind) {
    case 'created':
      return { text: t('timeline.created'), details, tone: 'neutral' };
    case 'assigned': {
      const by = d.by ?? '';
      const key = ('timeline.assigned.' + by) as MessageKey;
      return { text: t(has(key) ? key : 'timeline.assigned.other', { agent: name(d.agent_id ?? entry.actor_id) }), details, tone: 'neutral' };
    }
    case 'transfer_offered':
    case 'transfer_accepted':
    case 'transfer_rejected':
    case 'transfer_expired':
    case 'transfer_withdrawn':
    case 'transfer_cancelled': {
      const reason = entry.kind === 'transfer_withdrawn' ? reasonText(d.reason) : '';
      if (reason) details.push(reason);
      const tone = entry.kind === 'transfer_offered' || entry.kind === 'transfer_accepted' ? 'transfer' : 'warning';
      return { text: t(('timeline.' + entry.kind) as MessageKey, { from, to }), details, tone };
    }
    case 'ended':
      if (d.end_reason) details.push(t('timeline.endReason', { reason: d.end_reason }));
      return { text: t('timeline.ended'), details, tone: 'ended' };
    case 'taken_up':
      return { text: t('timeline.taken_up', { agent: name(entry.actor_id) }), details, tone: 'neutral' };
    case 'note':
      return { text: t('timeline.internalNote', { agent: name(entry.actor_id), text: d.text ?? '' }), details, tone: 'note' as EntryText['tone'] };
    case 'reassigned':
      return { text: t('timeline.reassigned', { from: name(d.from_agent_id), to: name(d.to_agent_id), by: name(entry.actor_id) }), details, tone: 'transfer' };
    case 'tagged':
      return { text: t('timeline.tagged', { tags: (d.tags ?? []).join(', ') || t('common.none') }), details, tone: 'neutral' };
    case 'requeued': {
      const reason = reasonText(d.reason);
      if (reason) details.push(reason);
      return { text: t('timeline.requeued'), details, tone: 'warning' };
    }
    case 'flow_started':
      return {
        text: d.default ? t('timeline.flow_started_default', { flow: d.flow ?? '' }) : t('timeline.flow_started', { flow: d.flow ?? '', agent: name(entry.actor_id) }),
        details,
        tone: 'transfer',
      };
    case 'flow_handover':
      if (d.tag) details.push(t('timeline.flowTag', { tag: d.tag }));
      if (d.priority === 'high') details.push(t('timeline.flowPriority'));
      return { text: t('timeline.flow_handover'), details, tone: 'transfer' };
    case 'flow_ended':
      if (d.end_reason) details.push(t('timeline.endReason', { reason: d.end_reason }));
      return { text: t('timeline.flow_ended'), details, tone: 'ended' };
    case 'flow_stopped':
      return { text: t('timeline.flow_stopped', { agent: name(entry.actor_id) }), details, tone: 'warning' };
    case 'shop_order_action': {
      // An order action from the shop panel: done, pending at the store, or refused in the
      // platform's words (the server records all three).
      const s = (entry.data ?? {}) as ShopActionData;
      const params = { agent: name(entry.actor_id), number: s.number || s.order_id || '', store: s.store ?? '', tracking: s.tracking_number ?? '',
        status: s.status && has('shop.status.' + s.status) ? t(('shop.status.' + s.status) as MessageKey) : s.status ?? '' };
      if (!s.ok) {
        if (s.error) details.push(s.error);
        return { text: t('timeline.shop.refused', params), details, tone: 'warning' };
      }
      if (s.pending) details.push(t('timeline.shop.pending'));
      const key = ('timeline.shop.' + s.action) as MessageKey;
      return { text: has(key) ? t(key, params) : t('timeline.unknown', { kind: entry.kind }), details, tone: 'neutral' };
    }
    default:
      return { text: t('timeline.unknown', { kind: entry.kind }), details, tone: 'neutral' };
  }
}

/** What the server writes for a shop order action (backend/commerce). */
interface ShopActionData {
  store?: string;
  action?: string;
  order_id?: string;
  number?: string;
  status?: string;
  tracking_number?: string;
  ok?: boolean;
  pending?: boolean;
  error?: string;
}
