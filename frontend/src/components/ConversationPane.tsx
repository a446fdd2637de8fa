// The open conversation: header (customer, channel, state, Transfer / End / start again), the
// notices that explain what the agent can do, the timeline, the composer, and the customer's
// details with their earlier conversations.

import { useRef, useState } from 'preact/hooks';
import { useApp, useController, useNow } from '../context';
import { errorText, t, type MessageKey } from '../i18n';
import { agentName, channelLabel, customerName, windowStatus } from '../logic/inbox';
import { formatCountdown, formatDateTime, formatDuration, remainingMs, serverNow } from '../time';
import type { Conversation, ConversationView, LeftEvent, TransferOffer, User } from '../types';
import { Composer } from './Composer';
import { FlowDetails } from './FlowDetails';
import { ShopPanel } from './ShopPanel';
import { ChannelIcon, IconEnd, IconRestart, IconTransfer } from './icons';
import { TemplatePicker } from './TemplatePicker';
import { Timeline } from './Timeline';
import { NotesAndTags } from './NotesAndTags';

export function ConversationPane() {
  const selectedId = useApp((s) => s.selectedId);
  const view = useApp((s) => s.view);
  const loading = useApp((s) => s.viewLoading);
  const error = useApp((s) => s.viewError);
  if (selectedId == null) {
    return (
      <div class="placeholder" data-testid="no-conversation">
        {t('conversation.none')}
      </div>
    );
  }
  if (!view || view.conversation.id !== selectedId) {
    return (
      <div class="placeholder" data-testid="conversation-loading">
        {error ? (
          <span class="form-error" role="alert" data-testid="conversation-error">
            {error}
          </span>
        ) : loading ? (
          t('conversation.loading')
        ) : null}
      </div>
    );
  }
  return <Conversation_ view={view} key={view.conversation.id} />;
}

function Conversation_({ view }: { view: ConversationView }) {
  const ctl = useController();
  const me = useApp((s) => s.session?.user ?? null);
  const connection = useApp((s) => s.session?.connection.state);
  const offset = useApp((s) => s.offset);
  const takeUpBusy = useApp((s) => !!s.busy['takeup:' + view.conversation.id]);
  const left = useApp((s) => s.lost[view.conversation.id]);
  const agents = useApp((s) => s.inbox.agents);
  const c = view.conversation;
  // The conversation left me (the server's events or its refusal to show it): nothing can be
  // written here any more, and the pane says why.
  // Once a re-read shows it ended or queued, the usual read-only note says so instead.
  const stale = c.state === 'assigned';
  const lostReason = view.refused ? (left ? leftText(left, agents) : errorText(view.refused)) : left && stale ? leftText(left, agents) : '';
  const holder = !lostReason && c.state === 'assigned' && c.agent_id != null && c.agent_id === me?.id;
  const offer = view.pending_offer && view.pending_offer.state === 'pending' ? view.pending_offer : null;
  const now = serverNow(offset, useNow(30000));
  // The window as the server gives it (every channel): closed means free-form replies are refused.
  const win = windowStatus(view.window_closes_at, now, view.outbox);
  const closed = holder && win.kind === 'closed';

  // Why the composer is off, if it is.
  const blocked = lostReason || (closed ? t('window.composerBlocked') : '');

  // Files dropped onto the conversation go to the composer (holder, composer on, connected).
  const canDrop = holder && !blocked && connection === 'connected';
  const [dragging, setDragging] = useState(false);
  const depth = useRef(0);
  const hasFiles = (e: DragEvent) => !!e.dataTransfer && Array.from(e.dataTransfer.types ?? []).includes('Files');
  const dropProps = {
    onDragEnter: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setDragging(true);
    },
    onDragOver: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      if (e.dataTransfer) e.dataTransfer.dropEffect = canDrop ? 'copy' : 'none';
    },
    onDragLeave: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setDragging(false);
    },
    onDrop: (e: DragEvent) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setDragging(false);
      const files = Array.from(e.dataTransfer?.files ?? []);
      if (canDrop && files.length > 0) void ctl.addAttachments(c.id, files);
    },
  };

  return (
    <section class={'conv' + (dragging && canDrop ? ' drop-active' : '')} data-testid="conversation" data-conversation-id={c.id} data-state={c.state} {...dropProps}>
      {dragging && canDrop ? (
        <div class="drop-zone" data-testid="drop-zone" aria-hidden="true">
          <span>{t('composer.dropHere')}</span>
        </div>
      ) : null}
      <header class="conv-head">
        <span class={`avatar avatar-lg ch-${c.channel.type}`} aria-hidden="true">
          {customerName(c).slice(0, 1).toLocaleUpperCase('tr-TR')}
        </span>
        <div class="conv-title">
          <h2 data-testid="conversation-customer">{customerName(c)}</h2>
          <div class="conv-sub">
            {c.contact.phone ? <span data-testid="conversation-phone">{c.contact.phone}</span> : null}
            <span class={`channel-tag ch-${c.channel.type}`} data-testid="conversation-channel" data-channel={c.channel.type}>
              <ChannelIcon type={c.channel.type} size={12} />
              {channelLabel(c.channel)}
            </span>
            <span class={`state-tag state-${c.state}`} data-testid="conversation-state">
              {t(('state.' + c.state) as MessageKey)}
            </span>
            {c.state === 'ended' && c.end_reason ? <span class="muted">· {c.end_reason}</span> : null}
          </div>
        </div>
        <div class="conv-actions">
          {holder ? (
            <>
              <button
                type="button"
                class="btn"
                data-testid="transfer-button"
                title={t('conversation.transfer')}
                onClick={() => ctl.openDialog({ kind: 'transfer', conversationId: c.id })}
              >
                <IconTransfer size={15} /> {t('conversation.transfer')}
              </button>
              <button type="button" class="btn btn-danger-soft" data-testid="end-button" onClick={() => ctl.openDialog({ kind: 'end', conversationId: c.id })}>
                <IconEnd size={15} /> {t('conversation.end')}
              </button>
            </>
          ) : null}
          {c.state === 'ended' ? (
            <button type="button" class="btn btn-primary" data-testid="take-up-button" disabled={takeUpBusy} onClick={() => void ctl.takeUp(c.id)} title={t('history.takeUpTitle')}>
              <IconRestart size={15} /> {t('conversation.takeUp')}
            </button>
          ) : null}
        </div>
      </header>
      <div class="conv-grid">
        <div class="conv-main">
          {view.from_cache ? (
            <div class="notice notice-warn" data-testid="from-cache">
              {t('conversation.fromCache')}
            </div>
          ) : null}
          {lostReason ? (
            <div class="notice notice-bad" data-testid="conversation-lost" role="status">
              {lostReason}
            </div>
          ) : null}
          {offer && !lostReason ? <PendingOffer offer={offer} mine={offer.from_agent_id === me?.id} /> : null}
          {holder && win.kind === 'open' && win.closesIn < 2 * 60 * 60 * 1000 ? (
            <div class="notice notice-warn" data-testid="window-closing">
              {t('conversation.windowWarning', { t: formatDuration(win.closesIn) })}
            </div>
          ) : null}
          <Timeline view={view} />
          {holder || lostReason ? (
            <>
              {holder && me?.presence !== 'online' && connection === 'connected' ? (
                <div class="notice notice-warn notice-action" data-testid="not-online-note">
                  <span>{me?.presence === 'break' ? t('conversation.onBreakNote') : t('conversation.offlineNote')}</span>
                  <button type="button" class="btn btn-sm btn-success" data-testid="go-online" onClick={() => void ctl.setPresence('online', '')}>
                    {t('presence.goOnline')}
                  </button>
                </div>
              ) : null}
              {closed && win.kind === 'closed' ? (
                <div class="notice notice-bad window-banner" data-testid="window-banner" role="region" aria-label={t('window.bannerTitle')}>
                  <div class="window-banner-text" data-testid="window-closed">
                    <strong>{t('window.bannerTitle')}</strong>
                    <span class="small">{win.closedAt ? t('window.closedAt', { time: formatDateTime(win.closedAt) }) : t('window.closedNow')}</span>
                  </div>
                  <TemplatePicker conversationId={c.id} />
                </div>
              ) : null}
              <Composer conversationId={c.id} disabled={!!blocked} disabledReason={blocked} />
            </>
          ) : (
            <div class="readonly-note" data-testid="readonly-note">
              {c.state === 'ended'
                ? t('conversation.endedNote')
                : c.state === 'queued'
                  ? t('conversation.queuedNote')
                  : c.state === 'flow'
                    ? t('conversation.inFlowNote')
                    : t('conversation.notYours')}
            </div>
          )}
        </div>
        <Details view={view} />
      </div>
    </section>
  );
}

/** Why a conversation left me, in words: from the server's events (conversation-left). */
function leftText(left: LeftEvent, agents: User[]): string {
  const name = left.to_agent_id ? agentName(agents, left.to_agent_id) : '';
  switch (left.why) {
    case 'transferred':
      return t('lost.transferred', { name });
    case 'reassigned':
      return name ? t('lost.reassigned', { name }) : t('lost.elsewhere');
    case 'requeued':
      return t('lost.requeued');
    case 'ended':
      return t('lost.ended');
    case 'flow':
      return t('lost.flow');
    default:
      return t('lost.elsewhere');
  }
}

function PendingOffer({ offer, mine }: { offer: TransferOffer; mine: boolean }) {
  const ctl = useController();
  const agents = useApp((s) => s.inbox.agents);
  const offset = useApp((s) => s.offset);
  const busy = useApp((s) => !!s.busy['offer:' + offer.id]);
  const left = remainingMs(offer.expires_at, offset, useNow(1000));
  const name = agentName(agents, offer.to_agent_id);
  return (
    <div class="notice notice-transfer notice-action" data-testid="pending-offer" data-offer-id={offer.id}>
      <span>
        {left > 0 ? t('conversation.pendingOffer', { name, t: formatCountdown(left) }) : t('conversation.pendingOfferExpired', { name })}
        {offer.note ? <em class="muted"> — {offer.note}</em> : null}
      </span>
      {mine ? (
        <button type="button" class="btn btn-sm" data-testid="pending-offer-cancel" disabled={busy} onClick={() => void ctl.cancelTransfer(offer.id)}>
          {t('conversation.cancelOffer')}
        </button>
      ) : null}
    </div>
  );
}

function Details({ view }: { view: ConversationView }) {
  const ctl = useController();
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const c = view.conversation;
  const earlier = [...view.earlier].sort((a, b) => b.created_at - a.created_at);
  return (
    <aside class="details" data-testid="conversation-details">
      <NotesAndTags view={view} />
      <section>
        <h3 class="section-title">{t('conversation.customer')}</h3>
        <dl class="kv">
          <dt>{t('conversation.customer')}</dt>
          <dd>{c.contact.name || '—'}</dd>
          {c.contact.phone ? (
            <>
              <dt>{t('conversation.phone')}</dt>
              <dd>{c.contact.phone}</dd>
            </>
          ) : null}
          {c.contact.email ? (
            <>
              <dt>{t('conversation.email')}</dt>
              <dd>{c.contact.email}</dd>
            </>
          ) : null}
          <dt>{t('conversation.channel')}</dt>
          <dd>{channelLabel(c.channel)}</dd>
          <dt>{t('conversation.created')}</dt>
          <dd>{formatDateTime(c.created_at)}</dd>
          {c.agent_id ? (
            <>
              <dt>{t('conversation.heldBy')}</dt>
              <dd>{agentName(agents, c.agent_id, meId)}</dd>
            </>
          ) : null}
        </dl>
      </section>
      {view.flow_runs.length > 0 || Object.keys(view.attributes).length > 0 ? <FlowDetails view={view} /> : null}
      <ShopPanel conversationId={c.id} holder={c.state === 'assigned' && c.agent_id != null && c.agent_id === meId} />
      <section>
        <h3 class="section-title">{t('conversation.earlier')}</h3>
        {earlier.length === 0 ? (
          <div class="muted small">{t('conversation.noEarlier')}</div>
        ) : (
          <ul class="earlier" data-testid="earlier-conversations">
            {earlier.map((e: Conversation) => (
              <li key={e.id}>
                <button type="button" class="earlier-item" data-testid={`earlier-${e.id}`} onClick={() => void ctl.select(e.id)}>
                  <span class="earlier-date">{formatDateTime(e.created_at)}</span>
                  <span class="earlier-reason">{e.state === 'ended' ? e.end_reason || t('state.ended') : t(('state.' + e.state) as MessageKey)}</span>
                  {e.last_message_preview ? <span class="earlier-preview">{e.last_message_preview}</span> : null}
                </button>
              </li>
            ))}
          </ul>
        )}
      </section>
    </aside>
  );
}
