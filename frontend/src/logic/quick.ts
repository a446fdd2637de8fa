// Quick messages typed as `/shortcut` in the composer: finding the token at the caret,
// filtering the popup as the agent types, and putting the rendered text in its place.

import type { QuickMessage } from '../types';

export interface QuickToken {
  start: number; // index of the '/'
  end: number; // the caret
  query: string; // what follows the '/', without it
}

/** The `/word` the caret is in, when the '/' starts the text or follows whitespace. */
export function findQuickToken(text: string, caret: number): QuickToken | null {
  const before = text.slice(0, caret);
  const m = /(^|\s)\/([^\s/]*)$/.exec(before);
  if (!m) return null;
  const start = caret - m[2].length - 1;
  return { start, end: caret, query: m[2] };
}

const fold = (s: string) => s.toLocaleLowerCase('tr-TR');

/** Quick messages for the popup: shortcut prefix matches first, then shortcut or title
 * containing the query, then body containing it; each group keeps shortcut order. */
export function filterQuickMessages(list: QuickMessage[], query: string, limit = 8): QuickMessage[] {
  const q = fold(query.trim());
  const sorted = [...list].sort((a, b) => a.shortcut.localeCompare(b.shortcut, 'tr'));
  if (!q) return sorted.slice(0, limit);
  const rank = (m: QuickMessage): number => {
    const sc = fold(m.shortcut);
    if (sc.startsWith(q)) return 0;
    if (sc.includes(q) || fold(m.title).includes(q)) return 1;
    if (fold(m.body).includes(q)) return 2;
    return -1;
  };
  const ranked = sorted.map((m) => ({ m, r: rank(m) })).filter((x) => x.r >= 0);
  ranked.sort((a, b) => a.r - b.r);
  return ranked.slice(0, limit).map((x) => x.m);
}

/** Replaces the token with the rendered quick message; returns the new text and caret. */
export function applyQuickText(text: string, token: QuickToken, rendered: string): { text: string; caret: number } {
  const next = text.slice(0, token.start) + rendered + text.slice(token.end);
  return { text: next, caret: token.start + rendered.length };
}
