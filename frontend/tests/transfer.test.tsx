// Transfers over the recorded answers of two real apps against one real santrald
// (transfer.sender.json: ayse; transfer.receiver.json: mehmet). Issue 7, line 10: after the
// receiver accepts, the conversation leaves the sender's view at once and her composer locks with
// the reason; a reply typed in that moment is refused in sight, never shown as waiting.

import { afterEach, describe, expect, it } from 'vitest';
import { setLanguage } from '../src/i18n';
import { click, mount, press, settle, testIds, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
  setLanguage('tr');
});

async function sender(): Promise<Mounted> {
  m = await mount('transfer.sender', 'customers-write');
  await click(m.get(`conversation-row-${m.replay.ids.conv}`));
  expect(m.replay.step).toBe('open');
  return m;
}

describe('the sender', () => {
  it('lists every agent with their presence; the server refuses one on break, then a second offer', async () => {
    const m = await sender();
    const { mehmet, zeynep } = m.replay.ids;
    await click(m.get('transfer-button'));
    expect(m.get(`transfer-agent-presence-${zeynep}`).textContent).toContain('Mola: Yemek');
    expect(testIds(m.get('transfer-dialog'), 'transfer-agent-presence-')[0]).toBe(`transfer-agent-presence-${mehmet}`); // online first
    await click(m.get(`transfer-agent-${zeynep}`).querySelector('input')!);
    await click(m.get('transfer-confirm'));
    expect(m.get('transfer-error').textContent).toContain('Molada');
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await typeInto(m.get('transfer-note'), 'Kargo takibini sen yapar mısın?');
    await click(m.get('transfer-confirm'));
    expect(m.replay.step).toBe('offered');
    expect(m.query('transfer-dialog')).toBeNull();
    expect(m.get('pending-offer').textContent).toContain('Mehmet Kaya');
    // One pending offer per conversation is the server's rule: it says so.
    await click(m.get('transfer-button'));
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await click(m.get('transfer-confirm'));
    expect(m.get('transfer-error').textContent).toBe('Bu konuşma için zaten bekleyen bir aktarım var.');
    await press(window, 'Escape');
    expect(m.query('transfer-dialog')).toBeNull();
  });

  it('when the offer is accepted, the row leaves and the composer locks with the reason; the draft stays', async () => {
    const m = await sender();
    const { conv, mehmet } = m.replay.ids;
    await click(m.get('transfer-button'));
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await typeInto(m.get('transfer-note'), 'Kargo takibini sen yapar mısın?');
    await click(m.get('transfer-confirm'));
    await typeInto(m.get('composer-input'), 'Hemen bakı');
    await m.advance('accepted');
    expect(m.query(`conversation-row-${conv}`)).toBeNull();
    expect(m.get('conversation-lost').textContent).toBe('Aktarımınız kabul edildi: konuşma artık Mehmet Kaya temsilcisinde. Buradan yazamazsınız.');
    const input = m.get('composer-input') as HTMLTextAreaElement;
    expect(input.disabled).toBe(true);
    expect(input.value).toBe('Hemen bakı');
    expect((m.get('composer-send') as HTMLButtonElement).disabled).toBe(true);
    expect(m.query('transfer-button')).toBeNull();
    expect(m.query('end-button')).toBeNull();
    expect(m.replay.misses).toEqual([]);
  });

  it('a reply sent in that moment comes back refused with its reason, where it was typed', async () => {
    const m = await sender();
    const { mehmet } = m.replay.ids;
    await click(m.get('transfer-button'));
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await typeInto(m.get('transfer-note'), 'Kargo takibini sen yapar mısın?');
    await click(m.get('transfer-confirm'));
    // The acceptance has not reached this app yet: she presses Send.
    await typeInto(m.get('composer-input'), 'Hemen bakıyorum');
    await press(m.get('composer-input'), 'Enter');
    expect(m.replay.step).toBe('typed');
    const bubble = m.root.querySelector<HTMLElement>('[data-testid^="outbox-"][data-state]')!;
    expect(bubble.dataset.state).toBe('failed');
    const key = bubble.dataset.testid!.replace('outbox-', '');
    expect(m.get(`outbox-state-${key}`).textContent).toBe('Gönderilemedi: Bu konuşma size ait değil.');
    expect(m.root.textContent).not.toContain('bağlantı gelince'); // never "waiting for the connection"
    expect(m.get('conversation-lost')).toBeTruthy();
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(true);
    await click(m.get(`outbox-discard-${key}`));
    expect(m.query(`outbox-${key}`)).toBeNull();
  });

  it('a refusal for a conversation no longer on screen is a notice naming it', async () => {
    const m = await sender();
    const { mehmet, second } = m.replay.ids;
    await click(m.get('transfer-button'));
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await typeInto(m.get('transfer-note'), 'Kargo takibini sen yapar mısın?');
    await click(m.get('transfer-confirm'));
    m.ctl.closeConversation();
    await settle();
    const failed = m.replay.answer('typed', 'Send', m.replay.ids.conv, 'Hemen bakıyorum');
    m.replay.emit('outbox', { item: failed, conversation: 'Elif Şahin' });
    await settle();
    expect(testIds(m.root, 'toast').length).toBeGreaterThan(0);
    expect([...document.querySelectorAll('[data-testid="toast"]')].map((e) => e.textContent)).toContain('Elif Şahin konuşmasına yanıtınız gönderilemedi: Bu konuşma size ait değil.');
    expect(m.query(`conversation-row-${second}`)).toBeTruthy();
  });

  it('a rejected offer comes back: the conversation stays with her', async () => {
    m = await mount('transfer.sender', 'typed');
    const { second, mehmet } = m.replay.ids;
    await click(m.get(`conversation-row-${second}`));
    await click(m.get('transfer-button'));
    await click(m.get(`transfer-agent-${mehmet}`).querySelector('input')!);
    await click(m.get('transfer-confirm'));
    expect(m.get('pending-offer')).toBeTruthy();
    await m.advance('rejected');
    expect(m.query('pending-offer')).toBeNull();
    expect(m.get(`conversation-row-${second}`)).toBeTruthy();
    expect((m.get('composer-input') as HTMLTextAreaElement).disabled).toBe(false);
  });
});

describe('the receiver', () => {
  it('sees the offer with its note and countdown, accepts it and opens the conversation', async () => {
    m = await mount('transfer.receiver', 'offer-arrives');
    const { offer, conv } = m.replay.ids;
    // Whom and what: the server's offer names the customer and their last message (issue 11).
    expect(m.get(`offer-customer-${offer}`).textContent).toBe('Elif Şahin');
    expect(m.get(`offer-message-${offer}`).textContent).toBe('Müşteri: “Kargom gelmedi”');
    expect(m.get(`offer-note-${offer}`).textContent).toContain('Kargo takibini sen yapar mısın?');
    expect(m.get(`offer-countdown-${offer}`).textContent).toMatch(/^\d:\d\d kaldı$/);
    await click(m.get(`offer-accept-${offer}`));
    expect(m.replay.step).toBe('accept');
    expect(m.get('conversation').dataset.conversationId).toBe(String(conv));
    expect(m.get(`conversation-row-${conv}`)).toBeTruthy();
    expect(m.query(`offer-${offer}`)).toBeNull();
  });

  it('rejects the second offer; answering it again is refused by the server', async () => {
    m = await mount('transfer.receiver', 'accept');
    await m.advance('offer2-arrives');
    const { offer2 } = m.replay.ids;
    await click(m.get('tab-transfers'));
    expect(m.get(`offer-customer-${offer2}`).textContent).toBe('Burak Öztürk');
    expect(m.get(`offer-message-${offer2}`).textContent).toContain('İade kodu alabilir miyim?');
    await click(m.get(`offer-reject-${offer2}`));
    expect(m.replay.step).toBe('reject');
    expect(m.query(`offer-${offer2}`)).toBeNull();
    // Rejected, the customer is nowhere on this agent's screen (nor in what the app answers).
    expect(document.body.textContent).not.toContain('Burak Öztürk');
    expect(document.body.textContent).not.toContain('İade kodu');
    expect(await m.ctl.acceptTransfer(offer2)).toBe(false);
    expect(m.ctl.state.toasts.at(-1)?.text).toContain('artık beklemede değil');
  });
});
