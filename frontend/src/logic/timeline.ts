// The conversation's timeline: messages and life-cycle entries (assigned, transfer offered,
// accepted, …, ended, taken up) merged by time with day separators, and unsent replies last.

import { has, t, type MessageKey } from '../i18n';
import { dayKey } from '../time';
import type { Message, OutboxItem, TimelineData, TimelineEntry, User } from '../types';
import { agentName } from './inbox';
import { pendingOutbox } from './outbox';

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
  // the last one is written at a later instant anyway.
  dated.sort((a, b) => a.at - b.at || (a.type === b.type ? 0 : a.type === 'event' ? -1 : 1));
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
    default:
      return { text: t('timeline.unknown', { kind: entry.kind }), details, tone: 'neutral' };
  }
}
