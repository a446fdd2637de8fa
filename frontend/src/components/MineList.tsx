// My conversations: held conversations with unread badges, last message and waiting time. While
// the agent types a reply the rows keep their place (holdOrder); new activity is marked and the
// order applied once the composer is left or the reply sent.

import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { reportInboxShown } from '../bridge';
import { useApp, useController, useNow } from '../context';
import { t } from '../i18n';
import { filterConversations, holdOrder, sortMine } from '../logic/inbox';
import { serverNow } from '../time';
import type { InboxItem } from '../types';
import { ConversationRow } from './ConversationRow';
import { IconSearch } from './icons';
import { PullButton } from './PullButton';
import { VirtualList } from './VirtualList';

export const ROW_HEIGHT = 76;

export function MineList() {
  const ctl = useController();
  const mine = useApp((s) => s.inbox.mine);
  const selectedId = useApp((s) => s.selectedId);
  const offset = useApp((s) => s.offset);
  const [query, setQuery] = useState('');
  const now = serverNow(offset, useNow(15000));
  // Typing: the composer has the focus and text for the open conversation.
  const typing = useApp((s) => s.composing && s.selectedId != null && (s.drafts[s.selectedId] ?? '').trim() !== '');
  const shown = useRef<number[]>([]);
  const sorted = useMemo(() => filterConversations(sortMine(mine), query), [mine, query]);
  const { items, marked } = useMemo(() => holdOrder(sorted, typing ? shown.current : null), [sorted, typing]);
  shown.current = items.map((c) => c.id);
  const loaded = useApp((s) => s.inboxLoaded);
  useEffect(() => reportInboxShown(items.length, loaded, false), [items.length, loaded]);
  return (
    <div class="panel-body">
      <div class="panel-tools">
        <label class="search">
          <IconSearch size={14} />
          <input
            type="search"
            placeholder={t('inbox.search')}
            aria-label={t('inbox.search')}
            value={query}
            onInput={(e) => setQuery(e.currentTarget.value)}
            data-search
            data-testid="inbox-search"
          />
        </label>
        <PullButton compact />
      </div>
      {items.length === 0 && !loaded ? (
        // Until the cache answered: "loading", never "no conversations" before the rows.
        <div class="empty" data-testid="mine-loading" aria-busy="true">
          {t('app.loading')}
        </div>
      ) : items.length === 0 ? (
        <div class="empty" data-testid="mine-empty">
          {query ? t('inbox.emptyFiltered') : t('inbox.empty')}
        </div>
      ) : (
        <VirtualList<InboxItem>
          items={items}
          rowHeight={ROW_HEIGHT}
          getKey={(c) => c.id}
          label={t('tabs.mine')}
          testId="mine-list"
          renderRow={(c) => (
            <ConversationRow
              c={c}
              testId={`conversation-row-${c.id}`}
              selected={c.id === selectedId}
              unread={c.unread}
              now={now}
              // "Waiting" only while the customer wrote last: once answered, nobody waits.
              waitingFrom={customerWroteLast(c) ? c.last_inbound_at : undefined}
              urgent={customerWroteLast(c)}
              onOpen={() => void ctl.select(c.id)}
              extra={
                <>
                  {c.pending_offer_id ? <span class="pill pill-transfer">{t('inbox.transferPending')}</span> : null}
                  {marked.has(c.id) ? (
                    <span class="pill pill-held" data-testid={`held-activity-${c.id}`} title={t('inbox.heldActivityTitle')}>
                      {t('inbox.heldActivity')}
                    </span>
                  ) : null}
                </>
              }
            />
          )}
        />
      )}
    </div>
  );
}

/** The customer's message is the conversation's latest: they wait for an answer. */
function customerWroteLast(c: InboxItem): boolean {
  return !!c.last_inbound_at && (c.last_message_at ?? 0) <= c.last_inbound_at;
}
