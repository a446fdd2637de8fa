// Transfers: offers to me (with the note and a live countdown to expiry, accept/reject) and
// offers I sent (cancel). The countdown uses the server's clock offset.

import { useApp, useController, useNow } from '../context';
import { t } from '../i18n';
import { agentName, customerName, splitOffers } from '../logic/inbox';
import { formatCountdown, remainingMs } from '../time';
import type { Conversation, TransferOffer } from '../types';

export function TransfersPanel() {
  const offers = useApp((s) => s.inbox.offers);
  const meId = useApp((s) => s.session?.user?.id);
  const { incoming, outgoing } = splitOffers(offers, meId);
  return (
    <div class="panel-body panel-scroll">
      <section class="offer-section">
        <h3 class="section-title">{t('transfers.incoming')}</h3>
        {incoming.length === 0 ? <div class="empty small">{t('transfers.emptyIncoming')}</div> : incoming.map((o) => <OfferCard key={o.id} offer={o} incoming />)}
      </section>
      <section class="offer-section">
        <h3 class="section-title">{t('transfers.outgoing')}</h3>
        {outgoing.length === 0 ? <div class="empty small">{t('transfers.emptyOutgoing')}</div> : outgoing.map((o) => <OfferCard key={o.id} offer={o} incoming={false} />)}
      </section>
    </div>
  );
}

export function OfferCard({ offer, incoming, bar = false }: { offer: TransferOffer; incoming: boolean; bar?: boolean }) {
  const ctl = useController();
  const agents = useApp((s) => s.inbox.agents);
  const mine = useApp((s) => s.inbox.mine);
  const queue = useApp((s) => s.inbox.queue);
  const offset = useApp((s) => s.offset);
  const busy = useApp((s) => !!s.busy['offer:' + offer.id]);
  const now = useNow(1000);
  const left = remainingMs(offer.expires_at, offset, now);
  const total = Math.max(1, offer.expires_at - offer.created_at);
  const expired = left <= 0;
  const conv: Conversation | undefined = mine.find((c) => c.id === offer.conversation_id) ?? queue.find((c) => c.id === offer.conversation_id);
  // The server names the customer on a pending offer (to its two agents); a conversation I hold
  // or can see in the queue names it too.
  const title = offer.customer_name || (conv ? customerName(conv) : t('common.conversationNo', { id: offer.conversation_id }));
  const said = offer.customer_message || conv?.last_message_preview || '';
  const who = incoming ? t('transfers.from', { name: agentName(agents, offer.from_agent_id) }) : t('transfers.to', { name: agentName(agents, offer.to_agent_id) });
  const countdown = (
    <span class={'countdown' + (left < 30000 ? ' urgent' : '')} data-testid={`offer-countdown-${offer.id}`}>
      {expired ? t('transfers.expired') : t('transfers.remaining', { t: formatCountdown(left) })}
    </span>
  );
  const actions = incoming ? (
    <>
      <button type="button" class="btn btn-primary btn-sm" data-testid={`offer-accept-${offer.id}`} disabled={busy} onClick={() => void ctl.acceptTransfer(offer.id)}>
        {t('transfers.accept')}
      </button>
      <button type="button" class="btn btn-sm" data-testid={`offer-reject-${offer.id}`} disabled={busy} onClick={() => void ctl.rejectTransfer(offer.id)}>
        {t('transfers.reject')}
      </button>
    </>
  ) : (
    <button type="button" class="btn btn-sm" data-testid={`offer-cancel-${offer.id}`} disabled={busy} onClick={() => void ctl.cancelTransfer(offer.id)}>
      {t('transfers.cancel')}
    </button>
  );
  if (bar) {
    return (
      <div class={'offer-bar' + (expired ? ' expired' : '')} data-testid={`offer-${offer.id}`} data-conversation-id={offer.conversation_id}>
        <div class="offer-bar-main">
          <div>
            <span class="offer-bar-title">{who}</span> · <span data-testid={`offer-customer-${offer.id}`}>{title}</span>
          </div>
          {said ? (
            <div class="offer-said" data-testid={`offer-message-${offer.id}`} title={said}>
              {t('transfers.lastMessage', { text: said })}
            </div>
          ) : null}
          {offer.note ? (
            <div class="offer-note" data-testid={`offer-note-${offer.id}`}>
              {t('transfers.note')}: {offer.note}
            </div>
          ) : null}
        </div>
        {countdown}
        <div class="offer-actions">{actions}</div>
      </div>
    );
  }
  return (
    <article class={'offer' + (expired ? ' expired' : '')} data-testid={`offer-${offer.id}`} data-conversation-id={offer.conversation_id}>
      <div class="offer-head">
        <strong class="offer-title" data-testid={`offer-customer-${offer.id}`}>
          {title}
        </strong>
        {countdown}
      </div>
      <div class="offer-who muted small">{who}</div>
      {said ? (
        <div class="offer-said" data-testid={`offer-message-${offer.id}`} title={said}>
          {t('transfers.lastMessage', { text: said })}
        </div>
      ) : null}
      <div class="progress" aria-hidden="true">
        <span style={{ width: `${Math.min(100, (left / total) * 100)}%` }} />
      </div>
      <blockquote class={'offer-note' + (offer.note ? '' : ' muted')} data-testid={`offer-note-${offer.id}`}>
        {offer.note ? offer.note : t('transfers.noNote')}
      </blockquote>
      <div class="offer-actions">{actions}</div>
    </article>
  );
}
