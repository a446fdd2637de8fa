// Every channel's window as the server decides it, and template messages
// (tests/recorded/windows.ayse.json: WhatsApp open and closed, Messenger closed and closing,
// Instagram open through the HUMAN_AGENT tag, the sandbox without a window). The UI only
// compares the server's window_closes_at with the server's clock; whether a template is paid
// is the server's answer.

import { render } from 'preact';
import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { StatusTick } from '../src/components/Timeline';
import { setLanguage } from '../src/i18n';
import { fillTemplate, templateParts } from '../src/logic/templates';
import type { ConversationView, Template } from '../src/types';
import { click, mount, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

const windows = () => mount('windows.ayse', 'customers-write');

async function open(id: number) {
  await click(m!.get(`conversation-row-${id}`));
  await settle();
}

describe('the window of every channel, from the server', () => {
  it('a closed WhatsApp window: the banner, the server\'s templates with their paid marks, the composer off', async () => {
    m = await windows();
    const { wa_closed, template_params, template_args } = m.replay.ids;
    await open(wa_closed);
    const view = m.replay.answer('customers-write', 'OpenConversation', wa_closed) as ConversationView;
    expect(view.window_closes_at).toBeGreaterThan(0);
    expect(m.get('window-banner').textContent).toContain('Mesajlaşma penceresi kapandı — yalnızca şablon mesaj');
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
    const list = m.replay.answer('customers-write', 'Templates', wa_closed) as Template[];
    for (const x of list) {
      expect(m.get(`template-item-${x.id}`).textContent).toContain(x.name);
      expect(!!m.query(`template-paid-${x.id}`)).toBe(x.paid);
    }
    expect(list.every((x) => x.paid)).toBe(true); // outside the window the server marks every one paid
    const tpl = list.find((x) => x.id === template_params)!;
    await click(m.get(`template-item-${tpl.id}`));
    const send = m.get('send-template') as HTMLButtonElement;
    expect(send.disabled).toBe(true);
    for (let i = 0; i < tpl.params; i++) await typeInto(m.get(`template-param-${i + 1}`), template_args[i]);
    expect(m.get('template-preview').textContent).toBe(fillTemplate(tpl.body, template_args));
    expect((m.get('send-template') as HTMLButtonElement).disabled).toBe(false);
    await click(m.get('send-template'));
    expect(m.replay.step).toBe('template');
    await settle();
    const sent = (m.replay.answer('template', 'SendTemplate', wa_closed, tpl.id, template_args) as { id: number }).id;
    expect(m.get(`message-template-${sent}`).textContent).toContain('Şablon');
    expect(m.replay.misses).toEqual([]);
  });

  it('an open WhatsApp window: no banner, the composer on', async () => {
    m = await windows();
    await open(m.replay.ids.wa_open);
    expect(m.query('window-banner')).toBeNull();
    expect(m.query('window-closing')).toBeNull();
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false);
  });

  it('Messenger after its window: closed too (the server refuses free-form there), and no templates', async () => {
    m = await windows();
    await open(m.replay.ids.ms_closed);
    expect(m.get('window-banner')).toBeTruthy();
    expect(m.get('template-empty').textContent).toBe('Bu kanal için onaylı şablon yok.');
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
  });

  it('Messenger about to close: the warning with the time left', async () => {
    m = await windows();
    await open(m.replay.ids.ms_closing);
    expect(m.get('window-closing').textContent).toMatch(/Mesajlaşma penceresi (\d+ dk|1 sa) sonra kapanıyor/);
    expect(m.query('window-banner')).toBeNull();
  });

  it('Instagram kept open by the HUMAN_AGENT tag, past 24 hours: open as the server says', async () => {
    m = await windows();
    await open(m.replay.ids.ig_human);
    expect(m.query('window-banner')).toBeNull();
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false);
  });

  it('the sandbox has no window', async () => {
    m = await windows();
    await open(m.replay.ids.sandbox);
    expect(m.query('window-banner')).toBeNull();
    expect(m.query('window-closing')).toBeNull();
  });

  it('a reply the server refused with window_closed shows its reason and the banner', async () => {
    m = await mount('windows.ayse', 'refused-closed');
    await open(m.replay.ids.wa_closed);
    const key = m.root.querySelector<HTMLElement>('[data-testid^="outbox-"][data-state="failed"]')!.dataset.testid!.replace('outbox-', '');
    expect(m.get(`outbox-state-${key}`).textContent).toContain('Mesajlaşma penceresi kapalı');
    expect(m.get('window-banner')).toBeTruthy();
  });
});

describe('template bodies', () => {
  it('fills {{n}} placeholders and splits them for highlighting', () => {
    expect(fillTemplate('Merhaba {{1}}, {{2}}', ['Elif'])).toBe('Merhaba Elif, {{2}}');
    expect(fillTemplate('{{2}} numaralı sipariş, {{1}} Hanım', ['Ayşe', '#1043'])).toBe('#1043 numaralı sipariş, Ayşe Hanım');
    expect(templateParts('a {{1}} b')).toEqual([{ text: 'a ' }, { text: '{{1}}', param: '1' }, { text: ' b' }]);
  });

  it('fills named placeholders in the order of their first appearance', () => {
    expect(fillTemplate('Sayın {{ad}} {{soyad}}, {{ad}}', ['Ayşe', 'Yılmaz'])).toBe('Sayın Ayşe Yılmaz, Ayşe');
  });
});

describe('template parameters by name', () => {
  it('a NAMED template: each input labelled by its name with the example, the preview filled, sent in order', async () => {
    m = await windows();
    const { wa_closed, template_named } = m.replay.ids;
    await open(wa_closed);
    const tpl = (m.replay.answer('customers-write', 'Templates', wa_closed) as Template[]).find((x) => x.id === template_named)!;
    expect(tpl.parameter_format).toBe('NAMED');
    await click(m.get(`template-item-${tpl.id}`));
    expect(m.get('template-param-label-1').textContent).toBe('Musteri adi · örn. Ayşe');
    expect(m.get('template-param-label-2').textContent).toBe('Siparis no · örn. #1043');
    expect(m.get('template-form').textContent).not.toContain('{{1}}');
    expect((m.get('template-param-1') as HTMLInputElement).placeholder).toBe('Ayşe');
    await typeInto(m.get('template-param-1'), 'Kemal');
    await typeInto(m.get('template-param-2'), '#2044');
    expect(m.get('template-preview').textContent).toBe('Merhaba Kemal, #2044 numaralı siparişiniz kargoda.');
  });

  it('a positional template: "1. değişken" with the template\'s example, never {{1}}', async () => {
    m = await windows();
    const { wa_closed, template_params } = m.replay.ids;
    await open(wa_closed);
    await click(m.get(`template-item-${template_params}`));
    expect(m.get('template-param-label-1').textContent).toBe('1. değişken · örn. Ayşe');
    expect(m.get('template-param-label-2').textContent).toBe('2. değişken · örn. #1043');
    expect(m.get('template-form').textContent).not.toMatch(/\{\{\d\}\}/);
    expect(m.get('template-preview').textContent).toBe('Merhaba [1. değişken], [2. değişken] numaralı siparişinizle ilgili size yazıyoruz.');
  });
});

describe('delivery ticks', () => {
  it('renders one tick per status with its label and the failure reason', async () => {
    setLanguage('tr');
    const root = document.createElement('div');
    const statuses = ['queued', 'sent', 'delivered', 'read', 'failed'] as const;
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
    expect(tick('delivered')!.title).toBe('İletildi');
    expect(tick('read')!.className).toContain('tick-read');
    expect(tick('failed')!.title).toBe('Gönderilemedi: numara WhatsApp kullanmıyor');
    expect(tick('received')).toBeNull();
    render(null, root);
  });
});

describe('channels of the rows', () => {
  it('shows the channel of every row and of the open conversation', async () => {
    m = await windows();
    const { wa_open, ms_closed, ig_human } = m.replay.ids;
    expect(m.get(`row-channel-${wa_open}`).getAttribute('data-channel')).toBe('whatsapp');
    expect(m.get(`row-channel-${ms_closed}`).getAttribute('data-channel')).toBe('messenger');
    await open(ig_human);
    expect(m.get('conversation-channel').getAttribute('data-channel')).toBe('instagram');
    expect(m.get('conversation-channel').querySelector('svg')).toBeTruthy();
  });
});
