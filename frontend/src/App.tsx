// The window: sign-in until there is a session, then the inbox shell (top bar, tabs on the
// left, the open conversation, dialogs, notices). Global keyboard shortcuts live here.

import { useEffect } from 'preact/hooks';
import { ControllerContext, useApp, useController } from './context';
import type { Controller } from './controller';
import { t } from './i18n';
import { splitOffers } from './logic/inbox';
import { ConversationPane } from './components/ConversationPane';
import { EndDialog } from './components/EndDialog';
import { Login } from './components/Login';
import { ChannelsDialog } from './components/ChannelsDialog';
import { FlowsDialog } from './components/FlowsDialog';
import { AdminDialog } from './components/AdminDialog';
import { DashboardWindow } from './dashboard/DashboardWindow';
import { ShopsDialog } from './components/ShopsDialog';
import { SettingsDialog } from './components/SettingsDialog';
import { Sidebar } from './components/Sidebar';
import { Toasts } from './components/Toasts';
import { TopBar, connectionLabel } from './components/TopBar';
import { TransferDialog } from './components/TransferDialog';
import { UpdateNotice, UpdateRequired } from './components/Updates';
import { OfferCard } from './components/TransfersPanel';
import type { Theme } from './types';

export function App({ controller }: { controller: Controller }) {
  return (
    <ControllerContext.Provider value={controller}>
      <Root />
    </ControllerContext.Provider>
  );
}

export function applyTheme(theme: Theme | undefined): void {
  const root = document.documentElement;
  if (theme === 'light' || theme === 'dark') root.dataset.theme = theme;
  else delete root.dataset.theme;
}

function Root() {
  const ctl = useController();
  useApp((s) => s.language); // every screen re-renders when the language changes
  const booted = useApp((s) => s.booted);
  const signedIn = useApp((s) => !!s.session?.signed_in);
  const theme = useApp((s) => s.session?.preferences?.theme);
  const updateRequired = useApp((s) => s.session?.update?.state === 'required');
  const dashboard = useApp((s) => !!s.session?.dashboard);

  useEffect(() => applyTheme(theme), [theme]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => handleShortcut(ctl, e);
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [ctl]);

  if (!booted) {
    return (
      <div class="splash" data-testid="splash">
        <span class="brand-mark" aria-hidden="true">S</span>
        <span class="muted">{t('app.loading')}</span>
      </div>
    );
  }
  // An app the server no longer accepts shows only the update screen (components/Updates.tsx).
  if (updateRequired) return <UpdateRequired />;
  return (
    <>
      {signedIn ? dashboard ? <DashboardWindow /> : <Shell /> : <Login />}
      <Toasts />
    </>
  );
}

/** Ctrl+K search, Alt+1..5 tabs, Esc closes dialogs. (Enter/Ctrl+Enter belong to the composer.) */
export function handleShortcut(ctl: Controller, e: KeyboardEvent): void {
  if (!ctl.state.session?.signed_in) return;
  if ((e.ctrlKey || e.metaKey) && !e.altKey && (e.key === 'k' || e.key === 'K')) {
    e.preventDefault();
    focusSearch(ctl);
    return;
  }
  if (e.altKey && !e.ctrlKey && !e.metaKey) {
    const n = /^Digit([1-5])$/.exec(e.code)?.[1] ?? (/^[1-5]$/.test(e.key) ? e.key : undefined);
    if (n) {
      e.preventDefault();
      ctl.setTabByIndex(Number(n) - 1);
      return;
    }
  }
  if (e.key === 'Escape' && ctl.state.dialog) {
    e.preventDefault();
    ctl.closeDialog();
  }
}

function focusSearch(ctl: Controller) {
  const find = () => document.querySelector<HTMLInputElement>('.sidebar [data-search]');
  const el = find();
  if (el) {
    el.focus();
    el.select();
    return;
  }
  // Tabs without a search field: go to My conversations and focus its search.
  ctl.setTab('mine');
  requestAnimationFrame(() => find()?.focus());
}

function Shell() {
  const dialog = useApp((s) => s.dialog);
  const connection = useApp((s) => s.session?.connection);
  const tab = useApp((s) => s.tab);
  const offers = useApp((s) => s.inbox.offers);
  const meId = useApp((s) => s.session?.user?.id);
  const incoming = splitOffers(offers, meId).incoming;
  const conn = connectionLabel(connection);
  return (
    <div class="shell" data-testid="shell">
      <TopBar />
      <UpdateNotice />
      {connection?.state === 'reconnecting' ? (
        <div class="banner banner-offline" data-testid="offline-banner" role="status">
          <strong>{conn.text}</strong> <span>{t('connection.offlineBanner')}</span>
        </div>
      ) : null}
      <div class="workspace">
        <Sidebar />
        <main class="main">
          {tab !== 'transfers' && incoming.length > 0 ? (
            <div class="offer-strip" data-testid="offer-strip">
              {incoming.map((o) => (
                <OfferCard key={o.id} offer={o} incoming bar />
              ))}
            </div>
          ) : null}
          <ConversationPane />
        </main>
      </div>
      {dialog?.kind === 'transfer' ? <TransferDialog conversationId={dialog.conversationId} /> : null}
      {dialog?.kind === 'end' ? <EndDialog conversationId={dialog.conversationId} /> : null}
      {dialog?.kind === 'settings' ? <SettingsDialog /> : null}
      {dialog?.kind === 'channels' ? <ChannelsDialog /> : null}
      {dialog?.kind === 'flows' ? <FlowsDialog /> : null}
      {dialog?.kind === 'admin' ? <AdminDialog tab={dialog.tab} /> : null}
      {dialog?.kind === 'shops' ? <ShopsDialog /> : null}
    </div>
  );
}
