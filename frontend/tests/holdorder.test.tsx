// Rows keep their place while the agent types (issue 11, "the agent's polish"): my list does not
// reorder under the agent; new activity is marked; the order is applied when the composer is
// left or the reply sent.

import { act } from 'preact/test-utils';
import { afterEach, describe, expect, it } from 'vitest';
import { holdOrder } from '../src/logic/inbox';
import type { Inbox } from '../src/types';
import { click, mount, press, settle, typeInto, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
});

/** The server's next inbox with newer activity on one conversation. The recordings store
 * normalised times (every row the same), so the test moves that one row's last message on. */
async function newActivity(mm: Mounted, id: number) {
  const inbox = structuredClone(mm.replay.answer('reply', 'Inbox')) as Inbox;
  inbox.mine.find((c) => c.id === id)!.last_message_at! += 60_000;
  await act(async () => mm.ctl.applyInbox(inbox, Date.now()));
  await settle();
}

const rows = (mm: Mounted) =>
  [...mm.get('mine-list').querySelectorAll<HTMLElement>('[data-testid^="conversation-row-"]')].map((e) => Number(e.dataset.testid!.replace('conversation-row-', '')));

describe('holdOrder', () => {
  const c = (id: number) => ({ id });
  it('keeps the order last shown, marks a row that would move up, and puts a new row at the end', () => {
    const { items, marked } = holdOrder([c(3), c(1), c(2), c(4)], [1, 2, 3]);
    expect(items.map((x) => x.id)).toEqual([1, 2, 3, 4]);
    expect([...marked].sort()).toEqual([3, 4]);
  });
  it('drops a row that left, and with nothing held is the sorted list', () => {
    expect(holdOrder([c(2), c(1)], [1, 9, 2]).items.map((x) => x.id)).toEqual([1, 2]);
    const sorted = [c(2), c(1)];
    expect(holdOrder(sorted, null)).toEqual({ items: sorted, marked: new Set() });
  });
});

describe('my list while the agent types', () => {
  it('new activity on a lower row marks it in place; leaving the composer applies the order', async () => {
    m = await mount('agent-day.ayse', 'customers-write');
    const { elif, burak } = m.replay.ids;
    await click(m.get(`conversation-row-${elif}`));
    expect(rows(m)).toEqual([burak, elif]);
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Siparişinize bakıyorum, bir dakika');
    // Elif's conversation gets newer activity: sorted, it would go first.
    await newActivity(m, elif);
    expect(rows(m)).toEqual([burak, elif]);
    expect(m.get(`held-activity-${elif}`).textContent).toBe('Yeni');
    expect(m.query(`held-activity-${burak}`)).toBeNull();
    await act(async () => input.blur());
    await settle();
    expect(rows(m)).toEqual([elif, burak]);
    expect(m.query(`held-activity-${elif}`)).toBeNull();
  });

  it('sending the reply applies the order', async () => {
    m = await mount('agent-day.ayse', 'customers-write');
    const { elif, burak } = m.replay.ids;
    await click(m.get(`conversation-row-${elif}`));
    const input = m.get('composer-input') as HTMLTextAreaElement;
    await typeInto(input, 'Kargonuz bugün çıkıyor');
    await newActivity(m, elif);
    expect(rows(m)).toEqual([burak, elif]);
    await press(input, 'Enter');
    await settle();
    expect(m.replay.count('Send')).toBe(1);
    expect(input.value).toBe('');
    expect(m.query(`held-activity-${elif}`)).toBeNull();
    // Sent: the composer keeps the focus, and the list follows the server again.
    await newActivity(m, elif);
    expect(rows(m)).toEqual([elif, burak]);
  });

  it('with the composer focused but empty, the list follows the server at once', async () => {
    m = await mount('agent-day.ayse', 'customers-write');
    const { elif, burak } = m.replay.ids;
    await click(m.get(`conversation-row-${elif}`));
    await act(async () => (m!.get('composer-input') as HTMLTextAreaElement).focus());
    await newActivity(m, elif);
    expect(rows(m)).toEqual([elif, burak]);
  });
});
