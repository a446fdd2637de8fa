// The shapes the UI receives from the Go side, mirroring app/types.go and backend/wire (JSON
// field names are the Go json tags; every time is unix milliseconds). Written by hand so the
// UI does not depend on the generated models.ts.

export type Presence = 'online' | 'break' | 'offline';
export type Role = 'admin' | 'supervisor' | 'agent';
export type ConversationState = 'queued' | 'assigned' | 'ended';
export type OfferState = 'pending' | 'accepted' | 'rejected' | 'expired' | 'withdrawn' | 'cancelled';
export type MessageStatus = 'received' | 'queued' | 'sent' | 'delivered' | 'read' | 'failed';
export type ConnectionState = 'signed_out' | 'connecting' | 'connected' | 'reconnecting';
export type OutboxState = 'queued' | 'sent' | 'failed';
export type Language = 'tr' | 'en';
export type Theme = 'light' | 'dark' | 'system';

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  presence: Presence;
  presence_reason?: string;
  presence_since: number;
  auto_limit: number | null;
  hard_cap: number | null;
  active: number;
  effective_limit: number;
  last_assigned_at?: number;
  disabled?: boolean;
}

export interface Contact {
  id: number;
  channel_id: number;
  external_id: string;
  name: string;
  phone?: string;
  email?: string;
}

export interface Channel {
  id: number;
  /** sandbox, whatsapp, instagram, messenger, telegram, webchat, … */
  type: string;
  name: string;
}

export interface Conversation {
  id: number;
  state: ConversationState;
  agent_id: number | null;
  contact: Contact;
  channel: Channel;
  queued_at: number;
  created_at: number;
  assigned_at?: number;
  first_response_at?: number;
  last_inbound_at?: number;
  last_message_at?: number;
  last_message_preview: string;
  ended_at?: number;
  end_reason_id?: number | null;
  end_reason?: string;
  previous_id?: number | null;
  pending_offer_id?: number | null;
}

export interface Attachment {
  kind: string; // image, document, video, audio, sticker, location
  url?: string;
  name?: string;
  mime_type?: string;
  size?: number;
  /** The provider's reference while the file is still being fetched into Santral (url empty). */
  ref?: string;
  caption?: string;
  latitude?: number;
  longitude?: number;
}

/** An approved WhatsApp template; `paid`: sending it now is charged. */
export interface Template {
  id: number;
  channel_id: number;
  name: string;
  language: string;
  /** MARKETING, UTILITY, AUTHENTICATION */
  category: string;
  /** with {{1}}… placeholders */
  body: string;
  params: number;
  paid: boolean;
}

/** The template a message was sent as. */
export interface MessageTemplate {
  name: string;
  language: string;
  category: string;
  params?: string[] | null;
}

export interface Message {
  id: number;
  conversation_id: number;
  direction: 'in' | 'out';
  author_id?: number | null;
  body: string;
  attachments?: Attachment[] | null;
  status: MessageStatus;
  status_reason?: string;
  external_id?: string;
  idempotency_key?: string;
  template?: MessageTemplate | null;
  /** When Santral stored it (a customer's message: its arrival); messages are ordered by it. */
  created_at: number;
  /** When its sender sent it (the provider's timestamp for a customer's): the time shown. */
  sent_at?: number;
}

/** Known kinds: created, assigned, transfer_offered, transfer_accepted, transfer_rejected,
 * transfer_expired, transfer_withdrawn, transfer_cancelled, ended, taken_up, requeued. */
export interface TimelineEntry {
  id: number;
  conversation_id: number;
  at: number;
  kind: string;
  actor_id?: number | null;
  data?: TimelineData | null;
}

/** The union of the fields the server writes into timeline data. */
export interface TimelineData {
  agent_id?: number;
  by?: string; // auto | pull | transfer | take_up | supervisor
  offer_id?: number;
  from_agent_id?: number;
  to_agent_id?: number;
  note?: string;
  reason?: string;
  end_reason_id?: number;
  end_reason?: string;
  head?: boolean;
}

export interface TransferOffer {
  id: number;
  conversation_id: number;
  from_agent_id: number;
  to_agent_id: number;
  note?: string;
  state: OfferState;
  reason?: string;
  created_at: number;
  expires_at: number;
  resolved_at?: number;
  /** Optional: the offered conversation's summary, when the Go side includes it. */
  conversation?: Conversation;
}

export interface EndReason {
  id: number;
  label: string;
  active: boolean;
  position: number;
}

export interface QuickMessage {
  id: number;
  owner_id: number | null;
  title: string;
  shortcut: string;
  body: string;
}

export interface WorkspaceSettings {
  auto_assign: boolean;
  default_limit: number;
  hard_cap: number;
  offer_timeout_seconds: number;
  offline_grace_seconds: number;
  requeue_on_offline: boolean;
}

/** A refusal from the server or the app: a stable code the UI translates. */
export interface WireError {
  code: string;
  message: string;
  field?: string;
  /** window_closed: when the channel's window closed (unix ms). */
  closed_at?: number;
}

export interface Preferences {
  language: Language;
  theme: Theme;
  sound: boolean;
  autostart: boolean;
}

export interface Connection {
  state: ConnectionState;
  since: number;
  attempt: number;
  error?: string;
}

export interface Session {
  signed_in: boolean;
  server_url: string;
  username: string;
  user: User | null;
  connection: Connection;
  preferences: Preferences;
  version: string;
}

export interface InboxItem extends Conversation {
  unread: number;
}

export interface Inbox {
  mine: InboxItem[];
  queue: Conversation[];
  offers: TransferOffer[];
  agents: User[];
  end_reasons: EndReason[];
  quick_messages: QuickMessage[];
  workspace: WorkspaceSettings;
  unread_total: number;
  server_time: number;
  /** Optional: every channel of the workspace, for the history filter. */
  channels?: Channel[];
}

export interface OutboxItem {
  key: string;
  conversation_id: number;
  body: string;
  state: OutboxState;
  error?: WireError | null;
  created_at: number;
  message_id?: number;
  /** Files already uploaded, sent with the reply. */
  attachments?: Attachment[] | null;
}

export interface ConversationView {
  conversation: Conversation;
  messages: Message[];
  timeline: TimelineEntry[];
  earlier: Conversation[];
  pending_offer: TransferOffer | null;
  outbox: OutboxItem[];
  from_cache: boolean;
  /** When the messaging window closes/closed (unix ms), as the server decides; 0: none. */
  window_closes_at?: number;
}

export type HistoryView = 'history' | 'ended';

export interface HistoryQuery {
  view: HistoryView;
  text: string;
  customer: string;
  channel_id: number;
  agent_id: number;
  end_reason_id: number;
  from: string; // YYYY-MM-DD
  to: string; // YYYY-MM-DD, inclusive
  cursor: string;
}

export interface ConversationPage {
  conversations: Conversation[];
  next_cursor?: string;
}

/** The channel types an admin can connect. */
export type ChannelType = 'whatsapp' | 'messenger' | 'instagram' | 'telegram';

/** A connected channel as admins see it: settings and the NAMES of the credentials that are
 * set — never their values. */
export interface ChannelAccount extends Channel {
  enabled: boolean;
  base_url: string;
  api_version?: string;
  /** phone_number_id, page id or Instagram id */
  account_id: string;
  waba_id?: string;
  /** Messenger/Instagram: approved for the HUMAN_AGENT tag */
  human_agent: boolean;
  /** appended to the server URL: the address the provider posts to */
  webhook_path: string;
  credentials: string[] | null;
}

/** Creates or changes a channel account: only the fields sent change; credentials are
 * write-only (token, app_secret, verify_token; Telegram: token, secret_token). */
export interface ChannelRequest {
  type?: string;
  name?: string;
  enabled?: boolean;
  base_url?: string;
  api_version?: string;
  account_id?: string;
  waba_id?: string;
  human_agent?: boolean;
  credentials?: Record<string, string>;
}
