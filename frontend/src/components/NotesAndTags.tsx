// Internal notes and tags on the open conversation (issue 11): a note is for colleagues only —
// a timeline entry, never a message, never sent to the customer; tags come from the admin's
// list. The server decides who may do either and says why when it refuses.

import { useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, t } from '../i18n';
import type { ConversationView, Tag } from '../types';

export function NotesAndTags({ view }: { view: ConversationView }) {
  const ctl = useController();
  const api = ctl.bridge;
  const me = useApp((s) => s.session?.user);
  const c = view.conversation;
  // The admin's list is read when the agent starts tagging (it is not in the cached Inbox).
  const [all, setAll] = useState<Tag[] | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const staff = me?.role === 'admin' || me?.role === 'supervisor';
  const mayTag = !view.refused && (staff || (c.state === 'assigned' && c.agent_id === me?.id));
  const tags = view.tags ?? [];
  const has = new Set(tags.map((x) => x.id));
  const run = async (fn: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await fn();
      setError('');
      return true;
    } catch (e) {
      setError(errorText(toAppError(e)));
      return false;
    } finally {
      setBusy(false);
    }
  };
  const toggle = (id: number) => {
    const next = has.has(id) ? tags.map((x) => x.id).filter((x) => x !== id) : [...tags.map((x) => x.id), id];
    void run(() => api.setConversationTags(c.id, next));
  };
  const choices = all === null ? tags : [...all, ...tags.filter((x) => !all.some((a) => a.id === x.id))];
  return (
    <section class="notes-tags" data-testid="notes-tags">
      <h3 class="section-title">{t('notes.tags')}</h3>
      <div class="tag-chips">
        {choices.length === 0 && all !== null ? <span class="muted">{t('notes.noTags')}</span> : null}
        {choices.map((x) => (
          <button
            type="button"
            key={x.id}
            class={'chip' + (has.has(x.id) ? ' active' : '')}
            aria-pressed={has.has(x.id)}
            disabled={!mayTag || busy}
            data-testid={`tag-chip-${x.label}`}
            onClick={() => toggle(x.id)}
          >
            {x.label}
          </button>
        ))}
        {mayTag && all === null ? (
          <button type="button" class="chip" data-testid="tag-edit" onClick={() => void api.tags(false).then(setAll, (e) => setError(errorText(toAppError(e))))}>
            + {t('notes.tag')}
          </button>
        ) : null}
      </div>
      {!view.refused ? (
        <form
          class="note-form"
          onSubmit={async (e) => {
            e.preventDefault();
            if (await run(() => api.addNote(c.id, note))) setNote('');
          }}
        >
          <textarea class="input" rows={2} data-testid="note-input" placeholder={t('notes.placeholder')} value={note} onInput={(e) => setNote((e.target as HTMLTextAreaElement).value)} aria-label={t('notes.add')} />
          <button type="submit" class="btn btn-sm" data-testid="note-add" disabled={busy || !note.trim()}>
            {t('notes.add')}
          </button>
          <small class="muted">{t('notes.private')}</small>
        </form>
      ) : null}
      {error ? (
        <p class="form-error" role="alert" data-testid="notes-error">
          {error}
        </p>
      ) : null}
    </section>
  );
}
