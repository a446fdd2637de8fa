// Notices in the corner: what an action did, or why it was refused.

import { useApp, useController } from '../context';
import { t } from '../i18n';
import { IconClose } from './icons';

export function Toasts() {
  const ctl = useController();
  const toasts = useApp((s) => s.toasts);
  return (
    <div class="toasts" aria-live="polite">
      {toasts.map((x) => (
        <div key={x.id} class={`toast toast-${x.kind}`} role={x.kind === 'error' ? 'alert' : 'status'} data-testid="toast" data-kind={x.kind}>
          <span>{x.text}</span>
          {x.count && x.count > 1 ? (
            <span class="toast-count" data-testid="toast-count" title={t('toast.repeated', { n: x.count })}>
              ×{x.count}
            </span>
          ) : null}
          <button type="button" class="icon-btn" onClick={() => ctl.dismissToast(x.id)} aria-label={t('common.close')}>
            <IconClose size={14} />
          </button>
        </div>
      ))}
    </div>
  );
}
