// The one door to the Go side: every Wails binding call and event subscription goes through
// here, typed by the bindings generated from the Go methods (wailsjs/go/app, `make types`). Rejections become AppError with the
// stable code the Go side sent, so screens can translate them.

import * as App from '../wailsjs/go/app/App';
import { BrowserOpenURL, EventsOn } from '../wailsjs/runtime/runtime';
import type { ChannelAccount, Connection, ConversationView, Inbox, LeftEvent, OutboxEvent, Session } from './types';

/** A refused call: `code` is a wire error code (or `offline`, `signed_out`), '' when unknown. */
export class AppError extends Error {
  readonly code: string;
  readonly field?: string;
  constructor(code: string, message: string, field?: string) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.field = field;
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
          return new AppError(e.code, typeof e.message === 'string' ? e.message : '', typeof e.field === 'string' ? e.field : undefined);
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
  };
}

function normalizeSession(s: Session): Session {
  return { ...s, user: s.user ?? null };
}

export const bridge = {
  session: () => call(() => App.Session()).then(normalizeSession),
  login: (serverURL: string, username: string, password: string) => call(() => App.Login(serverURL, username, password)).then(normalizeSession),
  logout: () => call(() => App.Logout()),
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
  setFocused: (focused: boolean) => call(() => App.SetFocused(focused)),
  /** The channel's approved templates, each marked paid or free by the server as of now. */
  templates: (conversationID: number) => call(() => App.Templates(conversationID)).then((l) => arr(l)),
  sendTemplate: (conversationID: number, templateID: number, params: string[]) => call(() => App.SendTemplate(conversationID, templateID, params)),
  /** A server media path (/api/v1/media/<key>) as a data: URL, fetched once by the Go side. */
  mediaURL: (path: string, mime: string) => call(() => App.MediaURL(path, mime)),
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
