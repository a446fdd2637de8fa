import { afterEach, describe, expect, it } from 'vitest';
import { act } from 'preact/test-utils';
import { attachmentErrorText, setLanguage } from '../src/i18n';
import {
  addPending,
  afterSend,
  busy,
  canSend,
  dataURLBase64,
  formatSize,
  markFailed,
  markReady,
  markUploading,
  MAX_ATTACHMENT_BYTES,
  readyAttachments,
  removePending,
  setProgress,
} from '../src/logic/attachments';
import { click, mount, settle, typeInto } from './helpers';

afterEach(() => setLanguage('tr'));

const att = { kind: 'document', name: 'a.pdf', url: '/api/v1/media/a', mime_type: 'application/pdf', size: 10 };

describe('attachment chip state', () => {
  it('moves a file through reading, uploading and ready', () => {
    let l = addPending([], [{ name: 'a.pdf', size: 10, type: 'application/pdf' }]);
    expect(l).toHaveLength(1);
    expect(l[0]).toMatchObject({ name: 'a.pdf', size: 10, mime: 'application/pdf', state: 'reading', progress: 0 });
    const id = l[0].id;
    expect(busy(l)).toBe(true);
    expect(canSend('merhaba', l)).toBe(false);
    l = setProgress(l, id, 0.5);
    expect(l[0].progress).toBe(0.5);
    l = setProgress(l, id, 7);
    expect(l[0].progress).toBe(1);
    l = markUploading(l, id);
    expect(l[0].state).toBe('uploading');
    expect(canSend('merhaba', l)).toBe(false);
    l = markReady(l, id, att);
    expect(l[0].state).toBe('ready');
    expect(busy(l)).toBe(false);
    expect(readyAttachments(l)).toEqual([att]);
    expect(canSend('', l)).toBe(true);
    expect(afterSend(l)).toEqual([]);
  });

  it('refuses files over 100 MB and empty files at once', () => {
    const l = addPending([], [
      { name: 'big.mov', size: MAX_ATTACHMENT_BYTES + 1, type: 'video/quicktime' },
      { name: 'empty.txt', size: 0, type: 'text/plain' },
      { name: 'ok.png', size: 5, type: '' },
    ]);
    expect(l.map((a) => a.state)).toEqual(['error', 'error', 'reading']);
    expect(l[0].error?.code).toBe('body_too_large');
    expect(l[2].mime).toBe('application/octet-stream');
    expect(attachmentErrorText(l[0].error)).toContain('100 MB');
    setLanguage('en');
    expect(attachmentErrorText(l[0].error)).toBe('The file is too large (up to 100 MB).');
    expect(attachmentErrorText({ code: 'invalid_field', message: 'x', field: 'file' })).toBe('This type of file cannot be sent.');
    expect(attachmentErrorText({ code: 'offline', message: '' })).toContain('No connection');
  });

  it('keeps failed chips after sending and removes chips on demand', () => {
    let l = addPending([], [{ name: 'a', size: 1 }, { name: 'b', size: 1 }]);
    l = markReady(l, l[0].id, att);
    l = markFailed(l, l[1].id, { code: 'not_holder', message: 'no' });
    expect(busy(l)).toBe(false);
    expect(canSend('', l)).toBe(true);
    const left = afterSend(l);
    expect(left.map((a) => a.name)).toEqual(['b']);
    expect(removePending(left, left[0].id)).toEqual([]);
    expect(canSend('  ', [])).toBe(false);
  });

  it('formats sizes and reads data URLs', () => {
    expect(formatSize(512)).toBe('512 B');
    expect(formatSize(1536)).toBe('1.5 KB');
    expect(formatSize(5 * 1024 * 1024)).toBe('5.0 MB');
    expect(dataURLBase64('data:text/plain;base64,aGk=')).toBe('aGk=');
  });
});

describe('composer attachments', () => {
  it('uploads a picked file, shows its chip and sends it with the text', async () => {
    const m = await mount();
    try {
      await click(m.get('conversation-row-11'));
      const button = m.get('attach-button') as HTMLButtonElement;
      expect(button.disabled).toBe(false);
      const file = new File(['merhaba dünya'], 'fatura.pdf', { type: 'application/pdf' });
      await act(async () => {
        await m.ctl.addAttachments(11, [file]);
      });
      await settle();
      const chip = m.get('composer-attachment-0');
      expect(chip.dataset.state).toBe('ready');
      expect(chip.textContent).toContain('fatura.pdf');
      expect(m.fake.world.uploads?.['fatura.pdf']).toBeTruthy();
      await typeInto(m.get('composer-input'), 'Faturanız ektedir');
      await click(m.get('composer-send'));
      await settle();
      expect(m.query('composer-attachment-0')).toBeNull();
      const sent = m.fake.world.messages.filter((x) => x.conversation_id === 11 && x.direction === 'out').pop();
      expect(sent?.body).toBe('Faturanız ektedir');
      expect(sent?.attachments?.[0]).toMatchObject({ name: 'fatura.pdf', kind: 'document' });
    } finally {
      m.unmount();
    }
  });

  it('shows a per-file refusal translated and sends a file alone', async () => {
    const m = await mount({ tweak: (w) => (w.refuseMime = ['application/x-msdownload']) });
    try {
      await click(m.get('conversation-row-11'));
      await act(async () => {
        await m.ctl.addAttachments(11, [new File(['MZ'], 'virus.exe', { type: 'application/x-msdownload' }), new File(['img'], 'foto.png', { type: 'image/png' })]);
      });
      await settle();
      expect(m.get('composer-attachment-0').dataset.state).toBe('error');
      expect(m.get('composer-attachment-state-0').textContent).toContain('Bu dosya türü gönderilemiyor');
      expect(m.get('composer-attachment-1').dataset.state).toBe('ready');
      expect((m.get('composer-send') as HTMLButtonElement).disabled).toBe(false);
      await click(m.get('composer-send'));
      await settle();
      const sent = m.fake.world.messages.filter((x) => x.conversation_id === 11 && x.direction === 'out').pop();
      expect(sent?.body).toBe('');
      expect(sent?.attachments?.map((a) => a.name)).toEqual(['foto.png']);
      // The refused file stays until removed.
      expect(m.get('composer-attachment-0').dataset.state).toBe('error');
      await click(m.get('composer-attachment-remove-0'));
      expect(m.query('composer-attachments')).toBeNull();
    } finally {
      m.unmount();
    }
  });

  it('highlights the drop zone and uploads dropped files', async () => {
    const m = await mount();
    try {
      await click(m.get('conversation-row-11'));
      const pane = m.get('conversation');
      const file = new File(['png'], 'ekran.png', { type: 'image/png' });
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
      expect(m.fake.world.uploads?.['ekran.png']).toBeTruthy();
    } finally {
      m.unmount();
    }
  });

  it('does not attach while offline, and says why', async () => {
    const m = await mount({ tweak: (w) => { w.connection = { state: 'reconnecting', since: Date.now(), attempt: 1 }; w.offline = true; } });
    try {
      await click(m.get('conversation-row-11'));
      const button = m.get('attach-button') as HTMLButtonElement;
      expect(button.disabled).toBe(true);
      expect(button.title).toContain('çevrimdışı');
      await act(async () => {
        await m.ctl.addAttachments(11, [new File(['x'], 'a.txt', { type: 'text/plain' })]);
      });
      await settle();
      expect(m.get('composer-attachment-0').dataset.state).toBe('error');
      expect(m.get('composer-attachment-state-0').textContent).toContain('Sunucuya bağlantı yok');
      expect(m.get('attach-offline').textContent).toContain('sıraya alınmaz');
    } finally {
      m.unmount();
    }
  });
});
