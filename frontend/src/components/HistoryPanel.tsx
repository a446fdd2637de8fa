// History and Ended: the filter (text, customer, channel, agent, end reason, date range), paged
// results with next_cursor, and the start-conversation icon on ended rows (take up again).

import { useMemo, useState } from 'preact/hooks';
import { useApp, useController, useNow } from '../context';
import { t } from '../i18n';
import { agentName, knownChannels } from '../logic/inbox';
import { formatDateTime, serverNow } from '../time';
import type { Conversation, HistoryQuery, HistoryView, Tag } from '../types';
import { ConversationRow } from './ConversationRow';
import { IconChevron, IconRestart, IconSearch } from './icons';
import { DateField } from './DateField';
import { VirtualList } from './VirtualList';

const ROW = 76;

export function HistoryPanel({ view }: { view: HistoryView }) {
  const ctl = useController();
  const h = useApp((s) => s.history[view]);
  const selectedId = useApp((s) => s.selectedId);
  const agents = useApp((s) => s.inbox.agents);
  const offset = useApp((s) => s.offset);
  const now = serverNow(offset, useNow(60000));
  const [showFilters, setShowFilters] = useState(true);

  return (
    <div class="panel-body">
      <div class="filter-toggle">
        <button type="button" class="link-btn" aria-expanded={showFilters} onClick={() => setShowFilters(!showFilters)} data-testid={`${view}-filter-toggle`}>
          <IconChevron size={14} /> {showFilters ? t('history.hideFilters') : t('history.showFilters')}
        </button>
        <span class="muted small" data-testid={`${view}-count`}>
          {h.loaded ? (h.next ? t('history.resultsMore', { n: h.items.length }) : t('history.results', { n: h.items.length })) : ''}
        </span>
      </div>
      {showFilters ? <FilterForm view={view} query={h.query} /> : null}
      {h.error ? (
        <div class="form-error" role="alert" data-testid={`${view}-error`}>
          {h.error}
        </div>
      ) : null}
      {h.loaded && h.items.length === 0 && !h.loading ? (
        <div class="empty" data-testid={`${view}-empty`}>
          {t('history.empty')}
        </div>
      ) : (
        <VirtualList<Conversation>
          items={h.items}
          rowHeight={ROW}
          getKey={(c) => c.id}
          label={t(view === 'history' ? 'tabs.history' : 'tabs.ended')}
          testId={`${view}-list`}
          onEndReached={() => void ctl.historyMore(view)}
          renderRow={(c) => (
            <div class={'history-row' + (c.id === selectedId ? ' selected' : '')}>
              <ConversationRow
                c={c}
                testId={`history-row-${c.id}`}
                selected={c.id === selectedId}
                now={now}
                stamp={c.ended_at || c.last_message_at || c.created_at}
                onOpen={() => void ctl.select(c.id)}
                showChannel={false}
                extra={
                  <span class="row-sub">
                    {c.state === 'ended' ? (c.end_reason ? c.end_reason : t('state.ended')) : t(c.state === 'queued' ? 'state.queued' : 'state.assigned')}
                    {c.agent_id ? ` · ${agentName(agents, c.agent_id)}` : ''}
                  </span>
                }
              />
              {c.state === 'ended' ? <TakeUpIcon c={c} /> : null}
            </div>
          )}
        />
      )}
      {h.loading ? <div class="muted small list-foot">{t('common.loading')}</div> : null}
      {!h.loading && h.next ? (
        <button type="button" class="btn btn-sm list-foot" data-testid={`${view}-more`} onClick={() => void ctl.historyMore(view)}>
          {t('history.loadMore')}
        </button>
      ) : null}
    </div>
  );
}

function TakeUpIcon({ c }: { c: Conversation }) {
  const ctl = useController();
  const busy = useApp((s) => !!s.busy['takeup:' + c.id]);
  return (
    <button
      type="button"
      class="icon-btn take-up"
      data-testid={`take-up-${c.id}`}
      title={`${t('history.takeUpTitle')}${c.ended_at ? ' · ' + t('history.endedAt', { time: formatDateTime(c.ended_at) }) : ''}`}
      aria-label={t('history.takeUp')}
      disabled={busy}
      onClick={(e) => {
        e.stopPropagation();
        void ctl.takeUp(c.id);
      }}
    >
      <IconRestart />
    </button>
  );
}

function FilterForm({ view, query }: { view: HistoryView; query: HistoryQuery }) {
  const ctl = useController();
  const inbox = useApp((s) => s.inbox);
  const results = useApp((s) => s.history[view].items);
  const [q, setQ] = useState<HistoryQuery>(query);
  const channels = useMemo(() => knownChannels(inbox, results), [inbox, results]);
  const reasons = useMemo(() => [...inbox.end_reasons].sort((a, b) => a.position - b.position), [inbox.end_reasons]);
  const agents = useMemo(() => [...inbox.agents].sort((a, b) => a.display_name.localeCompare(b.display_name, 'tr')), [inbox.agents]);
  const set = (patch: Partial<HistoryQuery>) => setQ({ ...q, ...patch });
  const id = (name: string) => `${view}-${name}`;
  // The admin's tags, read when the tag filter is first used (they are not in the cached Inbox).
  const [tags, setTags] = useState<Tag[] | null>(null);
  const loadTags = () => {
    if (tags === null) void ctl.bridge.tags(false).then(setTags, () => setTags([]));
  };
  return (
    <form
      class="filter"
      data-testid={`${view}-filter`}
      onSubmit={(e) => {
        e.preventDefault();
        void ctl.historySearch(view, q);
      }}
    >
      <label class="search">
        <IconSearch size={14} />
        <input type="search" data-search data-testid={`filter-text`} placeholder={t('history.text')} aria-label={t('history.text')} value={q.text} onInput={(e) => set({ text: e.currentTarget.value })} />
      </label>
      <input class="input" type="text" data-testid="filter-customer" placeholder={t('history.customer')} aria-label={t('history.customer')} value={q.customer} onInput={(e) => set({ customer: e.currentTarget.value })} />
      <div class="filter-grid">
        <label class="field-sm" for={id('channel')}>
          <span>{t('history.channel')}</span>
          <select id={id('channel')} class="input" data-testid="filter-channel" value={String(q.channel_id)} onChange={(e) => set({ channel_id: Number(e.currentTarget.value) })}>
            <option value="0">{t('common.all')}</option>
            {channels.map((c) => (
              <option key={c.id} value={String(c.id)}>
                {c.name || c.type}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm" for={id('agent')}>
          <span>{t('history.agent')}</span>
          <select id={id('agent')} class="input" data-testid="filter-agent" value={String(q.agent_id)} onChange={(e) => set({ agent_id: Number(e.currentTarget.value) })}>
            <option value="0">{t('common.all')}</option>
            {agents.map((a) => (
              <option key={a.id} value={String(a.id)}>
                {a.display_name || a.username}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm" for={id('reason')}>
          <span>{t('history.endReason')}</span>
          <select id={id('reason')} class="input" data-testid="filter-end-reason" value={String(q.end_reason_id)} onChange={(e) => set({ end_reason_id: Number(e.currentTarget.value) })}>
            <option value="0">{t('common.all')}</option>
            {reasons.map((r) => (
              <option key={r.id} value={String(r.id)}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm" for={id('tag')}>
          <span>{t('history.tag')}</span>
          <select id={id('tag')} class="input" data-testid="filter-tag" value={String(q.tag_id ?? 0)} onFocus={loadTags} onMouseDown={loadTags} onChange={(e) => set({ tag_id: Number(e.currentTarget.value) || undefined })}>
            <option value="0">{t('common.all')}</option>
            {(tags ?? []).map((x) => (
              <option key={x.id} value={String(x.id)}>
                {x.label}
              </option>
            ))}
          </select>
        </label>
        <label class="field-sm" for={id('from')}>
          <span>{t('history.from')}</span>
          <DateField id={id('from')} testId="filter-from" value={q.from} onChange={(from) => set({ from })} />
        </label>
        <label class="field-sm" for={id('to')}>
          <span>{t('history.to')}</span>
          <DateField id={id('to')} testId="filter-to" value={q.to} onChange={(to) => set({ to })} />
        </label>
      </div>
      <div class="filter-actions">
        <button type="submit" class="btn btn-primary btn-sm" data-testid="filter-submit">
          {t('history.filter')}
        </button>
        <button
          type="button"
          class="btn btn-sm"
          data-testid="filter-clear"
          onClick={() => {
            setQ({ ...query, text: '', customer: '', channel_id: 0, agent_id: 0, end_reason_id: 0, tag_id: undefined, from: '', to: '' });
            void ctl.historyReset(view);
          }}
        >
          {t('history.clear')}
        </button>
      </div>
    </form>
  );
}
