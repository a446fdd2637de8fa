// The conversation's timeline: in/out bubbles with status ticks and attachments, life-cycle
// entries, day separators, and unsent replies with their outbox state. Long conversations
// render their newest items first and grow upwards on demand; rows off screen skip layout and
// paint (content-visibility), so 5,000 messages stay smooth.

import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp, useController } from '../context';
import { t, type MessageKey } from '../i18n';
import { agentName } from '../logic/inbox';
import { outboxDisplay } from '../logic/outbox';
import { buildTimeline, describeEntry, type TimelineItem } from '../logic/timeline';
import { formatClock, formatDay, formatSent } from '../time';
import type { Attachment, ConversationView, Message, OutboxItem } from '../types';
import { IconAlert, IconCheck, IconClock, IconDoubleCheck, IconFile, IconRestart, IconTransfer, IconEnd } from './icons';

const PAGE = 200;

export function Timeline({ view }: { view: ConversationView }) {
  const items = useMemo(() => buildTimeline(view.messages, view.timeline, view.outbox), [view.messages, view.timeline, view.outbox]);
  const [limit, setLimit] = useState(PAGE);
  const box = useRef<HTMLDivElement>(null);
  const stick = useRef(true);
  const growFrom = useRef<number | null>(null);

  const start = Math.max(0, items.length - limit);
  const shown = start > 0 ? items.slice(start) : items;

  useLayoutEffect(() => {
    const el = box.current;
    if (!el) return;
    if (growFrom.current != null) {
      // Older items were added above: keep what the agent was looking at in place.
      el.scrollTop = el.scrollHeight - growFrom.current;
      growFrom.current = null;
    } else if (stick.current) {
      el.scrollTop = el.scrollHeight;
    }
  }, [shown.length, items]);

  // Keep the newest message in view when the pane changes size (a notice appears, the window
  // is resized) while the agent is at the bottom.
  useLayoutEffect(() => {
    const el = box.current;
    if (!el || typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver(() => {
      if (stick.current) el.scrollTop = el.scrollHeight;
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, []);

  const showEarlier = () => {
    const el = box.current;
    if (el) growFrom.current = el.scrollHeight - el.scrollTop;
    setLimit((l) => l + PAGE);
  };

  const onScroll = () => {
    const el = box.current;
    if (!el) return;
    stick.current = el.scrollHeight - el.scrollTop - el.clientHeight < 120;
    if (el.scrollTop < 40 && start > 0 && growFrom.current == null) showEarlier();
  };

  return (
    <div class="timeline" ref={box} onScroll={onScroll} data-testid="timeline" role="log" aria-live="polite">
      {start > 0 ? (
        <button type="button" class="btn btn-sm show-earlier" onClick={showEarlier} data-testid="timeline-earlier">
          {t('conversation.showEarlierItems')}
        </button>
      ) : null}
      {shown.map((item) => (
        <TimelineRow key={item.key} item={item} />
      ))}
    </div>
  );
}

function TimelineRow({ item }: { item: TimelineItem }) {
  switch (item.type) {
    case 'day':
      return (
        <div class="day-sep">
          <span>{formatDay(item.at)}</span>
        </div>
      );
    case 'message':
      return <MessageBubble m={item.message} />;
    case 'outbox':
      return <OutboxBubble item={item.item} />;
    case 'event':
      return <EventRow item={item} />;
  }
}

function EventRow({ item }: { item: Extract<TimelineItem, { type: 'event' }> }) {
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const d = describeEntry(item.entry, agents, meId);
  const Icon = item.entry.kind.startsWith('transfer') ? IconTransfer : item.entry.kind === 'ended' ? IconEnd : item.entry.kind === 'taken_up' ? IconRestart : null;
  return (
    <div class={`event event-${d.tone}`} data-testid={`timeline-entry-${item.entry.id}`} data-kind={item.entry.kind}>
      <div class="event-line">
        {Icon ? <Icon size={13} /> : null}
        <span>{d.text}</span>
        <time>{formatClock(item.at)}</time>
      </div>
      {d.details.map((x, i) => (
        <div key={i} class="event-detail">
          {x}
        </div>
      ))}
    </div>
  );
}

export function StatusTick({ status, reason, testId }: { status: Message['status']; reason?: string; testId?: string }) {
  const label = t(('message.status.' + status) as MessageKey) + (reason ? `: ${reason}` : '');
  const tid = testId;
  switch (status) {
    case 'queued':
      return (
        <span class="tick tick-queued" title={label} aria-label={label} data-status={status} data-testid={tid}>
          <IconClock size={13} />
        </span>
      );
    case 'sent':
      return (
        <span class="tick" title={label} aria-label={label} data-status={status} data-testid={tid}>
          <IconCheck size={14} />
        </span>
      );
    case 'delivered':
      return (
        <span class="tick" title={label} aria-label={label} data-status={status} data-testid={tid}>
          <IconDoubleCheck size={14} />
        </span>
      );
    case 'read':
      return (
        <span class="tick tick-read" title={label} aria-label={label} data-status={status} data-testid={tid}>
          <IconDoubleCheck size={14} />
        </span>
      );
    case 'failed':
      return (
        <span class="tick tick-failed" title={label} aria-label={label} data-status={status} data-testid={tid}>
          <IconAlert size={14} />
        </span>
      );
    default:
      return null;
  }
}

function formatSize(n: number | undefined): string {
  if (!n) return '';
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${Math.round(n / 1024)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

const PREVIEWABLE = new Set(['image', 'sticker', 'video', 'audio']);

function kindLabel(kind: string): string {
  return t(['image', 'document', 'video', 'audio', 'sticker', 'location'].includes(kind) ? (('message.attachment.' + kind) as MessageKey) : 'message.attachment.other');
}

function Attachments({ list, messageId }: { list: Attachment[]; messageId: number }) {
  return (
    <ul class="attachments">
      {list.map((a, i) => (
        <AttachmentItem key={i} a={a} testId={`attachment-${messageId}-${i}`} />
      ))}
    </ul>
  );
}

/** One attachment: a location as coordinates, a file still being fetched by the server,
 * an inline preview (image, video, audio; loaded through the Go side when scrolled into view),
 * or a file chip. */
export function AttachmentItem({ a, testId }: { a: Attachment; testId: string }) {
  const kind = kindLabel(a.kind);
  if (a.kind === 'location' && (a.latitude || a.longitude)) {
    const lat = (a.latitude ?? 0).toFixed(5);
    const lon = (a.longitude ?? 0).toFixed(5);
    return (
      <li class="attachment attachment-location" data-testid={testId} data-kind="location">
        <a href={`geo:${lat},${lon}`} title={a.name || kind}>{`📍 ${lat}, ${lon}`}</a>
        {a.name ? <span class="att-meta">{a.name}</span> : null}
      </li>
    );
  }
  if (!a.url) {
    return (
      <li class="attachment" data-testid={testId} data-kind={a.kind} data-state={a.ref ? 'downloading' : 'missing'} title={a.mime_type}>
        <IconFile size={14} />
        <span class="att-name">{a.name || kind}</span>
        <span class="att-meta">
          {kind}
          {a.size ? ` · ${formatSize(a.size)}` : ''}
          {a.ref ? ` · ${t('message.attachment.downloading')}` : ''}
        </span>
        {a.caption ? <span class="att-caption">{a.caption}</span> : null}
      </li>
    );
  }
  if (PREVIEWABLE.has(a.kind)) return <MediaPreview a={a} testId={testId} kind={kind} />;
  return (
    <li class="attachment" data-testid={testId} data-kind={a.kind} data-state="ready" title={a.mime_type}>
      <IconFile size={14} />
      <span class="att-name">{a.name || kind}</span>
      <span class="att-meta">
        {kind}
        {a.size ? ` · ${formatSize(a.size)}` : ''}
      </span>
      {a.caption ? <span class="att-caption">{a.caption}</span> : null}
    </li>
  );
}

function defaultMime(kind: string): string {
  return kind === 'video' ? 'video/mp4' : kind === 'audio' ? 'audio/ogg' : kind === 'sticker' ? 'image/webp' : 'image/jpeg';
}

function MediaPreview({ a, testId, kind }: { a: Attachment; testId: string; kind: string }) {
  const ctl = useController();
  const box = useRef<HTMLLIElement>(null);
  const [visible, setVisible] = useState(false);
  const [src, setSrc] = useState('');
  const [failed, setFailed] = useState('');

  useEffect(() => {
    const el = box.current;
    if (!el || visible) return;
    if (typeof IntersectionObserver === 'undefined') {
      setVisible(true);
      return;
    }
    const io = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) {
        setVisible(true);
        io.disconnect();
      }
    });
    io.observe(el);
    return () => io.disconnect();
  }, [visible]);

  useEffect(() => {
    if (!visible || !a.url) return;
    let live = true;
    ctl.mediaURL(a.url, a.mime_type || defaultMime(a.kind)).then(
      (u) => live && setSrc(u),
      (e: unknown) => live && setFailed(e instanceof Error ? e.message : String(e)),
    );
    return () => {
      live = false;
    };
  }, [visible, a.url, a.mime_type, a.kind, ctl]);

  const state = failed ? 'error' : src ? 'ready' : 'loading';
  return (
    <li class={`attachment attachment-media attachment-${a.kind}`} ref={box} data-testid={testId} data-kind={a.kind} data-state={state} title={a.name || a.mime_type}>
      {src ? (
        a.kind === 'video' ? (
          <video class="att-media" src={src} controls preload="metadata" />
        ) : a.kind === 'audio' ? (
          <audio class="att-audio" src={src} controls preload="metadata" />
        ) : (
          <img class="att-media" src={src} alt={a.caption || a.name || kind} loading="lazy" />
        )
      ) : (
        <span class="att-placeholder">
          <IconFile size={14} />
          <span class="att-name">{a.name || kind}</span>
          <span class="att-meta">
            {failed ? t('message.attachment.failed') : t('message.attachment.loading')}
            {a.size ? ` · ${formatSize(a.size)}` : ''}
          </span>
        </span>
      )}
      {a.caption ? <span class="att-caption">{a.caption}</span> : null}
    </li>
  );
}

function MessageBubble({ m }: { m: Message }) {
  const ctl = useController();
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const out = m.direction === 'out';
  return (
    <div class={`msg ${out ? 'msg-out' : 'msg-in'}${m.status === 'failed' ? ' msg-failed' : ''}`} data-testid={`message-${m.id}`} data-direction={m.direction} data-status={m.status}>
      <div class="bubble">
        {m.template ? (
          <div class="msg-template" data-testid={`message-template-${m.id}`} title={`${m.template.name} · ${m.template.category}`}>
            {t('message.template')}
            <span class="muted"> · {m.template.name}</span>
          </div>
        ) : null}
        {m.body ? <div class="msg-body">{m.body}</div> : null}
        {m.attachments && m.attachments.length > 0 ? <Attachments list={m.attachments} messageId={m.id} /> : null}
        {m.interactive && m.interactive.style !== 'numbered' && (m.interactive.choices ?? []).length > 0 ? (
          <ul class="msg-choices" data-testid={`message-choices-${m.id}`}>
            {(m.interactive.choices ?? []).map((c) => (
              <li key={c.id}>{c.title}</li>
            ))}
          </ul>
        ) : null}
        <div class="msg-meta">
          {out && m.author_id ? <span class="msg-author">{agentName(agents, m.author_id, meId)}</span> : null}
          {out && m.flow_id ? (
            <span class="msg-author msg-flow" data-testid={`message-flow-${m.id}`}>
              {t('message.flow')}
            </span>
          ) : null}
          <time>{formatSent(m.sent_at, m.created_at)}</time>
          {out ? <StatusTick status={m.status} reason={m.status_reason} testId={`message-tick-${m.id}`} /> : null}
        </div>
      </div>
      {m.status === 'failed' ? (
        <div class="msg-error" role="note" data-testid={`message-error-${m.id}`}>
          {t('message.status.failed')}
          {m.status_reason ? `: ${m.status_reason}` : ''}
          {m.delivery_unknown && out && m.author_id === meId && m.body && !m.template ? (
            // The server never sends it again by itself: the agent, having checked the
            // customer's chat, may — as a new message.
            <button type="button" class="link" data-testid={`message-send-again-${m.id}`} onClick={() => ctl.send(m.conversation_id, m.body)}>
              {t('message.sendAgain')}
            </button>
          ) : null}
        </div>
      ) : null}
    </div>
  );
}

function OutboxBubble({ item }: { item: OutboxItem }) {
  const ctl = useController();
  const connected = useApp((s) => s.session?.connection.state === 'connected');
  const d = outboxDisplay(item, connected);
  const Icon = d.icon === 'alert' ? IconAlert : d.icon === 'check' ? IconCheck : IconClock;
  return (
    <div class={`msg msg-out outbox outbox-${d.tone}`} data-testid={`outbox-${item.key}`} data-state={item.state}>
      <div class="bubble">
        {item.body ? <div class="msg-body">{item.body}</div> : null}
        {item.attachments && item.attachments.length > 0 ? (
          <div class="muted small" data-testid={`outbox-files-${item.key}`} title={item.attachments.map((a) => a.name ?? a.kind).join(', ')}>
            📎 {t('composer.files', { n: item.attachments.length })}: {item.attachments.map((a) => a.name ?? a.kind).join(', ')}
          </div>
        ) : null}
        <div class="msg-meta">
          <time>{formatClock(item.created_at)}</time>
          <span class={`tick tick-${d.tone}`} title={d.label}>
            <Icon size={13} />
          </span>
        </div>
      </div>
      <div class={'outbox-state' + (d.tone === 'failed' ? ' failed' : '')} role={d.tone === 'failed' ? 'alert' : undefined}>
        <span data-testid={`outbox-state-${item.key}`}>{d.label}</span>
        {d.canRetry ? (
          <button type="button" class="link-btn" data-testid={`outbox-retry-${item.key}`} onClick={() => void ctl.retrySend(item.key)}>
            {t('outbox.retry')}
          </button>
        ) : null}
        {d.canDiscard ? (
          <button type="button" class="link-btn" data-testid={`outbox-discard-${item.key}`} onClick={() => void ctl.discardSend(item.key)}>
            {t('outbox.discard')}
          </button>
        ) : null}
      </div>
    </div>
  );
}
