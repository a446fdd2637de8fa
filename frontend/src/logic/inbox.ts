// Selectors over the Inbox: ordering and searching the lists, splitting transfer offers,
// picking transfer targets, and the channel window rules the composer shows.

import { t } from '../i18n';
import type { Channel, Conversation, Inbox, InboxItem, TransferOffer, User } from '../types';

/** My conversations, the most recent activity first. */
export function sortMine(items: InboxItem[]): InboxItem[] {
  return [...items].sort((a, b) => activity(b) - activity(a) || b.id - a.id);
}

function activity(c: Conversation): number {
  return c.last_message_at || c.assigned_at || c.created_at || 0;
}

/** The queue as it is served: oldest entry first. */
export function sortQueue(items: Conversation[]): Conversation[] {
  return [...items].sort((a, b) => a.queued_at - b.queued_at || a.id - b.id);
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

/** Transfer targets: agents online right now, not me, not disabled; the least busy first. */
export function transferTargets(agents: User[], meId: number | undefined): User[] {
  return agents
    .filter((a) => a.presence === 'online' && a.id !== meId && !a.disabled)
    .sort((a, b) => a.active - b.active || a.display_name.localeCompare(b.display_name, 'tr'));
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

/** Every channel the UI has seen, for the history filter (the Inbox may list them itself). */
export function knownChannels(inbox: Inbox, more: Conversation[] = []): Channel[] {
  const byId = new Map<number, Channel>();
  for (const ch of inbox.channels ?? []) byId.set(ch.id, ch);
  for (const c of [...inbox.mine, ...inbox.queue, ...more]) if (c.channel && !byId.has(c.channel.id)) byId.set(c.channel.id, c.channel);
  return [...byId.values()].sort((a, b) => a.name.localeCompare(b.name, 'tr'));
}

export type WindowStatus =
  | { kind: 'none' } // no window rule (Telegram, web chat) or nothing to say
  | { kind: 'open'; closesIn: number } // a window rule holds and closes in this many ms
  | { kind: 'closed'; strict: boolean }; // strict: free-form sends are refused (WhatsApp)


/** The channel's messaging window (PRODUCT.md rule 12): 24 hours from the customer's last
 * message on WhatsApp (strict) and Meta channels (the server decides on the 7-day tag). */
export function windowStatus(c: Conversation, closesAt: number | undefined, serverNowMs: number): WindowStatus {
  // The server decides the window (24 hours, 7 days with HUMAN_AGENT, none): it sends when it
  // closes, and the UI only compares that with the server's clock.
  if (!closesAt) return { kind: 'none' };
  if (serverNowMs >= closesAt) return { kind: 'closed', strict: c.channel.type === 'whatsapp' };
  return { kind: 'open', closesIn: closesAt - serverNowMs };
}
