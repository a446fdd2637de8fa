// The conversation button of the vendor page ("Konuşma Butonu"): takes the oldest queued
// conversation for this agent.

import { useApp, useController } from '../context';
import { t } from '../i18n';
import { IconPull } from './icons';

export function PullButton({ compact = false }: { compact?: boolean }) {
  const ctl = useController();
  const busy = useApp((s) => !!s.busy.pull);
  const queueCount = useApp((s) => s.inbox.queue.length);
  return (
    <button
      type="button"
      class={'btn btn-primary pull-btn' + (compact ? ' btn-sm' : '')}
      data-testid="pull-button"
      title={t('inbox.pullTitle')}
      onClick={() => void ctl.pull()}
      disabled={busy}
    >
      <IconPull size={15} />
      <span>{busy ? t('inbox.pulling') : t('inbox.pull')}</span>
      <span class="badge badge-onprimary" data-testid="pull-queue-count">{queueCount}</span>
    </button>
  );
}
