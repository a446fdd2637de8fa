// Files in replies over recorded answers (attachments.ayse.json, offline.ayse.json): handed to
// the Go side in chunks, refused by the server by type, sent with a reply, previewed through the
// media cache; and the app without its server (offline.ayse.json).

import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { attachmentErrorText, setLanguage } from '../src/i18n';
import { addPending, afterSend, busy, canSend, dataURLBase64, formatSize, markFailed, markReady, markUploading, readyAttachments, removePending, setProgress } from '../src/logic/attachments';
import { click, mount, press, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

const att = { kind: 'document', name: 'a.pdf', url: '/api/v1/media/a', mime_type: 'application/pdf', size: 10 };

describe('attachment chip state', () => {
  it('moves a file through handing over, uploading and ready', () => {
    let l = addPending([], [{ name: 'a.pdf', size: 10, type: 'application/pdf' }]);
    expect(l[0]).toMatchObject({ name: 'a.pdf', size: 10, mime: 'application/pdf', state: 'reading', progress: 0 });
    const id = l[0].id;
    expect(busy(l)).toBe(true);
    expect(canSend('merhaba', l)).toBe(false);
    l = setProgress(l, id, 0.5);
    expect(l[0].progress).toBe(0.5);
    l = setProgress(l, id, 7);
    expect(l[0].progress).toBe(1);
    l = markUploading(l, id);
    expect(canSend('merhaba', l)).toBe(false);
    l = markReady(l, id, att);
    expect(busy(l)).toBe(false);
    expect(readyAttachments(l)).toEqual([att]);
    expect(canSend('', l)).toBe(true);
    expect(afterSend(l)).toEqual([]);
  });

  it('keeps failed chips after sending and removes chips on demand', () => {
    let l = addPending([], [{ name: 'a', size: 1 }, { name: 'b', size: 1 }]);
    expect(l[1].mime).toBe('application/octet-stream');
    l = markReady(l, l[0].id, att);
    l = markFailed(l, l[1].id, { code: 'not_holder', message: 'no' });
    expect(canSend('', l)).toBe(true);
    const left = afterSend(l);
    expect(left.map((a) => a.name)).toEqual(['b']);
    expect(removePending(left, left[0].id)).toEqual([]);
    expect(canSend('  ', [])).toBe(false);
  });

  it('formats sizes, reads data URLs and words refusals', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(dataURLBase64('data:text/plain;base64,aGk=')).toBe('aGk=');
    setLanguage('en');
    expect(attachmentErrorText({ code: 'body_too_large', message: '' })).toBe('The file is too large (up to 100 MB).');
    expect(attachmentErrorText({ code: 'invalid_field', message: 'x', field: 'file' })).toBe('This type of file cannot be sent.');
    expect(attachmentErrorText({ code: 'offline', message: '' })).toContain('No connection');
  });
});

// The files the recorded scenario handed over, byte for byte.
const pdf = () => new File(['%PDF-1.4 fatura 1043'], 'fatura.pdf', { type: 'application/pdf' });
const exe = () => new File(['MZ'], 'virus.exe', { type: 'application/x-msdownload' });
const png = () => new File([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new TextEncoder().encode('ekran')])], 'ekran.png', { type: 'image/png' });

async function withFiles(): Promise<Mounted> {
  m = await mount('attachments.ayse', 'customer-writes');
  await click(m.get(`conversation-row-${m.replay.ids.conv}`));
  await m.advance('uploads');
  return m;
}

describe('composer attachments', () => {
  it('hands a file over in chunks, shows its chip and sends it with the text', async () => {
    const m = await withFiles();
    const conv = m.replay.ids.conv;
    expect((m.get('attach-button') as HTMLButtonElement).disabled).toBe(false);
    await act(async () => m.ctl.addAttachments(conv, [pdf()]));
    await settle();
    expect(m.replay.calls.filter((c) => c.method.startsWith('Upload')).map((c) => c.method)).toEqual(['UploadBegin', 'UploadChunk', 'UploadFinish']);
    const chip = m.get('composer-attachment-0');
    expect(chip.dataset.state).toBe('ready');
    expect(chip.textContent).toContain('fatura.pdf');
    await typeInto(m.get('composer-input'), 'Faturanız ektedir');
    await press(m.get('composer-input'), 'Enter');
    expect(m.replay.step).toBe('send');
    await settle();
    expect(m.query('composer-attachment-0')).toBeNull();
    const out = m.root.querySelector<HTMLElement>('[data-testid^="attachment-"][data-kind="document"]');
    expect(out?.textContent).toContain('fatura.pdf');
    expect(m.replay.misses).toEqual([]);
  });

  it('shows the server\'s refusal of a file type on its chip and sends a picture alone', async () => {
    const m = await withFiles();
    const conv = m.replay.ids.conv;
    await act(async () => m.ctl.addAttachments(conv, [exe(), png()]));
    await settle();
    expect(m.get('composer-attachment-0').dataset.state).toBe('error');
    expect(m.get('composer-attachment-state-0').textContent).toContain('Bu dosya türü gönderilemiyor');
    expect(m.get('composer-attachment-1').dataset.state).toBe('ready');
    await click(m.get('composer-attachment-remove-0'));
    await click(m.get('composer-send'));
    expect(m.replay.step).toBe('send-alone');
    expect(m.replay.calls.filter((c) => c.method === 'SendWithAttachments').at(-1)?.args[1]).toBe('');
  });

  it('highlights the drop zone and hands over dropped files', async () => {
    const m = await withFiles();
    const pane = m.get('conversation');
    const file = pdf();
    const fire = async (type: string) => {
      const ev = new Event(type, { bubbles: true, cancelable: true });
      Object.defineProperty(ev, 'dataTransfer', { value: { types: ['Files'], files: [file], dropEffect: 'none' } });
      await act(async () => {
        pane.dispatchEvent(ev);
      });
      await settle();
    };
    await fire('dragenter');
    await fire('dragover');
    expect(m.get('drop-zone')).toBeTruthy();
    await fire('drop');
    expect(m.query('drop-zone')).toBeNull();
    await settle();
    expect(m.get('composer-attachment-0').dataset.state).toBe('ready');
  });
});

describe('without the server', () => {
  it('shows the cached inbox at once, queues a reply for the connection, refuses files', async () => {
    m = await mount('offline.ayse', 'start');
    const conv = m.replay.ids.conv;
    expect(m.get('connection-indicator').dataset.state).toBe('reconnecting');
    expect(m.get('offline-banner')).toBeTruthy();
    await click(m.get(`conversation-row-${conv}`));
    expect(m.get('from-cache')).toBeTruthy();
    expect(m.get('timeline').textContent).toContain('İade talebim var');
    expect((m.get('attach-button') as HTMLButtonElement).disabled).toBe(true);
    await typeInto(m.get('composer-input'), 'Çevrimdışı yazdım');
    await click(m.get('composer-send'));
    expect(m.replay.step).toBe('queued');
    const item = m.root.querySelector<HTMLElement>('[data-testid^="outbox-"][data-state]')!;
    expect(item.dataset.state).toBe('queued');
    expect(m.get(`outbox-state-${item.dataset.testid!.replace('outbox-', '')}`).textContent).toBe('Sırada — bağlantı gelince gönderilecek');
    await act(async () => m!.ctl.addAttachments(conv, [new File(['x'], 'a.txt', { type: 'text/plain' })]));
    await settle();
    expect(m.get('composer-attachment-state-0').textContent).toContain('Sunucuya bağlantı yok');
    expect(m.get('attach-offline').textContent).toContain('sıraya alınmaz');
  });
});
