import { describe, expect, it } from 'vitest';
import { applyQuickText, filterQuickMessages, findQuickToken } from '../src/logic/quick';
import type { QuickMessage } from '../src/types';

const qm = (id: number, shortcut: string, title: string, body = ''): QuickMessage => ({ id, owner_id: null, shortcut, title, body });
const list = [qm(1, 'merhaba', 'Karşılama', 'Merhaba {{customer.name}}'), qm(2, 'kargo', 'Kargo bilgisi', 'Siparişiniz kargoda'), qm(3, 'iade', 'İade süreci', 'İade 14 gün'), qm(4, 'kapanis', 'Kapanış', 'İyi günler'), qm(5, 'fatura', 'Fatura kargo adresi', 'Fatura')];

describe('quick message token', () => {
  it('finds /word at the caret when it starts the text or follows a space', () => {
    expect(findQuickToken('/kar', 4)).toEqual({ start: 0, end: 4, query: 'kar' });
    expect(findQuickToken('Merhaba /ka', 11)).toEqual({ start: 8, end: 11, query: 'ka' });
    expect(findQuickToken('satır\n/', 7)).toEqual({ start: 6, end: 7, query: '' });
  });

  it('ignores slashes inside words, closed tokens and text after the caret', () => {
    expect(findQuickToken('http://x', 8)).toBeNull();
    expect(findQuickToken('ve/veya', 7)).toBeNull();
    expect(findQuickToken('/kargo bitti', 12)).toBeNull();
    expect(findQuickToken('/kargo bitti', 3)).toEqual({ start: 0, end: 3, query: 'ka' });
  });
});

describe('quick message popup filter', () => {
  it('lists everything by shortcut when nothing is typed', () => {
    expect(filterQuickMessages(list, '').map((m) => m.shortcut)).toEqual(['fatura', 'iade', 'kapanis', 'kargo', 'merhaba']);
  });

  it('puts shortcut prefixes first, then shortcut/title matches, then body matches', () => {
    expect(filterQuickMessages(list, 'ka').map((m) => m.id)).toEqual([4, 2, 5, 1]);
    expect(filterQuickMessages(list, 'kargo').map((m) => m.id)).toEqual([2, 5]);
    expect(filterQuickMessages(list, 'gün').map((m) => m.id)).toEqual([3, 4]);
  });

  it('folds case the Turkish way', () => {
    expect(filterQuickMessages(list, 'İADE').map((m) => m.id)).toEqual([3]);
    expect(filterQuickMessages(list, 'KAPANIŞ').map((m) => m.id)).toEqual([4]);
  });

  it('returns nothing for no match and respects the limit', () => {
    expect(filterQuickMessages(list, 'zzz')).toEqual([]);
    expect(filterQuickMessages(list, '', 2)).toHaveLength(2);
  });

  it('replaces the token with the rendered text', () => {
    const tok = findQuickToken('Selam /mer ve', 10)!;
    expect(applyQuickText('Selam /mer ve', tok, 'Merhaba Elif')).toEqual({ text: 'Selam Merhaba Elif ve', caret: 18 });
  });
});
