// The supervisor's dashboard window (santral --dashboard): agents, the queue, pending transfers
// and today's figures, live from the event stream (the Go side reads the snapshot again after
// every batch and emits "dashboard"), with the supervisor's actions. The server decides every
// action; a refusal shows its reason.

import { useEffect, useState } from 'preact/hooks';
import { normalizeDashboard, onEvent, toAppError, type LiveDashboard } from '../bridge';
import { useApp, useController, useNow } from '../context';
import { errorText, t, type MessageKey } from '../i18n';
import { formatClock, formatCountdown, formatDuration } from '../time';
import type { Conversation, Dashboard, DashboardAgent, EndReason, TransferOffer } from '../types';
import { presenceLabel } from '../components/TopBar';
import { HBars, Meter } from './charts';

const BREAK_REASONS: MessageKey[] = ['presence.reasonMeal', 'presence.reasonMeeting', 'presence.reasonTraining', 'presence.reasonOther'];

/** A figure in milliseconds as m:ss; "—" when nothing was measured. */
export function figure(ms: number, count: number): string {
  return count > 0 ? formatCountdown(ms) : t('common.none');
}

function contactName(c: Conversation): string {
  return c.contact?.name || c.contact?.phone || t('common.conversationNo', { id: c.id });
}

export function DashboardWindow() {
  const ctl = useController();
  const api = ctl.bridge;
  const connection = useApp((s) => s.session?.connection);
  const endReasons = useApp((s) => s.inbox.end_reasons);
  const [snap, setSnap] = useState<LiveDashboard | null>(null);
  const [arrived, setArrived] = useState(0);
  const [error, setError] = useState('');
  const now = useNow(1000);

  useEffect(() => {
    const take = (d: Dashboard) => {
      setSnap(normalizeDashboard(d));
      setArrived(Date.now());
      setError('');
    };
    const off = onEvent('dashboard', (d) => d && take(d));
    api.dashboard().then(take, (e) => setError(errorText(toAppError(e))));
    return off;
  }, [api]);

  // The server's "now": waits and ages count by its clock.
  const serverNow = snap ? now + (snap.server_time - arrived) : now;
  const live = connection?.state === 'connected';

  const act = async (fn: () => Promise<unknown>, done?: string) => {
    try {
      await fn();
      if (done) ctl.toast('success', done);
    } catch (e) {
      ctl.fail(e);
    }
  };

  if (!snap) {
    return (
      <div class="dash" data-testid="dashboard">
        <DashHeader live={live} at={0} />
        <p class={error ? 'dash-error' : 'muted'} data-testid="dashboard-loading" role="status">
          {error || t('common.loading')}
        </p>
      </div>
    );
  }
  const agents = snap.agents.filter((a) => a.role !== 'admin' || a.presence !== 'offline' || a.active > 0);
  const online = snap.agents.filter((a) => a.presence === 'online');
  const name = (id: number | null | undefined) => snap.agents.find((a) => a.id === id)?.display_name ?? t('common.unknownAgent', { id: id ?? 0 });
  const longest = snap.queue.oldest_queued_at ? serverNow - snap.queue.oldest_queued_at : 0;
  const today = snap.today;

  return (
    <div class={'dash' + (live ? '' : ' dash-stale')} data-testid="dashboard">
      <DashHeader live={live} at={arrived} />
      {!live ? (
        <div class="banner banner-offline" role="status" data-testid="dashboard-stale">
          {t('dash.stale', { time: formatClock(arrived) })}
        </div>
      ) : null}
      <section class="dash-kpis" aria-label={t('dash.today')}>
        <Kpi id="queue" label={t('dash.queueLength')} value={String(snap.queue.length)} tone={snap.queue.length > 0 ? 'warn' : 'ok'} />
        <Kpi id="longest" label={t('dash.longestWait')} value={snap.queue.length ? formatDuration(longest) : t('common.none')} tone={longest > snap.wait_threshold_seconds * 1000 ? 'bad' : 'ok'} />
        <Kpi id="flows" label={t('dash.inFlows')} value={String(snap.queue.in_flows)} />
        <Kpi id="online" label={t('dash.onlineAgents')} value={`${online.length}/${snap.agents.length}`} />
        <Kpi id="in" label={t('dash.convIn')} value={String(today.conversations)} />
        <Kpi id="ended" label={t('dash.convEnded')} value={String(today.ended)} />
        <Kpi id="frt" label={t('dash.frt')} value={figure(today.first_response_median_ms, today.responded)} sub={t('dash.p90', { v: figure(today.first_response_p90_ms, today.responded) })} />
        <Kpi id="handling" label={t('dash.handling')} value={figure(today.handling_median_ms, today.handled)} sub={t('dash.p90', { v: figure(today.handling_p90_ms, today.handled) })} />
        <Kpi id="transfers" label={t('dash.transfers')} value={String(today.transfers)} />
        <Kpi id="waited" label={t('dash.waitedOver', { s: snap.wait_threshold_seconds })} value={String(today.waited_over_threshold)} tone={today.waited_over_threshold > 0 ? 'warn' : 'ok'} />
      </section>
      <div class="dash-grid">
        <section class="dash-card dash-agents" data-testid="dash-agents">
          <h2>{t('dash.agents')}</h2>
          <table class="dash-table">
            <thead>
              <tr>
                <th>{t('dash.agent')}</th>
                <th>{t('dash.presence')}</th>
                <th>{t('dash.load')}</th>
                <th>{t('dash.handledToday')}</th>
                <th class="dash-actions-col">{t('dash.actions')}</th>
              </tr>
            </thead>
            <tbody>
              {agents.map((a) => (
                <AgentRow key={a.id} agent={a} live={live} serverNow={serverNow} act={act} />
              ))}
            </tbody>
          </table>
        </section>
        <section class="dash-card dash-queue" data-testid="dash-queue">
          <h2>
            {t('dash.queue')} <span class="badge">{snap.queue.length}</span>
          </h2>
          <HBars
            testId="dash-queue-chart"
            empty={t('dash.queueEmpty')}
            bars={snap.queue.per_channel.map((c) => ({ label: c.name, value: c.count, tone: 'break' }))}
          />
          <ul class="dash-list">
            {snap.queue.queued.slice(0, 30).map((c) => (
              <li key={c.id} data-testid={`dash-queued-${c.id}`}>
                <span class="dash-list-main">
                  <strong>{contactName(c)}</strong> <span class="muted">{c.channel.name}</span>
                </span>
                <span class="dash-wait" title={t('dash.waiting')}>
                  {formatDuration(serverNow - c.queued_at)}
                </span>
                <AssignSelect testId={`dash-assign-${c.id}`} agents={online} label={t('dash.assignTo')} onPick={(id) => act(() => api.reassign(c.id, 0, id), t('dash.assigned', { agent: name(id) }))} />
              </li>
            ))}
          </ul>
          <h2>
            {t('dash.offers')} <span class="badge">{snap.offers.length}</span>
          </h2>
          {snap.offers.length === 0 ? <p class="muted dash-empty">{t('dash.noOffers')}</p> : null}
          <ul class="dash-list" data-testid="dash-offers">
            {snap.offers.map((o: TransferOffer) => (
              <li key={o.id} data-testid={`dash-offer-${o.id}`}>
                <span class="dash-list-main">
                  <strong>{name(o.from_agent_id)}</strong> → <strong>{name(o.to_agent_id)}</strong>
                  {o.note ? <span class="muted dash-note"> “{o.note}”</span> : null}
                </span>
                <span class="dash-wait">{formatDuration(serverNow - o.created_at)}</span>
              </li>
            ))}
          </ul>
        </section>
        <section class="dash-card dash-held" data-testid="dash-held">
          <h2>
            {t('dash.held')} <span class="badge">{snap.held.length}</span>
          </h2>
          <ul class="dash-list">
            {snap.held.slice(0, 60).map((c) => (
              <HeldRow key={c.id} conv={c} holder={name(c.agent_id)} online={online} endReasons={endReasons} serverNow={serverNow} act={act} />
            ))}
          </ul>
          <h2>{t('dash.endReasons')}</h2>
          <HBars testId="dash-end-reasons" empty={t('dash.noneEnded')} bars={snap.end_reasons.map((r) => ({ label: r.label || t('common.none'), value: r.count, tone: 'online' }))} />
        </section>
      </div>
    </div>
  );
}

function DashHeader({ live, at }: { live: boolean; at: number }) {
  const now = useNow(1000);
  return (
    <header class="topbar dash-top">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true">S</span>
        <span class="brand-name">{t('dash.title')}</span>
      </div>
      <span class={'conn conn-' + (live ? 'ok' : 'bad')} data-testid="dash-live" data-live={live ? '1' : '0'}>
        <span class="conn-dot" aria-hidden="true" /> <span class="conn-text">{live ? t('dash.live') : t('dash.notLive')}</span>
      </span>
      <div class="topbar-spacer" />
      {at ? <span class="muted">{t('dash.updated', { time: formatClock(at) })}</span> : null}
      <span class="dash-clock">{formatClock(now)}</span>
    </header>
  );
}

function Kpi({ id, label, value, sub, tone }: { id: string; label: string; value: string; sub?: string; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div class={'kpi' + (tone ? ' kpi-' + tone : '')} data-testid={`kpi-${id}`}>
      <span class="kpi-label">{label}</span>
      <span class="kpi-value">{value}</span>
      {sub ? <span class="kpi-sub">{sub}</span> : null}
    </div>
  );
}

type Act = (fn: () => Promise<unknown>, done?: string) => Promise<void>;

function AgentRow({ agent: a, live, serverNow, act }: { agent: DashboardAgent; live: boolean; serverNow: number; act: Act }) {
  const api = useController().bridge;
  const [breaking, setBreaking] = useState(false);
  const presence = live ? a.presence : 'unknown';
  const limit = a.effective_limit;
  return (
    <tr data-testid={`dash-agent-${a.id}`} data-presence={a.presence}>
      <td class="dash-name">
        <strong>{a.display_name}</strong>
        <span class="muted"> {t(('role.' + a.role) as MessageKey)}</span>
      </td>
      <td>
        <span class={'presence-pill p-' + presence} data-testid={`dash-presence-${a.id}`}>
          <span class="dot" aria-hidden="true" />
          {live ? presenceLabel(a.presence, a.presence_reason) : t('dash.presenceUnknown')}
        </span>
        {a.presence_since ? <span class="muted dash-since"> {t('dash.since', { d: formatDuration(serverNow - a.presence_since) })}</span> : null}
      </td>
      <td class="dash-load">
        <span data-testid={`dash-load-${a.id}`}>
          {a.active}/{limit}
        </span>
        <Meter active={a.active} limit={limit} />
      </td>
      <td data-testid={`dash-handled-${a.id}`}>{a.handled_today}</td>
      <td class="dash-actions">
        <span class="stepper" role="group" aria-label={t('dash.limit')}>
          <button type="button" class="btn btn-sm" data-testid={`dash-limit-down-${a.id}`} disabled={limit <= 0} title={t('dash.limitDown')} onClick={() => act(() => api.setAgentLimit(a.id, limit - 1), t('dash.limitSet', { n: limit - 1 }))}>
            −
          </button>
          <span class="stepper-value" title={t('dash.limit')}>{limit}</span>
          <button type="button" class="btn btn-sm" data-testid={`dash-limit-up-${a.id}`} disabled={limit >= 100} title={t('dash.limitUp')} onClick={() => act(() => api.setAgentLimit(a.id, limit + 1), t('dash.limitSet', { n: limit + 1 }))}>
            +
          </button>
        </span>
        {a.presence === 'online' ? (
          breaking ? (
            <span class="dash-break-reasons">
              {BREAK_REASONS.map((k) => (
                <button type="button" key={k} class="chip" data-testid={`dash-break-${a.id}-${k.split('.')[1]}`} onClick={() => (setBreaking(false), act(() => api.setAgentPresence(a.id, 'break', t(k))))}>
                  {t(k)}
                </button>
              ))}
              <button type="button" class="btn btn-sm btn-ghost" onClick={() => setBreaking(false)}>
                {t('common.cancel')}
              </button>
            </span>
          ) : (
            <button type="button" class="btn btn-sm btn-warning" data-testid={`dash-break-${a.id}`} onClick={() => setBreaking(true)}>
              {t('presence.break')}
            </button>
          )
        ) : null}
        {a.presence !== 'offline' ? (
          <button type="button" class="btn btn-sm" data-testid={`dash-offline-${a.id}`} onClick={() => act(() => api.setAgentPresence(a.id, 'offline', ''))}>
            {t('dash.makeOffline')}
          </button>
        ) : null}
      </td>
    </tr>
  );
}

function AssignSelect({ agents, label, onPick, testId, except }: { agents: DashboardAgent[]; label: string; onPick: (id: number) => void; testId: string; except?: number | null }) {
  return (
    <select
      class="select select-sm"
      data-testid={testId}
      aria-label={label}
      value=""
      onChange={(e) => {
        const id = Number((e.target as HTMLSelectElement).value);
        (e.target as HTMLSelectElement).value = '';
        if (id) onPick(id);
      }}
    >
      <option value="">{label}</option>
      {agents
        .filter((a) => a.id !== except)
        .map((a) => (
          <option key={a.id} value={a.id}>
            {a.display_name} ({a.active}/{a.effective_limit})
          </option>
        ))}
    </select>
  );
}

function HeldRow({ conv: c, holder, online, endReasons, serverNow, act }: { conv: Conversation; holder: string; online: DashboardAgent[]; endReasons: EndReason[]; serverNow: number; act: Act }) {
  const api = useController().bridge;
  return (
    <li data-testid={`dash-held-${c.id}`}>
      <span class="dash-list-main">
        <strong>{contactName(c)}</strong> <span class="muted">· {holder}</span>
        {c.pending_offer_id ? <span class="badge badge-transfer"> {t('dash.offerOut')}</span> : null}
      </span>
      <span class="dash-wait" title={t('dash.heldFor')}>
        {c.assigned_at ? formatDuration(serverNow - c.assigned_at) : ''}
      </span>
      <span class="dash-row-actions">
        <AssignSelect testId={`dash-reassign-${c.id}`} agents={online} except={c.agent_id} label={t('dash.reassign')} onPick={(id) => act(() => api.reassign(c.id, c.agent_id ?? 0, id), t('dash.reassigned'))} />
        <button type="button" class="btn btn-sm" data-testid={`dash-requeue-${c.id}`} onClick={() => act(() => api.returnToQueue(c.id), t('dash.requeued'))}>
          {t('dash.returnToQueue')}
        </button>
        <select
          class="select select-sm"
          data-testid={`dash-end-${c.id}`}
          aria-label={t('dash.end')}
          value=""
          onChange={(e) => {
            const id = Number((e.target as HTMLSelectElement).value);
            (e.target as HTMLSelectElement).value = '';
            if (id) void act(() => api.end(c.id, id), t('dash.ended'));
          }}
        >
          <option value="">{t('dash.end')}</option>
          {endReasons.map((r) => (
            <option key={r.id} value={r.id}>
              {r.label}
            </option>
          ))}
        </select>
      </span>
    </li>
  );
}
