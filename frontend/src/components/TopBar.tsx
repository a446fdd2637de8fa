// The top bar: the presence button (green light online, yellow break, grey offline — as the
// vendor page describes it), the connection state, who is signed in, help, settings, sign out.

import { useEffect, useRef, useState } from 'preact/hooks';
import { useApp, useController, useNow } from '../context';
import { t, type MessageKey } from '../i18n';
import { formatClock, formatDuration, serverNow } from '../time';
import type { Connection, Presence } from '../types';
import { IconChevron, IconHelp, IconLogout, IconSettings } from './icons';

export function TopBar() {
  const ctl = useController();
  const user = useApp((s) => s.session?.user ?? null);
  const unread = useApp((s) => s.inbox.unread_total);
  return (
    <header class="topbar">
      <div class="brand">
        <span class="brand-mark" aria-hidden="true">S</span>
        <span class="brand-name">{t('app.name')}</span>
        {unread > 0 ? (
          <span class="badge badge-strong" data-testid="unread-total" title={t('topbar.unread', { n: unread })}>
            {unread}
          </span>
        ) : null}
      </div>
      <PresenceButton />
      <PresenceQuick />
      <ConnectionIndicator />
      <div class="topbar-spacer" />
      <HelpTooltip />
      <span class="user-name" data-testid="user-name" title={user?.username}>
        {user?.display_name || user?.username}
      </span>
      {user?.role === 'admin' || user?.role === 'supervisor' ? (
        <button type="button" class="btn btn-sm" data-testid="open-dashboard" title={t('dash.openHint')} onClick={() => void ctl.bridge.openDashboard().catch((e) => ctl.fail(e))}>
          {t('dash.open')}
        </button>
      ) : null}
      <button type="button" class="btn btn-sm" data-testid="open-admin" onClick={() => ctl.openDialog({ kind: 'admin' })}>
        {user?.role === 'admin' ? t('admin.open') : user?.role === 'supervisor' ? t('admin.openSupervisor') : t('admin.openAgent')}
      </button>
      <button type="button" class="icon-btn" data-testid="settings-button" title={t('topbar.settings')} aria-label={t('topbar.settings')} onClick={() => ctl.openDialog({ kind: 'settings' })}>
        <IconSettings />
      </button>
      <button type="button" class="icon-btn" data-testid="sign-out" title={t('topbar.signOut')} aria-label={t('topbar.signOut')} onClick={() => void ctl.logout()}>
        <IconLogout />
      </button>
    </header>
  );
}

const BREAK_REASONS: MessageKey[] = ['presence.reasonMeal', 'presence.reasonMeeting', 'presence.reasonTraining', 'presence.reasonOther'];

export function presenceLabel(p: Presence, reason?: string): string {
  if (p === 'break' && reason) return t('presence.breakWithReason', { reason });
  return t(`presence.${p}` as MessageKey);
}

export function PresenceButton() {
  const ctl = useController();
  const user = useApp((s) => s.session?.user ?? null);
  const busy = useApp((s) => !!s.busy.presence);
  const [open, setOpen] = useState(false);
  const [breakOpen, setBreakOpen] = useState(false);
  const [reason, setReason] = useState('');
  const box = useRef<HTMLDivElement>(null);
  const presence: Presence = user?.presence ?? 'offline';
  // Disconnected, the server may already see this agent differently: shown as unknown, not green.
  const connected = useApp((s) => s.session?.connection?.state === 'connected');

  useEffect(() => {
    if (!open) return;
    const onDown = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [open]);

  const choose = async (p: Presence, why = '') => {
    const ok = await ctl.setPresence(p, why);
    if (ok) {
      setOpen(false);
      setBreakOpen(false);
      setReason('');
    }
  };

  const since = user?.presence_since ? t('presence.since', { time: formatClock(user.presence_since) }) : '';
  return (
    <div
      class="presence-box"
      ref={box}
      onKeyDown={(e) => {
        if (e.key === 'Escape' && open) {
          e.stopPropagation();
          setOpen(false);
        }
      }}
    >
      <button
        type="button"
        class={`presence-btn presence-${connected ? presence : 'unknown'}`}
        data-testid="presence-button"
        data-presence={presence}
        data-known={connected ? '1' : '0'}
        aria-haspopup="menu"
        aria-expanded={open}
        title={since}
        onClick={() => {
          setOpen(!open);
          setBreakOpen(false);
        }}
        disabled={busy}
      >
        <span class="light" aria-hidden="true" />
        <span>{connected ? presenceLabel(presence, user?.presence_reason) : t('presence.unknown')}</span>
        <IconChevron size={14} />
      </button>
      {open ? (
        <div class="menu presence-menu" role="menu" data-testid="presence-menu">
          <div class="menu-title">{t('presence.menuTitle')}</div>
          <button type="button" role="menuitem" class="menu-item" data-testid="presence-online" onClick={() => void choose('online')} disabled={busy}>
            <span class="light light-online" aria-hidden="true" />
            <span class="menu-text">
              <strong>{t('presence.online')}</strong>
              <small>{t('presence.hintOnline')}</small>
            </span>
          </button>
          <button
            type="button"
            role="menuitem"
            class={'menu-item' + (breakOpen ? ' active' : '')}
            data-testid="presence-break"
            onClick={() => setBreakOpen(!breakOpen)}
            disabled={busy}
          >
            <span class="light light-break" aria-hidden="true" />
            <span class="menu-text">
              <strong>{t('presence.break')}</strong>
              <small>{t('presence.hintBreak')}</small>
            </span>
          </button>
          {breakOpen ? (
            <form
              class="break-form"
              onSubmit={(e) => {
                e.preventDefault();
                void choose('break', reason);
              }}
            >
              <div class="chips">
                {BREAK_REASONS.map((k) => (
                  <button type="button" key={k} class={'chip' + (reason === t(k) ? ' active' : '')} onClick={() => setReason(t(k))} data-testid={`presence-reason-${k.split('.')[1].replace('reason', '').toLowerCase()}`}>
                    {t(k)}
                  </button>
                ))}
              </div>
              <input
                type="text"
                class="input"
                aria-label={t('presence.reason')}
                placeholder={t('presence.reasonPlaceholder')}
                data-testid="presence-break-reason"
                value={reason}
                maxLength={80}
                onInput={(e) => setReason(e.currentTarget.value)}
                autoFocus
              />
              <button type="submit" class="btn btn-warning btn-block" data-testid="presence-break-confirm" disabled={busy}>
                {t('presence.confirmBreak')}
              </button>
            </form>
          ) : null}
          <button type="button" role="menuitem" class="menu-item" data-testid="presence-offline" onClick={() => void choose('offline')} disabled={busy}>
            <span class="light light-offline" aria-hidden="true" />
            <span class="menu-text">
              <strong>{t('presence.offline')}</strong>
              <small>{t('presence.hintOffline')}</small>
            </span>
          </button>
        </div>
      ) : null}
    </div>
  );
}

/** "since 14:05 · 12 min": how long the agent has been in their presence, by the server's
 * presence-changed time and clock. Empty while that time is unknown. */
export function presenceSince(since: number | undefined, offset: number, localNow: number): string {
  if (!since) return '';
  return t('presence.sinceFor', { time: formatClock(since), dur: formatDuration(serverNow(offset, localNow) - since) });
}

/** The source document's buttons, one click each: "Go online" while on break or offline, "Go
 * on break" while online (a reason stays optional, in the presence menu), with the time since
 * the last change. Hidden while disconnected: the presence is unknown then, and the server could
 * not take the change anyway. */
export function PresenceQuick() {
  const ctl = useController();
  const user = useApp((s) => s.session?.user ?? null);
  const busy = useApp((s) => !!s.busy.presence);
  const connected = useApp((s) => s.session?.connection?.state === 'connected');
  const offset = useApp((s) => s.offset);
  const now = useNow(15000);
  if (!user || !connected) return null;
  const online = user.presence === 'online';
  const since = presenceSince(user.presence_since, offset, now);
  return (
    <div class="presence-quick">
      {online ? (
        <button type="button" class="btn btn-sm presence-quick-btn" data-testid="presence-go-break" disabled={busy} title={t('presence.hintBreak')} onClick={() => void ctl.setPresence('break', '')}>
          <span class="light light-break" aria-hidden="true" />
          {t('presence.goBreak')}
        </button>
      ) : (
        <button type="button" class="btn btn-sm presence-quick-btn" data-testid="presence-go-online" disabled={busy} title={t('presence.hintOnline')} onClick={() => void ctl.setPresence('online', '')}>
          <span class="light light-online" aria-hidden="true" />
          {t('presence.goOnline')}
        </button>
      )}
      {since ? (
        <span class="presence-since" data-testid="presence-since" title={since}>
          <span class="presence-since-clock">{t('presence.since', { time: formatClock(user.presence_since!) })} · </span>
          {formatDuration(serverNow(offset, now) - user.presence_since!)}
        </span>
      ) : null}
    </div>
  );
}

/** Why the link is down, in words (the Go error stays in the app's log). */
function reasonText(reason: string | undefined): string {
  switch (reason) {
    case 'unreachable':
      return t('connection.reason.unreachable');
    case 'server_restarting':
      return t('connection.reason.server_restarting');
    case 'connection_lost':
      return t('connection.reason.connection_lost');
    default:
      return '';
  }
}

/** The connection as a short label: connected / reconnecting… / offline since HH:MM. */
export function connectionLabel(c: Connection | undefined): { tone: 'ok' | 'warn' | 'bad'; text: string; detail: string } {
  if (!c) return { tone: 'bad', text: t('connection.signed_out'), detail: '' };
  switch (c.state) {
    case 'connected':
      return { tone: 'ok', text: t('connection.connected'), detail: c.since ? t('presence.since', { time: formatClock(c.since) }) : '' };
    case 'connecting':
      return { tone: 'warn', text: t('connection.connecting'), detail: '' };
    case 'reconnecting': {
      const detail = [c.since ? t('connection.offlineSince', { time: formatClock(c.since) }) : '', c.attempt > 0 ? t('connection.attempt', { n: c.attempt }) : '', reasonText(c.reason)]
        .filter(Boolean)
        .join(' · ');
      return { tone: 'bad', text: t('connection.reconnecting'), detail };
    }
    default:
      return { tone: 'bad', text: t('connection.signed_out'), detail: '' };
  }
}

export function ConnectionIndicator() {
  const c = useApp((s) => s.session?.connection);
  const { tone, text, detail } = connectionLabel(c);
  return (
    <div class={`conn conn-${tone}`} data-testid="connection-indicator" data-state={c?.state ?? 'signed_out'} title={detail || text} role="status">
      <span class="conn-dot" aria-hidden="true" />
      <span class="conn-text">{text}</span>
      {tone === 'bad' && detail ? <span class="conn-detail">{detail}</span> : null}
    </div>
  );
}

export function HelpTooltip() {
  const [open, setOpen] = useState(false);
  const rows: Array<[string, MessageKey]> = [
    ['Ctrl+K', 'help.search'],
    ['Enter', 'help.enter'],
    ['Ctrl+Enter', 'help.send'],
    ['/', 'help.quick'],
    ['Alt+1 … Alt+5', 'help.tabs'],
    ['Alt+↓ / Alt+↑', 'help.nextPrev'],
    ['Alt+P', 'help.pull'],
    ['Alt+T', 'help.transfer'],
    ['Alt+E', 'help.end'],
    ['Alt+O / Alt+B', 'help.presence'],
    ['Esc', 'help.esc'],
  ];
  return (
    <div class="help" onMouseEnter={() => setOpen(true)} onMouseLeave={() => setOpen(false)}>
      <button
        type="button"
        class="icon-btn"
        data-testid="help-button"
        aria-label={t('topbar.help')}
        aria-expanded={open}
        onClick={() => setOpen(!open)}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
      >
        <IconHelp />
      </button>
      {open ? (
        <div class="tooltip help-tooltip" role="tooltip" data-testid="help-tooltip">
          <div class="menu-title">{t('help.title')}</div>
          <table>
            <tbody>
              {rows.map(([k, label]) => (
                <tr key={k}>
                  <td>
                    <kbd>{k}</kbd>
                  </td>
                  <td>{t(label)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
    </div>
  );
}
