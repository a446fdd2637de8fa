// The queue: how many conversations wait, in the server's order (conversations returned to the
// head first, as the Go side lists them by the server's queue_key), and the button to pull.

import { useApp, useController, useNow } from '../context';
import { t } from '../i18n';
import { serverNow } from '../time';
import type { Conversation } from '../types';
import { ConversationRow } from './ConversationRow';
import { PullButton } from './PullButton';
import { VirtualList } from './VirtualList';
import { ROW_HEIGHT } from './MineList';

export function QueuePanel() {
  const ctl = useController();
  const queue = useApp((s) => s.inbox.queue);
  const auto = useApp((s) => s.inbox.workspace.auto_assign);
  const selectedId = useApp((s) => s.selectedId);
  const offset = useApp((s) => s.offset);
  const now = serverNow(offset, useNow(5000));
  const items = queue;
  return (
    <div class="panel-body">
      <div class="queue-head">
        <div>
          <div class="queue-count" data-testid="queue-count" data-count={items.length}>
            {t('queue.count', { n: items.length })}
          </div>
          <div class="muted small">{auto ? t('queue.autoOn') : t('queue.autoOff')}</div>
        </div>
        <PullButton />
      </div>
      <div class="muted small queue-note">{t('queue.oldestFirst')}</div>
      {items.length === 0 ? (
        <div class="empty" data-testid="queue-empty">
          {t('queue.empty')}
        </div>
      ) : (
        <VirtualList<Conversation>
          items={items}
          rowHeight={ROW_HEIGHT}
          getKey={(c) => c.id}
          label={t('tabs.queue')}
          testId="queue-list"
          renderRow={(c) => (
            <ConversationRow
              c={c}
              testId={`queue-row-${c.id}`}
              selected={c.id === selectedId}
              now={now}
              waitingFrom={c.queued_at}
              waitingKey="queue.waiting"
              urgent
              stamp={c.queued_at}
              onOpen={() => void ctl.select(c.id)}
            />
          )}
        />
      )}
    </div>
  );
}
