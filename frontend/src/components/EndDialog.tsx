// End: the end reason comes from the admin's list (its active ones); the server says when one
// is required and not chosen (end_reason_required).

import { useMemo, useState } from 'preact/hooks';
import { toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, t } from '../i18n';
import { Dialog } from './Dialog';

export function EndDialog({ conversationId }: { conversationId: number }) {
  const ctl = useController();
  const all = useApp((s) => s.inbox.end_reasons);
  const reasons = useMemo(() => all.filter((r) => r.active).sort((a, b) => a.position - b.position || a.id - b.id), [all]);
  const [reason, setReason] = useState<number | null>(null);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async () => {
    if (busy) return;
    setBusy(true);
    setError('');
    try {
      await ctl.end(conversationId, reason ?? 0);
    } catch (err) {
      setError(errorText(toAppError(err)));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('endDialog.title')}
      testId="end-dialog"
      onClose={() => ctl.closeDialog()}
      width={400}
      footer={
        <>
          <button type="button" class="btn" data-testid="end-cancel" onClick={() => ctl.closeDialog()}>
            {t('common.cancel')}
          </button>
          <button type="button" class="btn btn-danger" data-testid="end-confirm" disabled={busy || reasons.length === 0} onClick={() => void submit()}>
            {t('endDialog.confirm')}
          </button>
        </>
      }
    >
      <div class="field-label">{t('endDialog.pick')}</div>
      {reasons.length === 0 ? (
        <div class="empty small">{t('endDialog.none')}</div>
      ) : (
        <div class="choice-list" role="radiogroup" aria-label={t('history.endReason')} data-testid="end-reasons">
          {reasons.map((r) => (
            <label key={r.id} class={'choice' + (reason === r.id ? ' active' : '')} data-testid={`end-reason-${r.id}`}>
              <input
                type="radio"
                name="end-reason"
                value={String(r.id)}
                checked={reason === r.id}
                onChange={() => {
                  setReason(r.id);
                  setError('');
                }}
              />
              <span class="choice-main">{r.label}</span>
            </label>
          ))}
        </div>
      )}
      {error ? (
        <div class="form-error" role="alert" data-testid="end-error">
          {error}
        </div>
      ) : null}
    </Dialog>
  );
}
