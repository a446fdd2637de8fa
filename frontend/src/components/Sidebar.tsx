// The left side: the tabs My conversations, Queue, Transfers, History and Ended, with the
// conversation button (pull from the queue) always at hand.

import { useApp, useController } from '../context';
import { t, type MessageKey } from '../i18n';
import { splitOffers } from '../logic/inbox';
import { TABS, type Tab } from '../store';
import { HistoryPanel } from './HistoryPanel';
import { IconEnd, IconHistory, IconInbox, IconQueue, IconTransfer } from './icons';
import { MineList } from './MineList';
import { QueuePanel } from './QueuePanel';
import { TransfersPanel } from './TransfersPanel';

const TAB_ICONS = { mine: IconInbox, queue: IconQueue, transfers: IconTransfer, history: IconHistory, ended: IconEnd };

export function Sidebar() {
  const ctl = useController();
  const tab = useApp((s) => s.tab);
  const mineCount = useApp((s) => s.inbox.mine.length);
  const unread = useApp((s) => s.inbox.unread_total);
  const queueCount = useApp((s) => s.inbox.queue.length);
  const offers = useApp((s) => s.inbox.offers);
  const meId = useApp((s) => s.session?.user?.id);
  const incoming = splitOffers(offers, meId).incoming.length;

  const badge = (x: Tab): { n: number; strong: boolean } | null => {
    if (x === 'mine') return unread > 0 ? { n: unread, strong: true } : mineCount > 0 ? { n: mineCount, strong: false } : null;
    if (x === 'queue') return queueCount > 0 ? { n: queueCount, strong: false } : null;
    if (x === 'transfers') return incoming > 0 ? { n: incoming, strong: true } : null;
    return null;
  };

  return (
    <aside class="sidebar">
      <nav class="rail" role="tablist" aria-orientation="vertical">
        {TABS.map((x, i) => {
          const b = badge(x);
          const Icon = TAB_ICONS[x];
          return (
            <button
              key={x}
              type="button"
              role="tab"
              id={`tab-${x}`}
              aria-selected={tab === x}
              aria-controls={`panel-${x}`}
              class={'rail-tab' + (tab === x ? ' active' : '')}
              data-testid={`tab-${x}`}
              title={`${t(('tabs.' + x) as MessageKey)} (Alt+${i + 1})`}
              onClick={() => ctl.setTab(x)}
            >
              <span class="rail-icon">
                <Icon size={19} />
                {b ? <span class={'badge' + (b.strong ? ' badge-strong' : '')} data-testid={`tab-${x}-badge`}>{b.n}</span> : null}
              </span>
              <span class="rail-label">{t(('tabs.' + x) as MessageKey)}</span>
            </button>
          );
        })}
      </nav>
      <div class="panel" role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`}>
        <h2 class="panel-title">{t(('tabs.' + tab) as MessageKey)}</h2>
        {tab === 'mine' ? <MineList /> : null}
        {tab === 'queue' ? <QueuePanel /> : null}
        {tab === 'transfers' ? <TransfersPanel /> : null}
        {tab === 'history' ? <HistoryPanel view="history" key="history" /> : null}
        {tab === 'ended' ? <HistoryPanel view="ended" key="ended" /> : null}
      </div>
    </aside>
  );
}
