import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { outboxDisplay, pendingOutbox, upsertOutbox } from '../src/logic/outbox';
import type { Message, OutboxItem } from '../src/types';

afterEach(() => setLanguage('tr'));

const item = (key: string, state: OutboxItem['state'], extra: Partial<OutboxItem> = {}): OutboxItem => ({ key, conversation_id: 1, body: 'x', state, created_at: 1, ...extra });
const message = (id: number, key?: string): Message => ({ id, conversation_id: 1, direction: 'out', body: 'x', status: 'sent', created_at: 1, sent_at: 1, idempotency_key: key });

describe('outbox state display', () => {
  it('shows a queued reply with a clock: sending while connected, waiting for the connection only without one', () => {
    const d = outboxDisplay(item('a', 'queued'), false);
    expect(d).toMatchObject({ tone: 'pending', icon: 'clock', canRetry: false, canDiscard: false });
    expect(d.label).toBe('Sırada — bağlantı gelince gönderilecek');
    expect(outboxDisplay(item('a', 'queued'), true).label).toBe('Gönderiliyor…');
  });

  it('shows a failed reply with the translated reason and retry/discard', () => {
    const d = outboxDisplay(item('a', 'failed', { error: { code: 'not_online', message: 'you must be online' } }), true);
    expect(d).toMatchObject({ tone: 'failed', icon: 'alert', canRetry: true, canDiscard: true });
    expect(d.label).toBe('Gönderilemedi: Bu işlem için çevrimiçi olmanız gerekir.');
    setLanguage('en');
    expect(outboxDisplay(item('a', 'failed', { error: { code: 'window_closed', message: '' } }), true).label).toContain('messaging window is closed');
  });

  it('falls back to the server message for an unknown code', () => {
    const d = outboxDisplay(item('a', 'failed', { error: { code: 'whatsapp_131047', message: 'Re-engagement message' } }), true);
    expect(d.label).toBe('Gönderilemedi: Re-engagement message');
  });

  it('hides a sent reply once its message is in the timeline', () => {
    const out = [item('a', 'sent', { message_id: 7 }), item('b', 'sent'), item('c', 'queued'), item('d', 'sent', { message_id: 9 })];
    expect(pendingOutbox(out, [message(7), message(8, 'b')]).map((o) => o.key)).toEqual(['c', 'd']);
  });

  it('upserts by key', () => {
    const out = [item('a', 'queued')];
    expect(upsertOutbox(out, item('b', 'queued')).map((o) => o.key)).toEqual(['a', 'b']);
    expect(upsertOutbox(out, item('a', 'failed'))[0].state).toBe('failed');
    expect(out[0].state).toBe('queued'); // not mutated
  });
});
