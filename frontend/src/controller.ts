// What the UI does: each agent action calls one binding and folds the answer into the store;
// the Go side's events ("inbox", "conversation", "connection", "session", "open-conversation")
// trigger re-reads. Re-reads are coalesced so a burst of events costs one call at a time.

import { AppError, bridge as defaultBridge, onEvent, toAppError, type Bridge } from './bridge';
import { errorText, getLanguage, has, setLanguage, t, type MessageKey } from './i18n';
import { upsertOutbox } from './logic/outbox';
import { sortMine } from './logic/inbox';
import {
  addPending,
  afterSend,
  busy as attachmentsBusy,
  CHUNK_BYTES,
  dataURLBase64,
  markFailed,
  markReady,
  markUploading,
  readyAttachments,
  removePending,
  setProgress,
  setUpload,
  type PendingAttachment,
} from './logic/attachments';
import { clockOffset } from './time';
import { emptyQuery, signedOutState, Store, TABS, type Dialog, type State, type Tab, type Toast } from './store';
import type { ChannelAccount, ChannelRequest, Connection, ConversationView, Flow, FlowDefinition, SimulateRequest, SimulateResponse, WireError, HistoryQuery, HistoryView, Inbox, LeftEvent, OfferFailedEvent, OutboxEvent, OutboxItem, Preferences, Presence, Session, Template } from './types';
import type { ShopOrderActionRequest, ShopOrderActionResult, ShopPanel, ShopProductSearch, ShopStore, ShopStoreRequest, ShopTestResult } from './types';

/** Runs an async job at most once at a time; a request during a run schedules one more run. */
export class Coalescer {
  private running: Promise<void> | null = null;
  private again = false;
  constructor(private job: () => Promise<void>) {}

  run(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.job();
        } while (this.again);
      } finally {
        this.running = null;
      }
    })();
    return this.running;
  }
}

const TOAST_MS = 6000;

/** The problem a refusal's notice is about, by its code: such a notice goes when the problem is
 * gone (the connection back, the agent online again), not only when its time is up. */
const TOAST_KEYS: Record<string, string> = {
  offline: 'connection',
  not_online: 'presence',
  agent_on_break: 'presence',
};

export class Controller {
  readonly store: Store;
  private readonly api: Bridge;
  private offs: Array<() => void> = [];
  private viewToken = 0;
  private historyTokens: Record<HistoryView, number> = { history: 0, ended: 0 };
  private toastSeq = 0;
  private toastTimers = new Map<number, ReturnType<typeof setTimeout>>();
  // Each conversation-left event's number, to tell a view read after it from one read before.
  private leftSeq = 0;
  private lostAt = new Map<number, number>();
  private inboxLoader: Coalescer;
  private viewLoader: Coalescer;

  constructor(store: Store = new Store(), api: Bridge = defaultBridge) {
    this.store = store;
    this.api = api;
    this.inboxLoader = new Coalescer(() => this.readInbox());
    this.viewLoader = new Coalescer(() => this.readView());
  }

  get state(): State {
    return this.store.get();
  }

  /** The bridge, for the supervisors' screens that call it directly (dashboard, admin). */
  get bridge(): Bridge {
    return this.api;
  }

  private set(patch: Partial<State> | ((s: State) => Partial<State>)) {
    this.store.set(patch);
  }

  // ---- life cycle ---------------------------------------------------------------------------

  /** Subscribes to the Go side's events and reads the session (and the Inbox when signed in). */
  async start(): Promise<void> {
    this.offs.push(
      onEvent('connection', (c) => this.applyConnection(c)),
      onEvent('inbox', () => void this.loadInbox()),
      onEvent('conversation', (p) => {
        if (p && p.id === this.state.selectedId) void this.viewLoader.run();
      }),
      onEvent('open-conversation', (p) => {
        if (p && typeof p.id === 'number') void this.openFromNotification(p.id);
      }),
      onEvent('session', () => void this.loadSession()),
      onEvent('conversation-left', (p) => p && this.applyLeft(p)),
      onEvent('outbox', (p) => p && this.applyOutbox(p)),
      onEvent('offer-failed', (p) => p && this.applyOfferFailed(p)),
    );
    if (typeof window !== 'undefined') {
      const focus = () => void this.api.setFocused(true).catch(() => {});
      const blur = () => void this.api.setFocused(false).catch(() => {});
      window.addEventListener('focus', focus);
      window.addEventListener('blur', blur);
      this.offs.push(() => {
        window.removeEventListener('focus', focus);
        window.removeEventListener('blur', blur);
      });
      void this.api.setFocused(typeof document !== 'undefined' && document.hasFocus()).catch(() => {});
    }
    await this.loadSession();
  }

  stop(): void {
    for (const off of this.offs.splice(0)) off();
  }

  async loadSession(): Promise<void> {
    try {
      const session = await this.api.session();
      performance.mark?.('santral:session'); // the cold start's steps (bridge.ts reportInboxShown)
      this.applySession(session);
      if (session.signed_in) await this.loadInbox();
    } catch (e) {
      this.set({ booted: true, bootError: errorText(toAppError(e)) });
    }
  }

  applySession(session: Session): void {
    this.applyLanguage(session.preferences?.language);
    if (!session.signed_in) {
      this.set((s) => signedOutState(s, session));
      return;
    }
    this.set({ booted: true, bootError: '', session });
  }

  private applyLanguage(lang: string | undefined): void {
    setLanguage(lang);
    const language = getLanguage();
    if (this.state.language !== language) this.set({ language });
  }

  applyConnection(c: Connection): void {
    const s = this.state.session;
    if (!s || !c) return;
    this.set({ session: { ...s, connection: c } });
    if (c.state === 'connected') this.dismissToasts('connection');
  }

  // ---- session --------------------------------------------------------------------------------

  async login(serverURL: string, username: string, password: string): Promise<void> {
    const session = await this.api.login(serverURL.trim(), username.trim(), password);
    this.applySession(session);
    if (session.signed_in) await this.loadInbox();
  }

  /** Opens the server's download address for the app in the browser (the update screens). */
  async openDownload(): Promise<void> {
    try {
      await this.api.openDownload();
    } catch (e) {
      this.fail(e);
    }
  }

  async logout(): Promise<void> {
    try {
      await this.api.logout();
    } catch (e) {
      this.fail(e);
    }
    await this.loadSession();
  }

  async savePreferences(p: Preferences): Promise<void> {
    const session = await this.api.savePreferences(p);
    this.applySession(session.signed_in ? session : { ...session, preferences: p });
  }

  /** Changes the language before sign-in; remembered when the Go side accepts it. */
  async setLoginLanguage(p: Preferences): Promise<void> {
    this.applyLanguage(p.language);
    const s = this.state.session;
    if (s) this.set({ session: { ...s, preferences: p } });
    try {
      await this.api.savePreferences(p);
    } catch {
      // signed out: the choice still applies to this window
    }
  }

  async setPresence(presence: Presence, reason: string): Promise<boolean> {
    return this.busy('presence', async () => {
      const user = await this.api.setPresence(presence, presence === 'break' ? reason.trim() : '');
      const s = this.state.session;
      if (s) this.set({ session: { ...s, user } });
      if (user.presence === 'online') this.dismissToasts('presence');
      this.set((st) => ({ inbox: { ...st.inbox, agents: st.inbox.agents.map((a) => (a.id === user.id ? user : a)) } }));
      void this.loadInbox();
    });
  }

  // ---- inbox ----------------------------------------------------------------------------------

  loadInbox(): Promise<void> {
    return this.inboxLoader.run();
  }

  private async readInbox(): Promise<void> {
    if (!this.state.session?.signed_in) return;
    try {
      const inbox = await this.api.inbox();
      performance.mark?.('santral:inbox');
      this.applyInbox(inbox, Date.now());
    } catch (e) {
      this.handleAuth(e);
    }
  }

  applyInbox(inbox: Inbox, localNow: number): void {
    const me = this.state.session?.user;
    const meFresh = me ? inbox.agents.find((a) => a.id === me.id) : undefined;
    this.set((s) => ({
      inbox,
      inboxLoaded: true,
      offset: clockOffset(inbox.server_time, localNow),
      // The agents list carries my presence too; keep the top bar in step with it.
      session: s.session && meFresh ? { ...s.session, user: { ...s.session.user!, ...meFresh } } : s.session,
    }));
  }

  setTab(tab: Tab): void {
    const entering = this.state.tab !== tab;
    this.set({ tab });
    // The history lives on the server: opening the tab shows it as it is now, same filter.
    if ((tab === 'history' || tab === 'ended') && (entering || !this.state.history[tab].loaded)) void this.historySearch(tab);
  }

  setTabByIndex(i: number): void {
    const tab = TABS[i];
    if (tab) this.setTab(tab);
  }

  // ---- conversation ---------------------------------------------------------------------------

  /** A view read that started after the conversation left me shows it mine again (taken up,
   * pulled, transferred back): it is not lost any more. */
  private showView(view: ConversationView, readAt: number): void {
    const id = view.conversation.id;
    const mine = !view.refused && view.conversation.state === 'assigned' && view.conversation.agent_id === this.state.session?.user?.id;
    const found = this.lostAt.get(id);
    if (mine && found != null && readAt >= found) {
      this.lostAt.delete(id);
      this.set((s) => {
        const lost = { ...s.lost };
        delete lost[id];
        return { view, lost };
      });
      return;
    }
    this.set({ view });
  }

  async select(id: number): Promise<void> {
    const token = ++this.viewToken;
    const readAt = this.leftSeq;
    this.set((s) => ({
      selectedId: id,
      viewLoading: s.view?.conversation.id !== id,
      viewError: '',
      view: s.view?.conversation.id === id ? s.view : null,
      // Opening marks it read on the Go side; show that at once.
      inbox: s.inbox.mine.some((c) => c.id === id && c.unread > 0)
        ? {
            ...s.inbox,
            unread_total: Math.max(0, s.inbox.unread_total - (s.inbox.mine.find((c) => c.id === id)?.unread ?? 0)),
            mine: s.inbox.mine.map((c) => (c.id === id ? { ...c, unread: 0 } : c)),
          }
        : s.inbox,
    }));
    try {
      const view = await this.api.openConversation(id);
      if (token !== this.viewToken) return;
      this.set({ viewLoading: false });
      this.showView(view, readAt);
    } catch (e) {
      if (token !== this.viewToken) return;
      this.set({ viewLoading: false, viewError: errorText(toAppError(e)) });
      this.handleAuth(e);
    }
  }

  private async readView(): Promise<void> {
    const id = this.state.selectedId;
    if (id == null) return;
    const token = this.viewToken;
    const readAt = this.leftSeq;
    try {
      const view = await this.api.openConversation(id);
      if (token !== this.viewToken || this.state.selectedId !== id) return;
      this.set({ viewError: '' });
      this.showView(view, readAt);
    } catch (e) {
      const err = toAppError(e);
      // The conversation went out of reach (e.g. transferred away and now hidden): say so
      // rather than keep a stale view with a composer.
      if ((err.code === 'forbidden' || err.code === 'not_found' || err.code === 'not_holder') && token === this.viewToken && this.state.selectedId === id) {
        this.set({ view: null, viewError: errorText(err) });
      }
      this.handleAuth(err);
    }
  }

  reloadView(): Promise<void> {
    return this.viewLoader.run();
  }

  closeConversation(): void {
    ++this.viewToken;
    this.set({ selectedId: null, view: null, viewLoading: false, viewError: '' });
  }

  private async openFromNotification(id: number): Promise<void> {
    const { inbox, session } = this.state;
    this.set({ dialog: null });
    // A transfer offer's notification: the conversation is not ours yet, show the offer.
    const offered = inbox.offers.some((o) => o.state === 'pending' && o.conversation_id === id && o.to_agent_id === session?.user?.id);
    if (offered && !inbox.mine.some((c) => c.id === id)) {
      this.setTab('transfers');
      return;
    }
    this.set({ tab: 'mine' });
    await this.select(id);
  }

  /** A conversation left me (my transfer was accepted, it went back to the queue, …): its
   * composer locks at once, with the reason; the inbox re-read drops it from my list. */
  applyLeft(left: LeftEvent): void {
    this.lostAt.set(left.id, ++this.leftSeq);
    this.set((s) => ({
      lost: { ...s.lost, [left.id]: left },
      dialog: s.dialog && 'conversationId' in s.dialog && s.dialog.conversationId === left.id ? null : s.dialog,
      inbox: { ...s.inbox, mine: s.inbox.mine.filter((c) => c.id !== left.id) },
    }));
  }

  /** A reply's new state from the sync engine: into the conversation on screen, or, when the
   * server refused a reply to a conversation not on screen, a notice naming it. */
  applyOutbox(ev: OutboxEvent): void {
    const item = ev.item;
    const onScreen = this.state.view?.conversation.id === item.conversation_id;
    if (onScreen) this.set((s) => ({ view: s.view ? { ...s.view, outbox: upsertOutbox(s.view.outbox, item) } : s.view }));
    else if (item.state === 'failed') this.refusedElsewhere(item, ev.conversation);
    // Retried and on its way (or delivered): the notice about its refusal goes.
    if (item.state !== 'failed') this.dismissToasts('outbox:' + item.key);
  }

  private refusedElsewhere(item: OutboxItem, name: string): void {
    this.toast('error', t('toast.replyRefused', { name: name || t('common.conversationNo', { id: item.conversation_id }), reason: errorText(item.error ?? { code: '', message: '' }) }), 'outbox:' + item.key);
  }

  setDraft(conversationId: number, text: string): void {
    this.set((s) => ({ drafts: { ...s.drafts, [conversationId]: text } }));
  }

  /** The composer took or lost the focus (my list holds its order while the agent types). */
  setComposing(on: boolean): void {
    if (this.state.composing !== on) this.set({ composing: on });
  }

  /** Queues a reply (with the composer's uploaded files); the sync engine delivers it. Returns
   * false when refused at once, or while a file is still uploading. */
  async send(conversationId: number, body: string): Promise<boolean> {
    const pending = this.state.attachments[conversationId] ?? [];
    if (attachmentsBusy(pending)) return false;
    const files = readyAttachments(pending);
    if (!body.trim() && files.length === 0) return false;
    try {
      const item = files.length > 0 ? await this.api.sendWithAttachments(conversationId, body, files) : await this.api.send(conversationId, body);
      const onScreen = this.state.view?.conversation.id === conversationId;
      this.set((s) => ({
        drafts: { ...s.drafts, [conversationId]: '' },
        attachments: files.length > 0 ? { ...s.attachments, [conversationId]: afterSend(s.attachments[conversationId] ?? []) } : s.attachments,
        view: s.view && s.view.conversation.id === conversationId ? { ...s.view, outbox: upsertOutbox(s.view.outbox, item) } : s.view,
      }));
      // The agent moved on while the server answered: the refusal still reaches them.
      if (!onScreen && item.state === 'failed') this.refusedElsewhere(item, '');
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  private setAttachments(conversationId: number, fn: (l: PendingAttachment[]) => PendingAttachment[]) {
    this.set((s) => ({ attachments: { ...s.attachments, [conversationId]: fn(s.attachments[conversationId] ?? []) } }));
  }

  /** Adds picked or dropped files to a conversation's composer and uploads each (online only):
   * the file is handed to the Go side in chunks, which streams it to the server. */
  async addAttachments(conversationId: number, files: File[]): Promise<void> {
    if (files.length === 0) return;
    const before = (this.state.attachments[conversationId] ?? []).length;
    this.setAttachments(conversationId, (l) => addPending(l, files));
    const added = (this.state.attachments[conversationId] ?? []).slice(before);
    const still = (id: number) => (this.state.attachments[conversationId] ?? []).some((a) => a.id === id);
    await Promise.all(
      added.map(async (p, i) => {
        const file = files[i];
        try {
          const upload = await this.api.uploadBegin(conversationId, p.name, p.mime, file.size);
          this.setAttachments(conversationId, (l) => setUpload(l, p.id, upload));
          for (let offset = 0; offset < file.size; offset += CHUNK_BYTES) {
            if (!still(p.id)) return; // removed meanwhile (removeAttachment cancelled it)
            const chunk = await readBase64(file.slice(offset, Math.min(file.size, offset + CHUNK_BYTES)));
            await this.api.uploadChunk(upload, offset, chunk);
            this.setAttachments(conversationId, (l) => setProgress(l, p.id, Math.min(file.size, offset + CHUNK_BYTES) / file.size));
          }
          if (!still(p.id)) return;
          this.setAttachments(conversationId, (l) => markUploading(l, p.id));
          const att = await this.api.uploadFinish(upload);
          this.setAttachments(conversationId, (l) => markReady(l, p.id, att));
        } catch (e) {
          const err = toAppError(e);
          this.setAttachments(conversationId, (l) => markFailed(l, p.id, { code: err.code, message: err.message, field: err.field }));
        }
      }),
    );
  }

  removeAttachment(conversationId: number, id: number): void {
    const upload = (this.state.attachments[conversationId] ?? []).find((a) => a.id === id)?.upload;
    if (upload) void this.api.uploadCancel(upload).catch(() => {});
    this.setAttachments(conversationId, (l) => removePending(l, id));
  }

  // ---- channel accounts (admins) -----------------------------------------------------------

  channelAccounts(): Promise<ChannelAccount[]> {
    return this.api.channelAccounts();
  }

  saveChannelAccount(id: number, req: ChannelRequest): Promise<ChannelAccount> {
    return this.api.saveChannelAccount(id, req);
  }

  syncTemplates(id: number): Promise<Template[]> {
    return this.api.syncTemplates(id);
  }

  async retrySend(key: string): Promise<void> {
    await this.guard(async () => {
      await this.api.retrySend(key);
      this.dismissToasts('outbox:' + key);
      this.set((s) => ({
        view: s.view ? { ...s.view, outbox: s.view.outbox.map((o) => (o.key === key ? { ...o, state: 'queued', error: null } : o)) } : s.view,
      }));
      void this.reloadView();
    });
  }

  async discardSend(key: string): Promise<void> {
    await this.guard(async () => {
      await this.api.discardSend(key);
      this.set((s) => ({ view: s.view ? { ...s.view, outbox: s.view.outbox.filter((o) => o.key !== key) } : s.view }));
      this.dismissToasts('outbox:' + key);
    });
  }

  /** The approved templates of a conversation's channel (online only). */
  templates(conversationId: number): Promise<Template[]> {
    return this.api.templates(conversationId);
  }

  /** Sends a template message; true when the server took it. Refusals become a toast. */
  async sendTemplate(conversationId: number, templateId: number, params: string[]): Promise<boolean> {
    try {
      await this.api.sendTemplate(conversationId, templateId, params);
      this.toast('success', t('toast.templateSent'));
      if (this.state.selectedId === conversationId) void this.reloadView();
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  // The shop in the conversation: the panel asks through here; refusals of actions become a
  // toast in the current language (with the platform's words), answers reload the view.

  /** The contact's orders in every connected store ('' = by phone and e-mail). */
  shopOrders(conversationId: number, number: string): Promise<ShopPanel> {
    return this.api.shopOrders(conversationId, number);
  }

  shopProducts(conversationId: number, query: string): Promise<ShopProductSearch> {
    return this.api.shopProducts(conversationId, query);
  }

  /** Sends a product into the chat; true when the server took it. */
  async sendProduct(conversationId: number, storeId: number, productId: string): Promise<boolean> {
    try {
      await this.api.sendProduct(conversationId, storeId, productId);
      this.toast('success', t('shop.productSent'));
      if (this.state.selectedId === conversationId) void this.reloadView();
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  /** Runs a confirmed order action; the result, or null when refused (shown as a toast). */
  async shopOrderAction(conversationId: number, req: ShopOrderActionRequest): Promise<ShopOrderActionResult | null> {
    try {
      const res = await this.api.shopOrderAction(conversationId, { ...req, confirm: true });
      this.toast('success', res.pending ? t('shop.actionPending') : t('shop.actionDone'));
      if (this.state.selectedId === conversationId) void this.reloadView();
      return res;
    } catch (e) {
      const err = toAppError(e);
      // The platform's refusal in its own words beside ours.
      this.toast('error', err.code === 'shop_refused' && err.message ? `${errorText(err)} ${err.message}` : errorText(err));
      this.handleAuth(err);
      if (this.state.selectedId === conversationId) void this.reloadView();
      return null;
    }
  }

  /** Admins: the connected stores (credentials by name only). */
  shopStores(): Promise<ShopStore[]> {
    return this.api.shopStores();
  }

  saveShopStore(id: number, req: ShopStoreRequest): Promise<ShopStore> {
    return this.api.saveShopStore(id, req);
  }

  testShopStore(id: number): Promise<ShopTestResult> {
    return this.api.testShopStore(id);
  }

  /** A server media path as a data: URL for previews (fetched once by the Go side). */
  mediaURL(path: string, mime: string): Promise<string> {
    return this.api.mediaURL(path, mime);
  }

  renderQuickMessage(conversationId: number, quickMessageId: number): Promise<string> {
    return this.api.renderQuickMessage(conversationId, quickMessageId);
  }

  /** The quick messages as they would be sent in this conversation, by id, for the popup. */
  quickMessagePreviews(conversationId: number): Promise<Record<string, string>> {
    return this.api.quickMessagePreviews(conversationId);
  }

  // ---- chatbot flows ----------------------------------------------------------------------

  /** The flows the composer's flows button lists: the published ones (online only). */
  async publishedFlows(): Promise<Flow[]> {
    return (await this.api.flows()).filter((f) => f.published_version > 0 && !f.archived);
  }

  /** Hands a held conversation to a flow: the server takes it from me (it leaves my list, the
   * timeline records it) and the flow talks. True when the server took it. */
  async handToFlow(conversationId: number, flow: Flow): Promise<boolean> {
    return this.busy('flow:' + conversationId, async () => {
      await this.api.handToFlow(conversationId, flow.id);
      this.toast('success', t('toast.handedToFlow', { flow: flow.name }));
      void this.loadInbox();
      if (this.state.selectedId === conversationId) void this.reloadView();
    });
  }

  // The admins' flow editor: each call is the server's (it validates, versions and runs flows);
  // refusals are thrown for the editor to show beside the step they are about.
  flowsForAdmin(): Promise<Flow[]> {
    return this.api.flows();
  }

  flow(id: number): Promise<Flow> {
    return this.api.flow(id);
  }

  saveFlow(id: number, name: string, def: FlowDefinition): Promise<Flow> {
    return this.api.saveFlow(id, name.trim(), def);
  }

  validateFlow(def: FlowDefinition): Promise<WireError[]> {
    return this.api.validateFlow(def);
  }

  publishFlow(id: number): Promise<Flow> {
    return this.api.publishFlow(id);
  }

  archiveFlow(id: number): Promise<void> {
    return this.api.archiveFlow(id);
  }

  simulateFlow(req: SimulateRequest): Promise<SimulateResponse> {
    return this.api.simulateFlow(req);
  }

  exportFlow(id: number): Promise<string> {
    return this.api.exportFlow(id);
  }

  importFlow(text: string): Promise<Flow> {
    return this.api.importFlow(text);
  }

  setDefaultFlow(channelId: number, flowId: number): Promise<ChannelAccount> {
    return this.api.setDefaultFlow(channelId, flowId);
  }

  async pull(): Promise<boolean> {
    return this.busy('pull', async () => {
      const c = await this.api.pull();
      this.toast('success', t('toast.pulled', { name: c.contact?.name || '#' + c.id }));
      this.set({ tab: 'mine' });
      await this.loadInbox();
      await this.select(c.id);
    });
  }

  /** Offers the conversation; throws so the dialog can show the refusal beside the form. */
  async transfer(conversationId: number, toAgentId: number, note: string): Promise<void> {
    await this.api.transfer(conversationId, toAgentId, note.trim());
    this.toast('success', t('toast.transferSent'));
    this.set({ dialog: null });
    void this.loadInbox();
    if (this.state.selectedId === conversationId) void this.reloadView();
  }

  async acceptTransfer(offerId: number): Promise<boolean> {
    return this.busy('offer:' + offerId, async () => {
      const c = await this.api.acceptTransfer(offerId);
      this.toast('success', t('toast.transferAccepted'));
      this.set({ tab: 'mine' });
      await this.loadInbox();
      await this.select(c.id);
    });
  }

  async rejectTransfer(offerId: number): Promise<boolean> {
    return this.busy('offer:' + offerId, async () => {
      await this.api.rejectTransfer(offerId);
      this.toast('info', t('toast.transferRejected'));
      await this.loadInbox();
    });
  }

  async cancelTransfer(offerId: number): Promise<boolean> {
    return this.busy('offer:' + offerId, async () => {
      await this.api.cancelTransfer(offerId);
      this.toast('info', t('toast.transferCancelled'));
      await this.loadInbox();
      void this.reloadView();
    });
  }

  /** Ends the conversation; throws so the dialog can show the refusal. */
  async end(conversationId: number, endReasonId: number): Promise<void> {
    // The one to go on with, read before the end changes the list: the conversation below it in
    // my list, or the one above when it was the last (issue 11, the agent's polish).
    const list = sortMine(this.state.inbox.mine);
    const at = list.findIndex((c) => c.id === conversationId);
    const next = at < 0 ? undefined : (list[at + 1] ?? list[at - 1]);
    await this.api.end(conversationId, endReasonId);
    this.toast('success', t('toast.ended'));
    if (this.state.selectedId === conversationId) {
      this.set((s) => ({ dialog: null, inbox: { ...s.inbox, mine: s.inbox.mine.filter((c) => c.id !== conversationId) } }));
      if (next) void this.select(next.id);
      else this.closeConversation();
    }
    this.set((s) => ({
      dialog: null,
      history: {
        history: { ...s.history.history, loaded: false },
        ended: { ...s.history.ended, loaded: false },
      },
    }));
    void this.loadInbox();
    if (this.state.selectedId === conversationId) void this.reloadView();
  }

  async takeUp(conversationId: number): Promise<boolean> {
    return this.busy('takeup:' + conversationId, async () => {
      const c = await this.api.takeUp(conversationId);
      this.toast('success', t('toast.takenUp'));
      this.set({ tab: 'mine' });
      await this.loadInbox();
      await this.select(c.id);
      this.set((s) => ({
        history: { history: { ...s.history.history, loaded: false }, ended: { ...s.history.ended, loaded: false } },
      }));
    });
  }

  // ---- history --------------------------------------------------------------------------------

  /** Runs the filter from the first page; `patch` changes the query first. */
  async historySearch(view: HistoryView, patch: Partial<HistoryQuery> = {}): Promise<void> {
    const query: HistoryQuery = { ...this.state.history[view].query, ...patch, view, cursor: '' };
    this.set((s) => ({ history: { ...s.history, [view]: { ...s.history[view], query, items: [], next: '', loading: true, error: '' } } }));
    await this.readHistoryPage(view, query, false);
  }

  async historyMore(view: HistoryView): Promise<void> {
    const h = this.state.history[view];
    if (h.loading || !h.next) return;
    this.set((s) => ({ history: { ...s.history, [view]: { ...s.history[view], loading: true, error: '' } } }));
    await this.readHistoryPage(view, { ...h.query, cursor: h.next }, true);
  }

  historyReset(view: HistoryView): Promise<void> {
    this.set((s) => ({ history: { ...s.history, [view]: { ...s.history[view], query: emptyQuery(view) } } }));
    return this.historySearch(view);
  }

  private async readHistoryPage(view: HistoryView, query: HistoryQuery, append: boolean): Promise<void> {
    const token = ++this.historyTokens[view];
    try {
      const page = await this.api.history(query);
      if (token !== this.historyTokens[view]) return;
      this.set((s) => {
        const prev = s.history[view];
        const seen = new Set(append ? prev.items.map((c) => c.id) : []);
        const items = append ? [...prev.items, ...page.conversations.filter((c) => !seen.has(c.id))] : page.conversations;
        return { history: { ...s.history, [view]: { ...prev, items, next: page.next_cursor ?? '', loading: false, loaded: true, error: '' } } };
      });
    } catch (e) {
      if (token !== this.historyTokens[view]) return;
      this.set((s) => ({
        history: { ...s.history, [view]: { ...s.history[view], loading: false, loaded: true, error: errorText(toAppError(e)) } },
      }));
      this.handleAuth(e);
    }
  }

  /** My transfer offer did not go through: say so in words, once; the conversation stays mine. */
  applyOfferFailed(p: OfferFailedEvent): void {
    const to = p.to_name || t('common.unknownAgent', { id: p.offer.to_agent_id });
    const key = ('offerFailed.' + p.offer.state) as MessageKey;
    this.toast('info', t(has(key) ? key : 'offerFailed.withdrawn', { to }));
  }

  // ---- dialogs and notices --------------------------------------------------------------------

  openDialog(dialog: Dialog): void {
    this.set({ dialog });
  }

  closeDialog(): void {
    if (this.state.dialog) this.set({ dialog: null });
  }

  /** Shows a notice. `key` names the problem it is about (TOAST_KEYS): the same problem again
   * is one notice with a count (its timer starts over), and it goes when the problem is gone
   * (dismissToasts), not only when its time is up. */
  toast(kind: Toast['kind'], text: string, key?: string): void {
    const same = this.state.toasts.find((x) => (key ? x.key === key : !x.key && x.kind === kind && x.text === text));
    if (same) {
      this.set((s) => ({ toasts: s.toasts.map((x) => (x.id === same.id ? { ...x, kind, text, count: (x.count ?? 1) + 1 } : x)) }));
      this.armToast(same.id, kind);
      return;
    }
    const id = ++this.toastSeq;
    this.set((s) => ({ toasts: [...s.toasts.slice(-3), { id, kind, text, ...(key ? { key } : {}) }] }));
    this.armToast(id, kind);
  }

  private armToast(id: number, kind: Toast['kind']): void {
    clearTimeout(this.toastTimers.get(id));
    this.toastTimers.set(
      id,
      setTimeout(() => this.dismissToast(id), kind === 'error' ? TOAST_MS * 1.5 : TOAST_MS),
    );
  }

  dismissToast(id: number): void {
    clearTimeout(this.toastTimers.get(id));
    this.toastTimers.delete(id);
    if (this.state.toasts.some((x) => x.id === id)) this.set((s) => ({ toasts: s.toasts.filter((x) => x.id !== id) }));
  }

  /** The problem a notice was about is gone (the connection is back, the reply went out): its
   * notices go at once. */
  dismissToasts(key: string): void {
    for (const x of this.state.toasts) if (x.key === key) this.dismissToast(x.id);
  }

  /** Shows a refusal as a notice in the current language. */
  fail(e: unknown): void {
    const err = toAppError(e);
    this.toast('error', errorText(err), TOAST_KEYS[err.code]);
    this.handleAuth(err);
  }

  private handleAuth(e: unknown): void {
    const code = e instanceof AppError ? e.code : toAppError(e).code;
    if (code === 'unauthorized' || code === 'signed_out') void this.loadSession();
  }

  private async guard(fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      this.fail(e);
      return false;
    }
  }

  private async busy(key: string, fn: () => Promise<void>): Promise<boolean> {
    if (this.state.busy[key]) return false;
    this.set((s) => ({ busy: { ...s.busy, [key]: true } }));
    try {
      return await this.guard(fn);
    } finally {
      this.set((s) => {
        const busy = { ...s.busy };
        delete busy[key];
        return { busy };
      });
    }
  }
}

/** Reads a slice of a file as base64. */
function readBase64(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(dataURLBase64(String(r.result ?? '')));
    r.onerror = () => reject(new AppError('invalid_field', 'the file could not be read', 'file'));
    r.readAsDataURL(file);
  });
}
