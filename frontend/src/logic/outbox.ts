// How an unsent reply looks: sending (connected: the server is answering), queued (not
// connected: it goes when the connection returns), sent (until the real message shows up), or
// failed with the server's reason and the retry/discard buttons.

import { errorText, t } from '../i18n';
import type { Message, OutboxItem } from '../types';

export interface OutboxDisplay {
  tone: 'pending' | 'sent' | 'failed';
  icon: 'clock' | 'check' | 'alert';
  label: string;
  canRetry: boolean;
  canDiscard: boolean;
}

/** `connected`: the app is connected now, so a queued reply is on its way, not waiting. */
export function outboxDisplay(item: OutboxItem, connected: boolean): OutboxDisplay {
  switch (item.state) {
    case 'failed':
      return {
        tone: 'failed',
        icon: 'alert',
        label: t('outbox.failed', { reason: errorText(item.error ?? { code: '', message: '' }) }),
        canRetry: true,
        canDiscard: true,
      };
    case 'sent':
      return { tone: 'sent', icon: 'check', label: t('outbox.sent'), canRetry: false, canDiscard: false };
    default:
      return { tone: 'pending', icon: 'clock', label: connected ? t('outbox.sending') : t('outbox.queued'), canRetry: false, canDiscard: false };
  }
}

/** Outbox items still worth showing: a sent item disappears once its message is in the list
 * (matched by id or by idempotency key), so a reply never shows twice. */
export function pendingOutbox(outbox: OutboxItem[], messages: Message[]): OutboxItem[] {
  if (outbox.length === 0) return outbox;
  const ids = new Set<number>();
  const keys = new Set<string>();
  for (const m of messages) {
    ids.add(m.id);
    if (m.idempotency_key) keys.add(m.idempotency_key);
  }
  return outbox.filter((o) => !(keys.has(o.key) || (o.message_id && ids.has(o.message_id))));
}

/** Adds or replaces an outbox item by key (a Send result arriving before the re-read). */
export function upsertOutbox(outbox: OutboxItem[], item: OutboxItem): OutboxItem[] {
  const i = outbox.findIndex((o) => o.key === item.key);
  if (i < 0) return [...outbox, item];
  const next = outbox.slice();
  next[i] = item;
  return next;
}
