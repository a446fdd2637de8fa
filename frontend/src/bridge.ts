// The one door to the Go side: every Wails binding call and event subscription goes through
// here, typed with our own interfaces (src/types.ts). Rejections become AppError with the
// stable code the Go side sent, so screens can translate them.

import * as App from '../wailsjs/go/app/App';
import { EventsOn } from '../wailsjs/runtime/runtime';
import type {
  Attachment,
  ChannelAccount,
  ChannelRequest,
  Connection,
  Conversation,
  ConversationPage,
  ConversationView,
  HistoryQuery,
  Inbox,
  OutboxItem,
  Preferences,
  Presence,
  Message,
  Session,
  Template,
  TransferOffer,
  User,
} from './types';

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

async function call<T>(invoke: () => Promise<unknown>): Promise<T> {
  try {
    return (await invoke()) as T;
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
    channels: i.channels ? arr(i.channels) : undefined,
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
  };
}

function normalizeSession(s: Session): Session {
  return { ...s, user: s.user ?? null };
}

export const bridge = {
  session: () => call<Session>(() => App.Session()).then(normalizeSession),
  login: (serverURL: string, username: string, password: string) =>
    call<Session>(() => App.Login(serverURL, username, password)).then(normalizeSession),
  logout: () => call<void>(() => App.Logout()),
  savePreferences: (p: Preferences) => call<Session>(() => App.SavePreferences(p)).then(normalizeSession),
  setPresence: (presence: Presence, reason: string) => call<User>(() => App.SetPresence(presence, reason)),
  inbox: () => call<Inbox>(() => App.Inbox()).then(normalizeInbox),
  openConversation: (id: number) => call<ConversationView>(() => App.OpenConversation(id)).then(normalizeView),
  pull: () => call<Conversation>(() => App.Pull()),
  send: (conversationID: number, body: string) => call<OutboxItem>(() => App.Send(conversationID, body)),
  /** Queues a reply with files already uploaded (uploadAttachment). */
  sendWithAttachments: (conversationID: number, body: string, attachments: Attachment[]) =>
    call<OutboxItem>(() => App.SendWithAttachments(conversationID, body, attachments as never)),
  /** Uploads one file (base64) to a held conversation; online only (refused `offline`). */
  uploadAttachment: (conversationID: number, name: string, mime: string, dataBase64: string) =>
    call<Attachment>(() => App.UploadAttachment(conversationID, name, mime, dataBase64)),
  /** Admins: the channel accounts (credentials by name only). */
  channelAccounts: () => call<ChannelAccount[] | null>(() => App.ChannelAccounts()).then((l) => arr(l).map((c) => ({ ...c, credentials: arr(c.credentials) }))),
  /** Admins: creates (id 0) or changes a channel account. */
  saveChannelAccount: (id: number, req: ChannelRequest) =>
    call<ChannelAccount>(() => App.SaveChannelAccount(id, req as never)).then((c) => ({ ...c, credentials: arr(c.credentials) })),
  /** Admins: fetches a WhatsApp account's approved templates. */
  syncTemplates: (id: number) => call<Template[] | null>(() => App.SyncTemplates(id)).then((l) => arr(l)),
  retrySend: (key: string) => call<void>(() => App.RetrySend(key)),
  discardSend: (key: string) => call<void>(() => App.DiscardSend(key)),
  refreshAgents: () => call<User[]>(() => App.RefreshAgents()),
  transfer: (conversationID: number, toAgentID: number, note: string) =>
    call<TransferOffer>(() => App.Transfer(conversationID, toAgentID, note)),
  acceptTransfer: (offerID: number) => call<Conversation>(() => App.AcceptTransfer(offerID)),
  rejectTransfer: (offerID: number) => call<void>(() => App.RejectTransfer(offerID)),
  cancelTransfer: (offerID: number) => call<void>(() => App.CancelTransfer(offerID)),
  end: (conversationID: number, endReasonID: number) => call<Conversation>(() => App.End(conversationID, endReasonID)),
  takeUp: (conversationID: number) => call<Conversation>(() => App.TakeUp(conversationID)),
  history: (q: HistoryQuery) =>
    call<ConversationPage>(() => App.History(q)).then((p) => ({
      conversations: arr(p?.conversations),
      next_cursor: p?.next_cursor || undefined,
    })),
  renderQuickMessage: (conversationID: number, quickMessageID: number) =>
    call<string>(() => App.RenderQuickMessage(conversationID, quickMessageID)),
  setFocused: (focused: boolean) => call<void>(() => App.SetFocused(focused)),
  templates: (conversationID: number) => call<Template[] | null>(() => App.Templates(conversationID)).then((l) => arr(l)),
  sendTemplate: (conversationID: number, templateID: number, params: string[]) =>
    call<Message>(() => App.SendTemplate(conversationID, templateID, params)),
  /** A server media path (/api/v1/media/<key>) as a data: URL, fetched once by the Go side. */
  mediaURL: (path: string, mime: string) => call<string>(() => App.MediaURL(path, mime)),
};

export type Bridge = typeof bridge;

/** The events the Go side emits, with their payloads. */
export interface AppEvents {
  connection: Connection;
  inbox: undefined;
  conversation: { id: number };
  'open-conversation': { id: number };
  session: undefined;
}

/** Listens to one Go event; returns the function that stops listening. Outside the Wails
 * window (no runtime) it listens to nothing. */
export function onEvent<K extends keyof AppEvents>(name: K, handler: (payload: AppEvents[K]) => void): () => void {
  if (typeof window === 'undefined' || !(window as unknown as { runtime?: unknown }).runtime) return () => {};
  const off = EventsOn(name, (...data: unknown[]) => handler(data[0] as AppEvents[K]));
  return typeof off === 'function' ? off : () => {};
}
