// The WhatsApp 24-hour window (pure logic and the banner with the template picker), delivery
// ticks per status, template tags, media previews and the channel of every conversation.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusTick } from '../src/components/Timeline';
import { setLanguage } from '../src/i18n';
import { fillTemplate, placeholderCount, templateOnly, templateParts } from '../src/logic/templates';
import type { Conversation, Message, OutboxItem } from '../src/types';
import { click, mount, settle, typeInto, type Mounted } from './helpers';

const HOUR = 60 * 60 * 1000;
const now = 1_700_000_000_000;

function conv(over: Partial<Conversation> = {}): Conversation {
  return {
    id: 7,
    state: 'assigned',
    agent_id: 2,
    contact: { id: 1, channel_id: 1, external_id: '905', name: 'Elif' },
    channel: { id: 1, type: 'whatsapp', name: 'wa' },
    queued_at: now - 30 * HOUR,
    created_at: now - 30 * HOUR,
    last_inbound_at: now - 2 * HOUR,
    last_message_preview: '',
    ...over,
  };
}

describe('templateOnly (the WhatsApp 24-hour window)', () => {
  it('is closed on WhatsApp once the server\'s closing time has passed, by the server clock', () => {
    expect(templateOnly(conv(), now + HOUR, now)).toBe(false);
    expect(templateOnly(conv(), now + 1, now)).toBe(false);
    expect(templateOnly(conv(), now, now)).toBe(true);
    expect(templateOnly(conv(), now - HOUR, now)).toBe(true);
    expect(templateOnly(conv(), 0, now)).toBe(false); // no window known
  });

  it('does not apply to other channels', () => {
    for (const type of ['instagram', 'messenger', 'telegram', 'webchat', 'sandbox']) {
      expect(templateOnly(conv({ channel: { id: 2, type, name: type } }), now - HOUR, now)).toBe(false);
    }
  });

  it('is closed when the server refused a reply with window_closed since the last customer message', () => {
    const failed = (created_at: number, code = 'window_closed'): OutboxItem => ({ key: 'k', conversation_id: 7, body: 'x', state: 'failed', created_at, error: { code, message: '' } });
    expect(templateOnly(conv(), now + HOUR, now, [failed(now - HOUR)])).toBe(true);
    expect(templateOnly(conv(), now + HOUR, now, [failed(now - HOUR, 'not_holder')])).toBe(false);
    expect(templateOnly(conv(), now + HOUR, now, [failed(now - 3 * HOUR)])).toBe(false); // the customer wrote since
    expect(templateOnly(conv(), now + HOUR, now, [{ ...failed(now - HOUR), conversation_id: 8 }])).toBe(false);
  });

  it('counts and fills {{n}} placeholders', () => {
    expect(placeholderCount('Merhaba {{1}}, siparişiniz {{2}} yolda')).toBe(2);
    expect(placeholderCount('Sabit metin')).toBe(0);
    expect(placeholderCount('{{ 3 }}', 1)).toBe(3);
    expect(fillTemplate('Merhaba {{1}}, {{2}}', ['Elif'])).toBe('Merhaba Elif, {{2}}');
    expect(templateParts('a {{1}} b')).toEqual([{ text: 'a ' }, { text: '{{1}}', param: 1 }, { text: ' b' }]);
  });
});

describe('delivery ticks', () => {
  afterEach(() => setLanguage('tr'));
  it('renders one tick per status with its label and the failure reason', async () => {
    setLanguage('tr');
    const root = document.createElement('div');
    const statuses: Message['status'][] = ['queued', 'sent', 'delivered', 'read', 'failed'];
    await act(async () => {
      render(
        <div>
          {statuses.map((s) => (
            <StatusTick key={s} status={s} reason={s === 'failed' ? 'numara WhatsApp kullanmıyor' : undefined} testId={`tick-${s}`} />
          ))}
          <StatusTick status="received" testId="tick-received" />
        </div>,
        root,
      );
    });
    const tick = (s: string) => root.querySelector<HTMLElement>(`[data-testid="tick-${s}"]`);
    expect(tick('queued')!.className).toContain('tick-queued');
    expect(tick('sent')!.title).toBe('Gönderildi');
    expect(tick('sent')!.querySelectorAll('svg').length).toBe(1);
    expect(tick('delivered')!.title).toBe('İletildi');
    expect(tick('read')!.className).toContain('tick-read');
    expect(tick('failed')!.className).toContain('tick-failed');
    expect(tick('failed')!.title).toBe('Gönderilemedi: numara WhatsApp kullanmıyor');
    expect(tick('received')).toBeNull();
    render(null, root);
  });
});

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

describe('the window-closed banner and the template picker', () => {
  it('shows the banner with categories and paid markers, fills parameters and sends the template', async () => {
    m = await mount({ tweak: (w) => (w.conversations.find((c) => c.id === 11)!.last_inbound_at = Date.now() - 25 * HOUR) });
    await click(m.get('conversation-row-11'));
    const banner = m.get('window-banner');
    expect(banner.textContent).toContain('24 saat penceresi kapandı — yalnızca şablon mesaj');
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
    expect(m.fake.calls.find((c) => c.method === 'Templates')?.args).toEqual([11]);

    expect(m.get('template-item-1').textContent).toContain('siparis_durumu');
    expect(m.get('template-category-1').textContent).toBe('Hizmet');
    expect(m.get('template-category-2').textContent).toBe('Pazarlama');
    expect(m.get('template-paid-1').textContent).toBe('Ücretli');
    expect(m.get('template-item-1').textContent).toContain('{{1}}');

    await click(m.get('template-item-1'));
    const send = m.get('send-template') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    await typeInto(m.get('template-param-1'), 'Elif');
    expect(send.disabled).toBe(true);
    await typeInto(m.get('template-param-2'), '458721');
    expect(m.get('template-preview').textContent).toBe('Merhaba Elif, 458721 numaralı siparişiniz yolda.');
    expect((m.get('send-template') as HTMLButtonElement).disabled).toBe(false);
    await click(m.get('send-template'));
    expect(m.fake.calls.find((c) => c.method === 'SendTemplate')?.args).toEqual([11, 1, ['Elif', '458721']]);
    await settle();
    const sent = m.fake.world.messages.at(-1)!;
    expect(m.get(`message-template-${sent.id}`).textContent).toContain('Şablon');
    expect(m.get(`message-tick-${sent.id}`).getAttribute('data-status')).toBe('queued');
  });

  it('shows the banner after the server refused a reply with window_closed', async () => {
    m = await mount();
    await click(m.get('conversation-row-11'));
    expect(m.query('window-banner')).toBeNull();
    await typeInto(m.get('composer-input'), 'Merhaba #fail');
    await click(m.get('composer-send'));
    await settle();
    expect(m.get('window-banner')).toBeTruthy();
    expect(m.get('template-item-2')).toBeTruthy();
  });

  it('shows a template refusal as a notice and keeps the picker', async () => {
    m = await mount({ tweak: (w) => (w.conversations.find((c) => c.id === 11)!.last_inbound_at = Date.now() - 25 * HOUR) });
    m.fake.overrides.SendTemplate = () => {
      throw JSON.stringify({ code: 'window_closed', message: 'closed' });
    };
    await click(m.get('conversation-row-11'));
    await click(m.get('template-item-2'));
    await click(m.get('send-template'));
    expect(m.get('toast').getAttribute('data-kind')).toBe('error');
    expect(m.get('template-form')).toBeTruthy();
  });

  it('has no banner on other channels', async () => {
    m = await mount({ tweak: (w) => (w.conversations.find((c) => c.id === 13)!.last_inbound_at = Date.now() - 48 * HOUR) });
    await click(m.get('conversation-row-13'));
    expect(m.query('window-banner')).toBeNull();
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false);
  });
});

describe('messages, attachments and channels', () => {
  it('marks failures with their reason, previews media when visible, and shows downloads and locations', async () => {
    // Media load only once on screen: this observer reports every element as visible.
    const observed: Element[] = [];
    const saved = globalThis.IntersectionObserver;
    globalThis.IntersectionObserver = class {
      constructor(private cb: (e: Array<{ isIntersecting: boolean; target: Element }>) => void) {}
      observe(el: Element) {
        observed.push(el);
        queueMicrotask(() => this.cb([{ isIntersecting: true, target: el }]));
      }
      unobserve() {}
      disconnect() {}
      takeRecords() {
        return [];
      }
    } as unknown as typeof IntersectionObserver;
    try {
      await mediaCase(observed);
    } finally {
      globalThis.IntersectionObserver = saved;
    }
  });
});

async function mediaCase(observed: Element[]) {
  {
    m = await mount({
      tweak: (w) => {
        const at = Date.now() - 60_000;
        w.messages.push(
          { id: 7001, conversation_id: 11, direction: 'out', author_id: 2, body: 'olmadı', status: 'failed', status_reason: 'numara geçersiz', created_at: at },
          {
            id: 7002,
            conversation_id: 11,
            direction: 'in',
            body: '',
            status: 'received',
            created_at: at + 1,
            attachments: [
              { kind: 'image', url: '/api/v1/media/img1', mime_type: 'image/png', name: 'foto.png', caption: 'hasar' },
              { kind: 'video', ref: 'wamid-media-1', name: 'video.mp4' },
              { kind: 'location', latitude: 41.0082, longitude: 28.9784 },
              { kind: 'document', url: '/api/v1/media/doc1', name: 'fatura.pdf', size: 2048 },
            ],
          },
        );
      },
    });
    await click(m.get('conversation-row-11'));
    expect(m.get('message-tick-7001').getAttribute('data-status')).toBe('failed');
    expect(m.get('message-error-7001').textContent).toBe('Gönderilemedi: numara geçersiz');

    await settle();
    const img = m.get('attachment-7002-0');
    expect(img.getAttribute('data-state')).toBe('ready');
    expect(img.querySelector('img')!.getAttribute('src')).toBe('data:image/png;base64,aGVsbG8=');
    expect(m.fake.calls.find((c) => c.method === 'MediaURL')?.args).toEqual(['/api/v1/media/img1', 'image/png']);
    expect(m.get('attachment-7002-1').getAttribute('data-state')).toBe('downloading');
    expect(m.get('attachment-7002-1').textContent).toContain('indiriliyor…');
    expect(m.get('attachment-7002-2').textContent).toContain('📍 41.00820, 28.97840');
    expect(m.get('attachment-7002-3').textContent).toContain('fatura.pdf');
    expect(m.get('attachment-7002-3').textContent).toContain('2 KB');
    expect(m.fake.calls.filter((c) => c.method === 'MediaURL').length).toBe(1); // documents are not fetched
    expect(observed.length).toBe(1);
  }
}

describe('channels and the composer', () => {

  it('shows the channel of every row and of the open conversation, and the attach button', async () => {
    m = await mount();
    expect(m.get('row-channel-11').getAttribute('data-channel')).toBe('whatsapp');
    expect(m.get('row-channel-12').getAttribute('data-channel')).toBe('instagram');
    expect(m.get('row-channel-13').textContent).toContain('Web sohbet');
    await click(m.get('conversation-row-12'));
    expect(m.get('conversation-channel').getAttribute('data-channel')).toBe('instagram');
    expect(m.get('conversation-channel').querySelector('svg')).toBeTruthy();
    const attach = m.get('attach-button') as HTMLButtonElement;
    expect(attach.disabled).toBe(false);
    expect(m.get('attach-input').getAttribute('type')).toBe('file');
  });
});
