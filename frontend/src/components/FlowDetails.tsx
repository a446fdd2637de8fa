// The side panel's flow section: what chatbot flows collected in the conversation (the
// server's attributes) and each time it went through a flow — which flow and version, who
// handed it over, how it ended — with that run's transcript (the messages of its span).

import { Fragment } from 'preact';
import { useApp } from '../context';
import { has, t } from '../i18n';
import { agentName } from '../logic/inbox';
import { runTranscript, sortedAttributes } from '../logic/flows';
import { formatClock, formatDateTime } from '../time';
import type { ConversationView, FlowRunSummary } from '../types';

export function FlowDetails({ view }: { view: ConversationView }) {
  const attrs = sortedAttributes(view.attributes);
  const runs = [...view.flow_runs].sort((a, b) => b.started_at - a.started_at);
  return (
    <section data-testid="flow-details">
      <h3 class="section-title">{t('flowPanel.attributes')}</h3>
      {attrs.length === 0 ? (
        <div class="muted small" data-testid="flow-no-attributes">
          {t('flowPanel.noAttributes')}
        </div>
      ) : (
        <dl class="kv" data-testid="flow-attributes">
          {attrs.map(([k, v]) => (
            <Fragment key={k}>
              <dt>{k}</dt>
              <dd data-testid={`flow-attr-${k}`}>{v}</dd>
            </Fragment>
          ))}
        </dl>
      )}
      {runs.length > 0 ? (
        <>
          <h3 class="section-title">{t('flowPanel.runs')}</h3>
          <ul class="flow-runs" data-testid="flow-runs">
            {runs.map((r, i) => (
              <FlowRun key={r.id} run={r} view={view} open={i === 0} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function outcomeText(r: FlowRunSummary): string {
  if (!r.ended_at) return t('flowPanel.running', { step: r.step || '—' });
  const key = 'flowPanel.outcome.' + (r.outcome ?? '');
  return has(key) ? t(key) : r.outcome || '';
}

function FlowRun({ run, view, open }: { run: FlowRunSummary; view: ConversationView; open: boolean }) {
  const agents = useApp((s) => s.inbox.agents);
  const meId = useApp((s) => s.session?.user?.id);
  const lines = runTranscript(run, view.messages);
  return (
    <li class="flow-run" data-testid={`flow-run-${run.id}`} data-outcome={run.outcome || 'running'}>
      <div class="flow-run-head">
        <strong>{t('flowPanel.run', { flow: run.flow_name, v: run.version })}</strong>
        <span class="muted small">
          {formatDateTime(run.started_at)} · {run.started_by ? t('flowPanel.byAgent', { agent: agentName(agents, run.started_by, meId) }) : t('flowPanel.byDefault')} ·{' '}
          <span data-testid={`flow-run-outcome-${run.id}`}>{outcomeText(run)}</span>
        </span>
      </div>
      <details open={open}>
        <summary>{t('flowPanel.transcript')}</summary>
        {lines.length === 0 ? (
          <div class="muted small">{t('flowPanel.noMessages')}</div>
        ) : (
          <ol class="flow-transcript" data-testid={`flow-transcript-${run.id}`}>
            {lines.map((m) => (
              <li key={m.id} class={m.direction === 'in' ? 'from-customer' : 'from-flow'}>
                <span class="muted small">
                  {formatClock(m.created_at)} {m.direction === 'in' ? t('flowPanel.customer') : m.flow_id ? t('flowPanel.bot') : agentName(agents, m.author_id, meId)}:
                </span>{' '}
                <span>{m.body || (m.attachments?.length ? '📎' : '')}</span>
                {m.interactive && (m.interactive.choices ?? []).length > 0 && m.interactive.style !== 'numbered' ? (
                  <span class="muted small"> [{(m.interactive.choices ?? []).map((c) => c.title).join(' | ')}]</span>
                ) : null}
              </li>
            ))}
          </ol>
        )}
      </details>
    </li>
  );
}
