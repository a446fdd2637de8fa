// WhatsApp's 24-hour window and template messages: when only a template may be sent, how many
// parameters a template takes, and what it will read like once filled.

import type { Conversation, OutboxItem } from '../types';
import { windowStatus } from './inbox';

/** True when the conversation is on WhatsApp and more than 24 hours have passed since the
 * customer's last message (`now` is the server clock), or the server already refused a reply
 * with window_closed: only a template message can be sent then. */
export function templateOnly(c: Conversation, closesAt: number | undefined, serverNowMs: number, outbox: OutboxItem[] = []): boolean {
  if (c.channel.type !== 'whatsapp') return false;
  const w = windowStatus(c, closesAt, serverNowMs);
  if (w.kind === 'closed' && w.strict) return true;
  return outbox.some((o) => o.conversation_id === c.id && o.state === 'failed' && o.error?.code === 'window_closed' && (!c.last_inbound_at || o.created_at >= c.last_inbound_at));
}

const PLACEHOLDER = /\{\{\s*(\d+)\s*\}\}/g;

/** The number of parameters a template body takes: the highest {{n}} (at least `declared`). */
export function placeholderCount(body: string, declared = 0): number {
  let max = declared;
  for (const m of body.matchAll(PLACEHOLDER)) max = Math.max(max, Number(m[1]));
  return max;
}

/** The body with its {{n}} placeholders filled; an empty parameter keeps its placeholder. */
export function fillTemplate(body: string, params: string[]): string {
  return body.replace(PLACEHOLDER, (whole, n: string) => {
    const v = params[Number(n) - 1];
    return v && v.trim() ? v : whole;
  });
}

/** Splits a body into text and placeholder parts, for highlighting the placeholders. */
export function templateParts(body: string): Array<{ text: string; param?: number }> {
  const out: Array<{ text: string; param?: number }> = [];
  let last = 0;
  for (const m of body.matchAll(PLACEHOLDER)) {
    if (m.index! > last) out.push({ text: body.slice(last, m.index) });
    out.push({ text: m[0], param: Number(m[1]) });
    last = m.index! + m[0].length;
  }
  if (last < body.length) out.push({ text: body.slice(last) });
  return out;
}
