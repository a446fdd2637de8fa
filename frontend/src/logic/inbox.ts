// Selectors over the Inbox: ordering and searching the lists, splitting transfer offers,
// listing the agents to transfer to, and reading the channel's window from the server's fields.
// No rule is decided here: the queue's order, who may receive a transfer and when a window
// closes are the server's answers; the UI shows them and asks.

import { t } from '../i18n';
import type { Channel, Conversation, Inbox, InboxItem, OutboxItem, TransferOffer, User } from '../types';

/** My conversations, the most recent activity first (a display choice, not a rule). */
export function sortMine(items: InboxItem[]): InboxItem[] {
  return [...items].sort((a, b) => activity(b) - activity(a) || b.id - a.id);
}

/** My list as shown while the agent types: the rows stay where they were (held, the ids in the
 * order last shown), a new row goes to the end rather than pushing the others down, and a row
 * that would move up (new activity) is marked. With nothing held, the list as sorted. */
export function holdOrder<T extends { id: number }>(sorted: T[], held: number[] | null): { items: T[]; marked: Set<number> } {
  if (!held) return { items: sorted, marked: new Set() };
  const byId = new Map(sorted.map((c) => [c.id, c]));
  const items: T[] = [];
  for (const id of held) {
    const c = byId.get(id);
    if (c) {
      items.push(c);
      byId.delete(id);
    }
  }
  for (const c of sorted) if (byId.has(c.id)) items.push(c);
  const rank = new Map(sorted.map((c, i) => [c.id, i]));
  const was = new Set(held);
  const marked = new Set(items.filter((c, i) => !was.has(c.id) || rank.get(c.id)! < i).map((c) => c.id));
  return { items, marked };
}

function activity(c: Conversation): number {
  return c.last_message_at || c.assigned_at || c.created_at || 0;
}

const fold = (s: string | undefined) => (s ?? '').toLocaleLowerCase('tr-TR');

/** Local search over name, phone, channel and the last message. */
export function filterConversations<T extends Conversation>(items: T[], query: string): T[] {
  const q = fold(query.trim());
  if (!q) return items;
  const digits = q.replace(/[^0-9]/g, '');
  return items.filter((c) => {
    if (fold(c.contact.name).includes(q)) return true;
    if (fold(c.last_message_preview).includes(q)) return true;
    if (fold(c.channel.name).includes(q)) return true;
    if (digits.length >= 3 && (c.contact.phone ?? '').replace(/[^0-9]/g, '').includes(digits)) return true;
    return String(c.id) === q;
  });
}

/** Pending offers addressed to me and sent by me, the soonest to expire first. */
export function splitOffers(offers: TransferOffer[], meId: number | undefined): { incoming: TransferOffer[]; outgoing: TransferOffer[] } {
  const pending = offers.filter((o) => o.state === 'pending').sort((a, b) => a.expires_at - b.expires_at);
  return {
    incoming: pending.filter((o) => o.to_agent_id === meId),
    outgoing: pending.filter((o) => o.from_agent_id === meId),
  };
}

const PRESENCE_ORDER: Record<string, number> = { online: 0, break: 1, offline: 2 };

/** The agents a transfer can be offered to, as the transfer dialog lists them: everyone but me,
 * with their presence shown; online first, then the least busy. Whether one may receive it is
 * the server's answer (agent_on_break, agent_offline), shown in the dialog. */
export function transferChoices(agents: User[], meId: number | undefined): User[] {
  return agents
    .filter((a) => a.id !== meId && !a.disabled)
    .sort((a, b) => (PRESENCE_ORDER[a.presence] ?? 3) - (PRESENCE_ORDER[b.presence] ?? 3) || a.active - b.active || a.display_name.localeCompare(b.display_name, 'tr'));
}

export function agentName(agents: User[], id: number | null | undefined, meId?: number): string {
  if (id == null) return '';
  const a = agents.find((x) => x.id === id);
  const name = a ? a.display_name || a.username : t('common.unknownAgent', { id });
  return id === meId ? `${name} (${t('common.you')})` : name;
}

export function customerName(c: Conversation): string {
  return c.contact.name || c.contact.phone || c.contact.external_id || t('common.conversationNo', { id: c.id });
}

export function channelLabel(ch: Channel): string {
  const known: Record<string, string> = {
    whatsapp: t('channel.whatsapp'),
    instagram: t('channel.instagram'),
    messenger: t('channel.messenger'),
    facebook: t('channel.facebook'),
    telegram: t('channel.telegram'),
    webchat: t('channel.webchat'),
    sandbox: t('channel.sandbox'),
  };
  const kind = known[ch.type] ?? ch.type;
  if (!ch.name || ch.name === kind) return kind;
  return `${kind} · ${ch.name}`;
}

/** Every channel the UI has seen, for the history filter. */
export function knownChannels(inbox: Inbox, more: Conversation[] = []): Channel[] {
  const byId = new Map<number, Channel>();
  for (const c of [...inbox.mine, ...inbox.queue, ...more]) if (c.channel && !byId.has(c.channel.id)) byId.set(c.channel.id, c.channel);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name, 'tr'));
}

export type WindowStatus =
  | { kind: 'none' } // the server sent no window: the channel has none
  | { kind: 'open'; closesIn: number; closesAt: number } // closes in this many ms
  | { kind: 'closed'; closedAt: number }; // free-form replies are refused until the customer writes

/** The conversation's messaging window as the server gave it (window_closes_at, on the summary
 * and the detail), compared with the server's clock. A reply the server refused with
 * window_closed after the window's last reopening counts as closed too (the server said so). */
export function windowStatus(closesAt: number | undefined, serverNowMs: number, outbox: OutboxItem[] = []): WindowStatus {
  const refused = outbox.find((o) => o.state === 'failed' && o.error?.code === 'window_closed' && (o.error.closed_at ?? 0) >= (closesAt ?? 0));
  if (refused) return { kind: 'closed', closedAt: refused.error?.closed_at || closesAt || 0 };
  if (!closesAt) return { kind: 'none' };
  if (serverNowMs >= closesAt) return { kind: 'closed', closedAt: closesAt };
  return { kind: 'open', closesIn: closesAt - serverNowMs, closesAt };
}
