// The composer: Enter sends, Shift+Enter starts a new line, Ctrl+Enter sends too; `/shortcut`
// opens the quick-message popup (filtered as you type; each shows its text as it would be sent
// here, filled in by the Go side; choosing one asks the Go side to fill in its variables and
// puts the text in place); a small emoji grid.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { attachmentErrorText, errorText, t } from '../i18n';
import { canSend, formatSize, type PendingAttachment } from '../logic/attachments';
import { applyQuickText, filterQuickMessages, findQuickToken, type QuickToken } from '../logic/quick';
import type { Flow, QuickMessage } from '../types';
import { IconBolt, IconClose, IconFlow, IconPaperclip, IconSend, IconSmile } from './icons';

export const EMOJI = [
  '😀', '😊', '🙂', '😉', '😍', '🤗', '🤔', '😅', '😂', '🙏', '👍', '👎',
  '👌', '👏', '🙌', '💪', '✌️', '👋', '🤝', '❤️', '💙', '💚', '⭐', '✨',
  '🎉', '🎁', '🔥', '✅', '❌', '⚠️', '❗', '❓', '📦', '🚚', '🛒', '💳',
  '📞', '📧', '📍', '⏰', '📅', '📝', '📎', '🔗', '😔', '😢', '😮', '🙈',
];

interface Props {
  conversationId: number;
  disabled: boolean;
  disabledReason?: string;
}

export function Composer({ conversationId, disabled, disabledReason }: Props) {
  const ctl = useController();
  const draft = useApp((s) => s.drafts[conversationId] ?? '');
  const quick = useApp((s) => s.inbox.quick_messages);
  const pending = useApp((s) => s.attachments[conversationId] ?? NO_FILES);
  const connected = useApp((s) => s.session?.connection.state === 'connected');
  const fileInput = useRef<HTMLInputElement>(null);
  const [token, setToken] = useState<QuickToken | null>(null);
  const [active, setActive] = useState(0);
  const [emojiOpen, setEmojiOpen] = useState(false);
  const [sending, setSending] = useState(false);
  const [quickError, setQuickError] = useState('');
  const area = useRef<HTMLTextAreaElement>(null);

  const matches = useMemo(() => (token ? filterQuickMessages(quick, token.query) : []), [token, quick]);
  const previews = useQuickPreviews(conversationId, quick, token != null);

  useEffect(() => {
    area.current?.focus();
    setToken(null);
    setEmojiOpen(false);
  }, [conversationId]);

  useEffect(() => autosize(area.current), [draft]);

  const setText = (text: string, caret?: number) => {
    ctl.setDraft(conversationId, text);
    if (caret != null) {
      requestAnimationFrame(() => {
        const el = area.current;
        if (!el) return;
        el.focus();
        el.setSelectionRange(caret, caret);
      });
    }
  };

  const refreshToken = (text: string, caret: number) => {
    const tok = findQuickToken(text, caret);
    setToken(tok);
    setActive(0);
    setQuickError('');
  };

  const send = async () => {
    const body = area.current?.value ?? draft;
    if (disabled || sending || !canSend(body, ctl.state.attachments[conversationId] ?? [])) return;
    setSending(true);
    setToken(null);
    setEmojiOpen(false); // the picker was for this message
    const ok = await ctl.send(conversationId, body);
    setSending(false);
    if (ok) area.current?.focus();
  };

  const choose = async (m: QuickMessage) => {
    const tok = token;
    const el = area.current;
    if (!tok || !el) return;
    setToken(null);
    try {
      const text = await ctl.renderQuickMessage(conversationId, m.id);
      // The agent may have typed meanwhile: replace the token only if it is still there.
      const current = el.value;
      const still = current.slice(tok.start, tok.end) === '/' + tok.query ? tok : findQuickToken(current, el.selectionStart ?? current.length);
      const at = still ?? { start: el.selectionStart ?? current.length, end: el.selectionStart ?? current.length, query: '' };
      const next = applyQuickText(current, at, text);
      setText(next.text, next.caret);
    } catch (e) {
      setQuickError(errorText(toAppError(e)));
    }
  };

  const insert = (s: string) => {
    const el = area.current;
    const text = el?.value ?? draft;
    const a = el?.selectionStart ?? text.length;
    const b = el?.selectionEnd ?? text.length;
    const next = text.slice(0, a) + s + text.slice(b);
    setText(next, a + s.length);
    return { text: next, caret: a + s.length };
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (token && matches.length > 0) {
      if (e.key === 'ArrowDown') {
        e.preventDefault();
        setActive((active + 1) % matches.length);
        return;
      }
      if (e.key === 'ArrowUp') {
        e.preventDefault();
        setActive((active - 1 + matches.length) % matches.length);
        return;
      }
      if ((e.key === 'Enter' && !e.shiftKey && !e.ctrlKey) || e.key === 'Tab') {
        e.preventDefault();
        void choose(matches[Math.min(active, matches.length - 1)]);
        return;
      }
    }
    if (e.key === 'Escape' && (token || emojiOpen)) {
      e.preventDefault();
      e.stopPropagation();
      setToken(null);
      setEmojiOpen(false);
      return;
    }
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey || !e.shiftKey) && !e.isComposing) {
      e.preventDefault();
      void send();
    }
  };

  return (
    <div class={'composer' + (disabled ? ' disabled' : '')} data-testid="composer">
      {token ? (
        <div class="popup quick-popup" role="listbox" data-testid="quick-popup" aria-label={t('composer.quick')}>
          {matches.length === 0 ? (
            <div class="popup-empty">{t('composer.quickEmpty')}</div>
          ) : (
            matches.map((m, i) => (
              <button
                type="button"
                key={m.id}
                role="option"
                aria-selected={i === active}
                class={'quick-item' + (i === active ? ' active' : '')}
                data-testid={`quick-item-${m.id}`}
                data-shortcut={m.shortcut}
                onMouseDown={(e) => e.preventDefault()}
                onMouseEnter={() => setActive(i)}
                onClick={() => void choose(m)}
              >
                <span class="quick-head">
                  <code>/{m.shortcut}</code>
                  <strong>{m.title}</strong>
                  <span class="quick-kind">{m.owner_id == null ? t('composer.quickShared') : t('composer.quickPersonal')}</span>
                </span>
                <span class="quick-body" data-testid={`quick-preview-${m.id}`}>
                  {previews[m.id] ?? m.body}
                </span>
              </button>
            ))
          )}
        </div>
      ) : null}
      {emojiOpen ? (
        <div
          class="popup emoji-popup"
          role="grid"
          data-testid="emoji-picker"
          aria-label={t('composer.emoji')}
          onKeyDown={(e) => {
            // Reached with Tab from the composer: Esc closes it there too, back to the text.
            if (e.key === 'Escape') {
              e.preventDefault();
              e.stopPropagation();
              setEmojiOpen(false);
              area.current?.focus();
            }
          }}
        >
          {EMOJI.map((em) => (
            <button
              type="button"
              key={em}
              class="emoji"
              data-testid="emoji"
              onMouseDown={(e) => e.preventDefault()}
              onClick={() => {
                insert(em);
              }}
            >
              {em}
            </button>
          ))}
        </div>
      ) : null}
      {quickError ? (
        <div class="form-error small" role="alert" data-testid="quick-error">
          {quickError}
        </div>
      ) : null}
      {pending.length > 0 ? <AttachmentChips conversationId={conversationId} list={pending} connected={connected} /> : null}
      <div class="composer-row">
        <div class="composer-tools">
          <button
            type="button"
            class={'icon-btn' + (emojiOpen ? ' active' : '')}
            data-testid="emoji-button"
            title={t('composer.emoji')}
            aria-label={t('composer.emoji')}
            aria-expanded={emojiOpen}
            disabled={disabled}
            onClick={() => {
              setEmojiOpen(!emojiOpen);
              setToken(null);
            }}
          >
            <IconSmile />
          </button>
          <button
            type="button"
            class="icon-btn"
            data-testid="quick-button"
            title={t('composer.quick')}
            aria-label={t('composer.quick')}
            disabled={disabled}
            onClick={() => {
              setEmojiOpen(false);
              const el = area.current;
              const text = el?.value ?? draft;
              const caret = el?.selectionStart ?? text.length;
              const needsSpace = caret > 0 && !/\s/.test(text[caret - 1]);
              const r = insert((needsSpace ? ' ' : '') + '/');
              refreshToken(r.text, r.caret);
            }}
          >
            <IconBolt />
          </button>
          <button
            type="button"
            class="icon-btn"
            data-testid="attach-button"
            title={connected ? t('composer.attachHint') : t('composer.attachOffline')}
            aria-label={`${t('composer.attach')} — ${connected ? t('composer.attachHint') : t('composer.attachOffline')}`}
            disabled={disabled || !connected}
            onClick={() => fileInput.current?.click()}
          >
            <IconPaperclip />
          </button>
          <FlowsButton conversationId={conversationId} disabled={disabled || !connected} connected={connected} />
          <input
            ref={fileInput}
            type="file"
            multiple
            hidden
            data-testid="attach-input"
            onChange={(e) => {
              const el = e.currentTarget;
              const files = Array.from(el.files ?? []);
              el.value = '';
              void ctl.addAttachments(conversationId, files);
            }}
          />
        </div>
        <textarea
          ref={area}
          class="composer-input"
          data-testid="composer-input"
          rows={1}
          value={draft}
          disabled={disabled}
          placeholder={disabled && disabledReason ? disabledReason : t('composer.placeholder')}
          aria-label={t('composer.placeholder')}
          onInput={(e) => {
            const el = e.currentTarget;
            ctl.setDraft(conversationId, el.value);
            refreshToken(el.value, el.selectionStart ?? el.value.length);
          }}
          onKeyDown={onKeyDown}
          onClick={(e) => refreshToken(e.currentTarget.value, e.currentTarget.selectionStart ?? 0)}
          onFocus={() => ctl.setComposing(true)}
          onBlur={() => {
            ctl.setComposing(false);
            setTimeout(() => setToken(null), 150);
          }}
        />
        <button type="button" class="btn btn-primary send-btn" data-testid="composer-send" onClick={() => void send()} disabled={disabled || sending || !canSend(draft, pending)} title={`${t('composer.send')} (Enter, Ctrl+Enter)`}>
          <IconSend size={15} />
          <span>{t('composer.send')}</span>
        </button>
      </div>
      <div class="composer-hint muted small">{disabled && disabledReason ? disabledReason : t('composer.hint')}</div>
    </div>
  );
}

const NO_FILES: PendingAttachment[] = [];

/** The quick messages filled in for the conversation (the Go side's rendering, by id), read when
 * the popup opens and again when the conversation or the list changes. Until it answers, or if
 * it cannot, the popup shows the messages as written. */
function useQuickPreviews(conversationId: number, quick: QuickMessage[], open: boolean): Record<string, string> {
  const ctl = useController();
  const [got, setGot] = useState<{ key: unknown[]; texts: Record<string, string> }>({ key: [], texts: {} });
  const fresh = got.key[0] === conversationId && got.key[1] === quick;
  useEffect(() => {
    if (!open || fresh) return;
    let live = true;
    const key = [conversationId, quick];
    ctl.quickMessagePreviews(conversationId).then(
      (texts) => live && setGot({ key, texts }),
      () => live && setGot({ key, texts: {} }),
    );
    return () => {
      live = false;
    };
  }, [ctl, conversationId, quick, open, fresh]);
  return fresh ? got.texts : NO_PREVIEWS;
}

const NO_PREVIEWS: Record<string, string> = {};

/** The flows button (the source document's "akışlar"): lists the published flows, read from the
 * server when opened; picking one asks the server to hand the conversation to it. */
function FlowsButton({ conversationId, disabled, connected }: { conversationId: number; disabled: boolean; connected: boolean }) {
  const ctl = useController();
  const busy = useApp((s) => !!s.busy['flow:' + conversationId]);
  const [open, setOpen] = useState(false);
  const [flows, setFlows] = useState<Flow[] | null>(null);
  const [error, setError] = useState('');
  const [active, setActive] = useState(0);

  useEffect(() => setOpen(false), [conversationId]);

  const show = async () => {
    if (open) {
      setOpen(false);
      return;
    }
    setOpen(true);
    setFlows(null);
    setError('');
    setActive(0);
    try {
      setFlows(await ctl.publishedFlows());
    } catch (e) {
      setError(errorText(toAppError(e)));
      setFlows([]);
    }
  };

  const pick = async (f: Flow) => {
    setOpen(false);
    await ctl.handToFlow(conversationId, f);
  };

  const onKeyDown = (e: KeyboardEvent) => {
    const n = flows?.length ?? 0;
    if (e.key === 'Escape') {
      e.preventDefault();
      e.stopPropagation();
      setOpen(false);
    } else if (n > 0 && (e.key === 'ArrowDown' || e.key === 'ArrowUp')) {
      e.preventDefault();
      setActive((active + (e.key === 'ArrowDown' ? 1 : n - 1)) % n);
    } else if (n > 0 && e.key === 'Enter') {
      e.preventDefault();
      void pick(flows![Math.min(active, n - 1)]);
    }
  };

  return (
    <span class="flows-tool" onKeyDown={onKeyDown}>
      <button
        type="button"
        class={'icon-btn' + (open ? ' active' : '')}
        data-testid="flows-button"
        title={connected ? t('composer.flowsTitle') : t('composer.flowsOffline')}
        aria-label={t('composer.flowsTitle')}
        aria-haspopup="listbox"
        aria-expanded={open}
        disabled={disabled || busy}
        onClick={() => void show()}
      >
        <IconFlow />
      </button>
      {open ? (
        <div class="popup flows-popup" role="listbox" data-testid="flows-popup" aria-label={t('composer.flowsTitle')}>
          <div class="popup-title">{t('composer.flowsTitle')}</div>
          {error ? (
            <div class="form-error small" role="alert" data-testid="flows-error">
              {error}
            </div>
          ) : flows == null ? (
            <div class="popup-empty">{t('composer.flowsLoading')}</div>
          ) : flows.length === 0 ? (
            <div class="popup-empty" data-testid="flows-empty">
              {t('composer.flowsEmpty')}
            </div>
          ) : (
            flows.map((f, i) => (
              <button
                type="button"
                key={f.id}
                role="option"
                aria-selected={i === active}
                class={'quick-item' + (i === active ? ' active' : '')}
                data-testid={`flow-item-${f.id}`}
                onMouseEnter={() => setActive(i)}
                onClick={() => void pick(f)}
              >
                <span class="quick-head">
                  <strong>{f.name}</strong>
                  <span class="quick-kind">{t('composer.flowVersion', { v: f.published_version })}</span>
                </span>
              </button>
            ))
          )}
        </div>
      ) : null}
    </span>
  );
}

function chipStateText(a: PendingAttachment): string {
  switch (a.state) {
    case 'reading':
      return t('composer.attachReading', { p: Math.round(a.progress * 100) });
    case 'uploading':
      return t('composer.attachUploading');
    case 'ready':
      return t('composer.attachReady');
    default:
      return t('composer.attachFailed', { reason: attachmentErrorText(a.error) });
  }
}

/** The files picked for the reply: name, size, state (reading/uploading/ready/error), remove. */
function AttachmentChips({ conversationId, list, connected }: { conversationId: number; list: PendingAttachment[]; connected: boolean }) {
  const ctl = useController();
  return (
    <div class="attach-chips" data-testid="composer-attachments">
      {list.map((a, n) => (
        <div key={a.id} class={'attach-chip ' + a.state} data-testid={`composer-attachment-${n}`} data-state={a.state} title={a.name}>
          <IconPaperclip size={13} />
          <span class="attach-name">{a.name}</span>
          <span class="attach-size muted">{formatSize(a.size)}</span>
          <span class={'attach-state' + (a.state === 'error' ? ' form-error' : ' muted')} data-testid={`composer-attachment-state-${n}`} role={a.state === 'error' ? 'alert' : undefined}>
            {chipStateText(a)}
          </span>
          {a.state === 'reading' || a.state === 'uploading' ? (
            <span class={'attach-progress' + (a.state === 'uploading' ? ' indeterminate' : '')}>
              <span style={{ width: `${Math.round((a.state === 'uploading' ? 1 : a.progress) * 100)}%` }} />
            </span>
          ) : null}
          <button
            type="button"
            class="icon-btn attach-remove"
            data-testid={`composer-attachment-remove-${n}`}
            aria-label={`${t('composer.attachRemove')}: ${a.name}`}
            title={t('composer.attachRemove')}
            onClick={() => ctl.removeAttachment(conversationId, a.id)}
          >
            <IconClose size={12} />
          </button>
        </div>
      ))}
      {!connected ? (
        <div class="muted small" data-testid="attach-offline">
          {t('composer.attachOffline')}
        </div>
      ) : null}
    </div>
  );
}

function autosize(el: HTMLTextAreaElement | null) {
  if (!el) return;
  el.style.height = 'auto';
  el.style.height = `${Math.min(el.scrollHeight, 180)}px`;
}
