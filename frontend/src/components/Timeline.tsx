// The conversation's timeline: in/out bubbles with status ticks and attachments, life-cycle
// entries, day separators, and unsent replies with their outbox state. Long conversations
// render their newest items first and grow upwards on demand; rows off screen skip layout and
// paint (content-visibility), so 5,000 messages stay smooth.

import { useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useApp, useController } from '../context';
import { t, type MessageKey } from '../i18n';
import { agentName } from '../logic/inbox';
import { outboxDisplay } from '../logic/outbox';
import { buildTimeline, describeEntry, type TimelineItem } from '../logic/timeline';
import { formatClock, formatDay } from '../time';
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

export function StatusTick({ status, reason }: { status: Message['status']; reason?: string }) {
  const label = t(('message.status.' + status) as MessageKey) + (reason ? `: ${reason}` : '');
  switch (status) {
    case 'queued':
      return (
        <span class="tick tick-queued" title={label} data-status={status}>
          <IconClock size={13} />
        </span>
      );
    case 'sent':
      return (
        <span class="tick" title={label} data-status={status}>
          <IconCheck size={14} />
        </span>
      );
    case 'delivered':
      return (
        <span class="tick" title={label} data-status={status}>
          <IconDoubleCheck size={14} />
        </span>
      );
    case 'read':
      return (
        <span class="tick tick-read" title={label} data-status={status}>
          <IconDoubleCheck size={14} />
        </span>
      );
    case 'failed':
      return (
        <span class="tick tick-failed" title={label} data-status={status}>
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

function Attachments({ list }: { list: Attachment[] }) {
  // Listed, never fetched: the UI does not reach the network.
  return (
    <ul class="attachments">
      {list.map((a, i) => {
        const key = ('message.attachment.' + a.kind) as MessageKey;
        const kind = t(['image', 'document', 'video', 'audio', 'sticker', 'location'].includes(a.kind) ? key : 'message.attachment.other');
        return (
          <li key={i} class="attachment" title={a.mime_type}>
            <IconFile size={14} />
            <span class="att-name">{a.name || kind}</span>
            <span class="att-meta">
              {kind}
              {a.size ? ` · ${formatSize(a.size)}` : ''}
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function MessageBubble({ m }: { m: Message }) {
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const out = m.direction === 'out';
  return (
    <div class={`msg ${out ? 'msg-out' : 'msg-in'}${m.status === 'failed' ? ' msg-failed' : ''}`} data-testid={`message-${m.id}`} data-direction={m.direction} data-status={m.status}>
      <div class="bubble">
        {m.body ? <div class="msg-body">{m.body}</div> : null}
        {m.attachments && m.attachments.length > 0 ? <Attachments list={m.attachments} /> : null}
        <div class="msg-meta">
          {out && m.author_id ? <span class="msg-author">{agentName(agents, m.author_id, meId)}</span> : null}
          <time>{formatClock(m.created_at)}</time>
          {out ? <StatusTick status={m.status} reason={m.status_reason} /> : null}
        </div>
      </div>
      {m.status === 'failed' ? (
        <div class="msg-error" role="note">
          {t('message.status.failed')}
          {m.status_reason ? `: ${m.status_reason}` : ''}
        </div>
      ) : null}
    </div>
  );
}

function OutboxBubble({ item }: { item: OutboxItem }) {
  const ctl = useController();
  const d = outboxDisplay(item);
  const Icon = d.icon === 'alert' ? IconAlert : d.icon === 'check' ? IconCheck : IconClock;
  return (
    <div class={`msg msg-out outbox outbox-${d.tone}`} data-testid={`outbox-${item.key}`} data-state={item.state}>
      <div class="bubble">
        <div class="msg-body">{item.body}</div>
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
