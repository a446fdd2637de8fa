// Transfer: pick an agent (their presence is shown, online ones first), optionally write a
// note, confirm. Whether that agent may receive it is the server's answer, shown here (e.g.
// agent_on_break). The transfer completes when the receiver accepts.

import { useEffect, useMemo, useState } from 'preact/hooks';
import { bridge, toAppError } from '../bridge';
import { useApp, useController } from '../context';
import { errorText, t } from '../i18n';
import { transferChoices } from '../logic/inbox';
import { presenceLabel } from './TopBar';
import { Dialog } from './Dialog';

export function TransferDialog({ conversationId }: { conversationId: number }) {
  const ctl = useController();
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const targets = useMemo(() => transferChoices(agents, meId), [agents, meId]);
  const [to, setTo] = useState<number | null>(null);
  const [note, setNote] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  // Who is online now, from the server: other agents' presence is not pushed to every agent.
  // Until it answers (or offline), the list the app last saw.
  useEffect(() => {
    bridge.refreshAgents().catch(() => {});
  }, []);
  const chosen = to != null && targets.some((a) => a.id === to) ? to : null;

  const submit = async (e?: Event) => {
    e?.preventDefault();
    if (chosen == null || busy) return;
    setBusy(true);
    setError('');
    try {
      await ctl.transfer(conversationId, chosen, note);
    } catch (err) {
      setError(errorText(toAppError(err)));
      setBusy(false);
    }
  };

  return (
    <Dialog
      title={t('transferDialog.title')}
      testId="transfer-dialog"
      onClose={() => ctl.closeDialog()}
      footer={
        <>
          <button type="button" class="btn" data-testid="transfer-cancel" onClick={() => ctl.closeDialog()}>
            {t('common.cancel')}
          </button>
          <button type="button" class="btn btn-primary" data-testid="transfer-confirm" disabled={chosen == null || busy} onClick={() => void submit()}>
            {t('transferDialog.confirm')}
          </button>
        </>
      }
    >
      <form onSubmit={submit}>
        <p class="muted small">{t('transferDialog.explain')}</p>
        <div class="field-label">{t('transferDialog.pick')}</div>
        {targets.length === 0 ? (
          <div class="empty small" data-testid="transfer-no-agents">
            {t('transferDialog.none')}
          </div>
        ) : (
          <div class="choice-list" role="radiogroup" aria-label={t('transferDialog.pick')}>
            {targets.map((a) => (
              <label key={a.id} class={'choice' + (chosen === a.id ? ' active' : '')} data-testid={`transfer-agent-${a.id}`}>
                <input type="radio" name="to-agent" value={String(a.id)} checked={chosen === a.id} onChange={() => setTo(a.id)} />
                <span class={`light light-${a.presence}`} aria-hidden="true" />
                <span class="choice-main">{a.display_name || a.username}</span>
                <span class="muted small" data-testid={`transfer-agent-presence-${a.id}`}>{presenceLabel(a.presence, a.presence_reason)}</span>
                <span class="muted small">{t('transferDialog.load', { active: a.active, limit: a.effective_limit || '∞' })}</span>
              </label>
            ))}
          </div>
        )}
        <label class="field">
          <span>{t('transferDialog.note')}</span>
          <textarea class="input" rows={3} data-testid="transfer-note" placeholder={t('transferDialog.notePlaceholder')} value={note} maxLength={1000} onInput={(e) => setNote(e.currentTarget.value)} />
        </label>
        {error ? (
          <div class="form-error" role="alert" data-testid="transfer-error">
            {error}
          </div>
        ) : null}
      </form>
    </Dialog>
  );
}
