// The queue in the server's order (tests/recorded/queue.ayse.json): a conversation returned to
// the head is listed first because the server says so (its queue_key), and the conversation
// button gets it. The UI does not sort the queue.

import { afterEach, describe, expect, it } from 'vitest';
import type { Inbox } from '../src/types';
import { click, mount, testIds, type Mounted } from './helpers';

let m: Mounted | null = null;
afterEach(() => {
  m?.unmount();
  m = null;
});

describe('queue', () => {
  it('lists the queue exactly in the order the app gives, the returned conversation first', async () => {
    m = await mount('queue.ayse', 'returned-to-head');
    const inbox = m.replay.answer('returned-to-head', 'Inbox') as Inbox;
    await click(m.get('tab-queue'));
    expect(m.get('queue-count').dataset.count).toBe('4');
    expect(testIds(m.root, 'queue-row-')).toEqual(inbox.queue.map((c) => `queue-row-${c.id}`));
    expect(testIds(m.root, 'queue-row-')[0]).toBe(`queue-row-${m.replay.ids.returned}`);
    expect(m.get('pull-queue-count').textContent).toBe('4');
  });

  it('pulls the head of the queue: the returned conversation', async () => {
    m = await mount('queue.ayse', 'returned-to-head');
    await click(m.get('tab-queue'));
    await click(m.get('pull-button'));
    expect(m.replay.step).toBe('pull');
    expect(m.get('tab-mine').getAttribute('aria-selected')).toBe('true');
    expect(m.get('conversation').dataset.conversationId).toBe(String(m.replay.ids.returned));
    expect(m.get('toast').textContent).toContain('Can Koç');
    expect(m.replay.misses).toEqual([]);
  });
});
