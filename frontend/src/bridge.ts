// The one door to the Go side: every Wails binding call and event subscription goes through
// here, typed by the bindings generated from the Go methods (wailsjs/go/app, `make types`). Rejections become AppError with the
// stable code the Go side sent, so screens can translate them.

import * as App from '../wailsjs/go/app/App';
import { BrowserOpenURL, EventsEmit, EventsOn } from '../wailsjs/runtime/runtime';
import type {
  ChannelAccount, ChannelCount, Connection, Conversation, ConversationView, Count, Dashboard, DashboardAgent, DashboardQueue, Flow, Inbox, LeftEvent,
  OfferFailedEvent, OutboxEvent, Report, ReportRow, Session, TransferOffer, WireError,
} from './types';

/** A refused call: `code` is a wire error code (or `offline`, `signed_out`), '' when unknown. */
export class AppError extends Error {
  readonly code: string;
  readonly field?: string;
  /** Every problem of a flow the server would not publish (flow_invalid, …), each with its field. */
  readonly problems?: WireError[];
  constructor(code: string, message: string, field?: string, problems?: WireError[]) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
    this.problems = problems;
  }
}

/** Turns whatever a binding rejected with into an AppError. Wails rejects with the Go error's
 * text; the app's errors are JSON {"code","message","field"}. */
export function toAppError(reason: unknown): AppError {
  if (reason instanceof AppError) return reason;
  let text: string;
  if (typeof reason === 'string') text = reason;
  else if (reason instanceof Error) text = reason.message;
  else if (reason && typeof reason === 'object') text = JSON.stringify(reason);
  else text = String(reason);
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      const parsed: unknown = JSON.parse(trimmed);
      if (parsed && typeof parsed === 'object') {
        const obj = parsed as Record<string, unknown>;
        // Accept both {"code",…} and the server's body shape {"error":{"code",…}}.
        const e = (obj.error && typeof obj.error === 'object' ? obj.error : obj) as Record<string, unknown>;
        if (typeof e.code === 'string') {
          return new AppError(
            e.code,
            typeof e.message === 'string' ? e.message : '',
            typeof e.field === 'string' ? e.field : undefined,
            Array.isArray(e.problems) ? (e.problems as WireError[]) : undefined,
          );
        }
      }
    } catch {
      // not JSON after all: fall through to a plain message
    }
  }
  return new AppError('', text);
}

async function call<T>(invoke: () => Promise<T>): Promise<T> {
  try {
    return await invoke();
  } catch (reason) {
    throw toAppError(reason);
  }
}

// Go marshals nil slices as null; the screens want arrays.
const arr = <T>(v: T[] | null | undefined): T[] => (Array.isArray(v) ? v : []);

export function normalizeInbox(i: Inbox): Inbox {
  return {
    ...i,
    mine: arr(i.mine),
    queue: arr(i.queue),
    offers: arr(i.offers),
    agents: arr(i.agents),
    end_reasons: arr(i.end_reasons),
    quick_messages: arr(i.quick_messages),
  };
}

export function normalizeView(v: ConversationView): ConversationView {
  return {
    ...v,
    messages: arr(v.messages),
    timeline: arr(v.timeline),
    earlier: arr(v.earlier),
    outbox: arr(v.outbox),
    pending_offer: v.pending_offer ?? null,
    from_cache: !!v.from_cache,
    window_closes_at: v.window_closes_at ?? 0,
    refused: v.refused ?? null,
    attributes: v.attributes ?? {},
    flow_runs: arr(v.flow_runs),
  };
}

function normalizeFlow(f: Flow): Flow {
  if (!f.definition) return f;
  return { ...f, definition: { ...f.definition, steps: arr(f.definition.steps) } };
}

function normalizeSession(s: Session): Session {
  return { ...s, user: s.user ?? null };
}

// Supervisors' and admins' bindings (issue 11): the dashboard window, its actions, the admin
// screens and reports.
const supervisorBridge = {
  dashboard: () => call(() => App.Dashboard()).then(normalizeDashboard),
  openDashboard: () => call(() => App.OpenDashboard()),
  setAgentLimit: (userID: number, limit: number) => call(() => App.SetAgentLimit(userID, limit)),
  setAgentPresence: (userID: number, presence: string, reason: string) => call(() => App.SetAgentPresence(userID, presence, reason)),
  /** fromAgentID: where the dashboard showed it (0: the queue); moved meanwhile → conversation_moved. */
  reassign: (conversationID: number, fromAgentID: number, toAgentID: number) => call(() => App.Reassign(conversationID, fromAgentID, toAgentID)),
  returnToQueue: (conversationID: number) => call(() => App.ReturnToQueue(conversationID)),
  users: () => call(() => App.Users()).then((l) => arr(l)),
  saveUser: (id: number, req: Parameters<typeof App.SaveUser>[1]) => call(() => App.SaveUser(id, req)),
  allEndReasons: () => call(() => App.AllEndReasons()).then((l) => arr(l)),
  saveEndReason: (id: number, req: Parameters<typeof App.SaveEndReason>[1]) => call(() => App.SaveEndReason(id, req)),
  quickMessages: () => call(() => App.QuickMessages()).then((l) => arr(l)),
  saveQuickMessage: (id: number, req: Parameters<typeof App.SaveQuickMessage>[1]) => call(() => App.SaveQuickMessage(id, req)),
  deleteQuickMessage: (id: number) => call(() => App.DeleteQuickMessage(id)),
  tags: (all: boolean) => call(() => App.Tags(all)).then((l) => arr(l)),
  saveTag: (id: number, req: Parameters<typeof App.SaveTag>[1]) => call(() => App.SaveTag(id, req)),
  setConversationTags: (conversationID: number, tagIDs: number[]) => call(() => App.SetConversationTags(conversationID, tagIDs)).then((l) => arr(l)),
  addNote: (conversationID: number, text: string) => call(() => App.AddNote(conversationID, text)),
  workspaceSettings: () => call(() => App.WorkspaceSettings()),
  saveWorkspaceSettings: (s: Parameters<typeof App.SaveWorkspaceSettings>[0]) => call(() => App.SaveWorkspaceSettings(s)),
  widgetSnippet: () => call(() => App.WidgetSnippet()),
  report: (q: Parameters<typeof App.Report>[0]) => call(() => App.Report(q)).then((r): LiveReport => ({ ...r, rows: arr(r.rows) })),
  exportReport: (q: Parameters<typeof App.ExportReport>[0]) => call(() => App.ExportReport(q)),
};

/** A snapshot with its lists always arrays. */
export type LiveDashboard = Omit<Dashboard, 'agents' | 'offers' | 'held' | 'end_reasons' | 'queue'> & {
  agents: DashboardAgent[];
  offers: TransferOffer[];
  held: Conversation[];
  end_reasons: Count[];
  queue: Omit<DashboardQueue, 'per_channel' | 'queued'> & { per_channel: ChannelCount[]; queued: Conversation[] };
};

/** A report with its rows always an array. */
export type LiveReport = Omit<Report, 'rows'> & { rows: ReportRow[] };

export function normalizeDashboard(d: Dashboard): LiveDashboard {
  return {
    ...d,
    agents: arr(d.agents),
    offers: arr(d.offers),
    held: arr(d.held),
    end_reasons: arr(d.end_reasons),
    queue: { ...d.queue, per_channel: arr(d.queue?.per_channel), queued: arr(d.queue?.queued) },
  };
}

export const bridge = {
  session: () => call(() => App.Session()).then(normalizeSession),
  login: (serverURL: string, username: string, password: string) => call(() => App.Login(serverURL, username, password)).then(normalizeSession),
  logout: () => call(() => App.Logout()),
  /** Opens the server's download address for the app (the update screens). */
  openDownload: () => call(() => App.OpenDownload()),
  savePreferences: (p: Parameters<typeof App.SavePreferences>[0]) => call(() => App.SavePreferences(p)).then(normalizeSession),
  setPresence: (presence: string, reason: string) => call(() => App.SetPresence(presence, reason)),
  inbox: () => call(() => App.Inbox()).then(normalizeInbox),
  openConversation: (id: number) => call(() => App.OpenConversation(id)).then(normalizeView),
  pull: () => call(() => App.Pull()),
  /** Queues a reply; while connected the answer is the server's (sent, or failed with its reason). */
  send: (conversationID: number, body: string) => call(() => App.Send(conversationID, body)),
  /** Queues a reply with files already uploaded (uploadFinish). */
  sendWithAttachments: (conversationID: number, body: string, attachments: Parameters<typeof App.SendWithAttachments>[2]) =>
    call(() => App.SendWithAttachments(conversationID, body, attachments)),
  /** Starts handing over a file of `size` bytes for a held conversation; returns the upload id. */
  uploadBegin: (conversationID: number, name: string, mime: string, size: number) => call(() => App.UploadBegin(conversationID, name, mime, size)),
  /** The next chunk (base64) of an upload, starting at byte `offset` of the file. */
  uploadChunk: (id: string, offset: number, dataBase64: string) => call(() => App.UploadChunk(id, offset, dataBase64)),
  /** Streams the handed-over file to the server (online only: refused `offline`). */
  uploadFinish: (id: string) => call(() => App.UploadFinish(id)),
  uploadCancel: (id: string) => call(() => App.UploadCancel(id)),
  /** Admins: the channel accounts (credentials by name only). */
  channelAccounts: () => call(() => App.ChannelAccounts()).then((l) => arr(l).map(withCredentials)),
  /** Admins: creates (id 0) or changes a channel account. */
  saveChannelAccount: (id: number, req: Parameters<typeof App.SaveChannelAccount>[1]) => call(() => App.SaveChannelAccount(id, req)).then(withCredentials),
  /** Admins: fetches a WhatsApp account's approved templates. */
  syncTemplates: (id: number) => call(() => App.SyncTemplates(id)).then((l) => arr(l)),
  retrySend: (key: string) => call(() => App.RetrySend(key)),
  discardSend: (key: string) => call(() => App.DiscardSend(key)),
  refreshAgents: () => call(() => App.RefreshAgents()),
  transfer: (conversationID: number, toAgentID: number, note: string) => call(() => App.Transfer(conversationID, toAgentID, note)),
  acceptTransfer: (offerID: number) => call(() => App.AcceptTransfer(offerID)),
  rejectTransfer: (offerID: number) => call(() => App.RejectTransfer(offerID)),
  cancelTransfer: (offerID: number) => call(() => App.CancelTransfer(offerID)),
  end: (conversationID: number, endReasonID: number) => call(() => App.End(conversationID, endReasonID)),
  takeUp: (conversationID: number) => call(() => App.TakeUp(conversationID)),
  history: (q: Parameters<typeof App.History>[0]) =>
    call(() => App.History(q)).then((p) => ({
      conversations: arr(p?.conversations),
      next_cursor: p?.next_cursor || undefined,
    })),
  renderQuickMessage: (conversationID: number, quickMessageID: number) => call(() => App.RenderQuickMessage(conversationID, quickMessageID)),
  /** Every quick message filled in for one conversation, by id (the Go side fills them). */
  quickMessagePreviews: (conversationID: number) => call(() => App.QuickMessagePreviews(conversationID)).then((m) => m ?? {}),
  setFocused: (focused: boolean) => call(() => App.SetFocused(focused)),
  /** The channel's approved templates, each marked paid or free by the server as of now. */
  templates: (conversationID: number) => call(() => App.Templates(conversationID)).then((l) => arr(l)),
  sendTemplate: (conversationID: number, templateID: number, params: string[]) => call(() => App.SendTemplate(conversationID, templateID, params)),
  /** A server media path (/api/v1/media/<key>) as a data: URL, fetched once by the Go side. */
  mediaURL: (path: string, mime: string) => call(() => App.MediaURL(path, mime)),
  // ---- chatbot flows ----
  /** Agents: the published flows (the composer's flows button); admins: drafts too. */
  flows: () => call(() => App.Flows()).then((l) => arr(l).map(normalizeFlow)),
  /** Hands a held conversation to a published flow (the server frees the agent's capacity). */
  handToFlow: (conversationID: number, flowID: number) => call(() => App.HandToFlow(conversationID, flowID)),
  flow: (id: number) => call(() => App.Flow(id)).then(normalizeFlow),
  /** Admins: creates (id 0) or saves a new version of a flow. */
  saveFlow: (id: number, name: string, def: Parameters<typeof App.SaveFlow>[2]) => call(() => App.SaveFlow(id, name, def)).then(normalizeFlow),
  /** Admins: the server's problems with a definition (each with the step's field). */
  validateFlow: (def: Parameters<typeof App.ValidateFlow>[0]) => call(() => App.ValidateFlow(def)).then((l) => arr(l)),
  publishFlow: (id: number) => call(() => App.PublishFlow(id)).then(normalizeFlow),
  archiveFlow: (id: number) => call(() => App.ArchiveFlow(id)),
  /** Admins: one turn of the try-it simulator, run by the server's engine (nothing is sent). */
  simulateFlow: (req: Parameters<typeof App.SimulateFlow>[0]) =>
    call(() => App.SimulateFlow(req)).then((r) => ({ ...r, messages: arr(r.messages), trace: arr(r.trace), attributes: r.attributes ?? {} })),
  exportFlow: (id: number) => call(() => App.ExportFlow(id)),
  importFlow: (text: string) => call(() => App.ImportFlow(text)).then(normalizeFlow),
  // The shop in the conversation.
  /** The contact's orders in every connected store ('' = by phone and e-mail, else that order number). */
  shopOrders: (conversationID: number, number: string) =>
    call(() => App.ShopOrders(conversationID, number)).then((p) => ({
      ...p,
      stores: arr(p.stores).map((st) => ({ ...st, orders: arr(st.orders).map((o) => ({ ...o, items: arr(o.items) })), actions: arr(st.actions) })),
    })),
  shopProducts: (conversationID: number, query: string) =>
    call(() => App.ShopProducts(conversationID, query)).then((p) => ({ ...p, stores: arr(p.stores).map((st) => ({ ...st, products: arr(st.products) })) })),
  sendProduct: (conversationID: number, storeID: number, productID: string) => call(() => App.SendProduct(conversationID, storeID, productID)),
  shopOrderAction: (conversationID: number, req: Parameters<typeof App.ShopOrderAction>[1]) => call(() => App.ShopOrderAction(conversationID, req)),
  shopStores: () => call(() => App.ShopStores()).then((l) => arr(l)),
  saveShopStore: (id: number, req: Parameters<typeof App.SaveShopStore>[1]) => call(() => App.SaveShopStore(id, req)),
  testShopStore: (id: number) => call(() => App.TestShopStore(id)),
  ...supervisorBridge,
  /** Admins: a channel's default flow (a welcome menu); 0 takes it off. */
  setDefaultFlow: (channelID: number, flowID: number) => call(() => App.SetDefaultFlow(channelID, flowID)).then(withCredentials),
};

function withCredentials(c: ChannelAccount): ChannelAccount {
  return { ...c, credentials: arr(c.credentials) };
}

export type Bridge = typeof bridge;

/** The events the Go side emits, with their payloads. */
export interface AppEvents {
  connection: Connection;
  inbox: undefined;
  conversation: { id: number };
  'open-conversation': { id: number };
  session: undefined;
  /** A reply was sent or refused (with the server's reason). */
  outbox: OutboxEvent;
  /** A conversation that was mine is not any more (transferred, requeued, …): lock it now. */
  'conversation-left': LeftEvent;
  /** The dashboard window's newest snapshot (read again after each batch of events). */
  dashboard: Dashboard;
  /** My transfer offer was rejected, withdrawn or expired: the conversation is still mine. */
  'offer-failed': OfferFailedEvent;
}

/** Listens to one Go event; returns the function that stops listening. Outside the Wails
 * window (no runtime) it listens to nothing. */
export function onEvent<K extends keyof AppEvents>(name: K, handler: (payload: AppEvents[K]) => void): () => void {
  if (typeof window === 'undefined' || !(window as unknown as { runtime?: unknown }).runtime) return () => {};
  const off = EventsOn(name, (...data: unknown[]) => handler(data[0] as AppEvents[K]));
  return typeof off === 'function' ? off : () => {};
}

/** Opens a web page (a carrier's tracking page) in the system browser, never in the app's
 * window. Outside the Wails window (no runtime) it does nothing. */
export function openExternal(url: string): void {
  if (!/^https?:\/\//.test(url)) return;
  if (typeof window === 'undefined' || !(window as unknown as { runtime?: unknown }).runtime) return;
  BrowserOpenURL(url);
}

/** Tells the Go side, once, what the main list first drew: its rows (or that it is really
 * empty), and whether an empty list showed before the rows came. The app logs it with the time
 * since it started (build/bench/app.sh reads that line: the production app's cold start). */
let inboxShown = false;
let emptyBefore = false;
export function reportInboxShown(rows: number, loaded: boolean, drawnEmpty: boolean): void {
  if (inboxShown) return;
  if (rows === 0 && !loaded) {
    if (drawnEmpty) emptyBefore = true; // the list said "no conversations" before the cache answered
    return;
  }
  inboxShown = true;
  if (typeof window === 'undefined' || !(window as unknown as { runtime?: unknown }).runtime) return;
  // With when, in the page's time (ms since it began loading), Session and Inbox first answered.
  const mark = (name: string) => Math.round(performance.getEntriesByName(name)[0]?.startTime ?? -1);
  const data = { rows, empty_before: emptyBefore, page_ms: Math.round(performance.now()), session_ms: mark('santral:session'), inbox_ms: mark('santral:inbox') };
  // After the frame that shows them is drawn.
  requestAnimationFrame(() => setTimeout(() => EventsEmit('ui-shown', data), 0));
}
