// A stand-in for the Wails bridge boundary only: window.go.app.App (the Go bindings) and
// window.runtime (events), backed by a small in-memory workspace that follows the product's
// rules closely enough to drive the UI. Used by the tests and by dev/preview.html. It is not
// our own code being mocked: the real thing is the Go side behind the same two globals.

import type {
  Attachment,
  ChannelAccount,
  ChannelRequest,
  Conversation,
  ConversationView,
  EndReason,
  HistoryQuery,
  Inbox,
  Message,
  OutboxItem,
  Preferences,
  QuickMessage,
  Session,
  Template,
  TimelineEntry,
  TransferOffer,
  User,
  WireError,
} from '../src/types';

type Method = (...args: any[]) => Promise<any>;

export interface World {
  signedIn: boolean;
  serverURL: string;
  username: string;
  password: string;
  meId: number;
  preferences: Preferences;
  connection: Session['connection'];
  users: User[];
  conversations: Conversation[];
  messages: Message[];
  timeline: TimelineEntry[];
  offers: TransferOffer[];
  endReasons: EndReason[];
  quick: QuickMessage[];
  outbox: OutboxItem[];
  unread: Record<number, number>;
  autoAssign: boolean;
  /** Replies stay queued while true (the sync engine has no connection). */
  offline: boolean;
  now: () => number;
  /** Approved templates per channel id. */
  templates?: Template[];
  /** Media paths the fake serves (path -> base64 body). */
  media?: Record<string, string>;
  /** Channel accounts (admins) and their stored credential values, which never leave the fake. */
  channelAccounts?: ChannelAccount[];
  secrets?: Record<number, Record<string, string>>;
  /** Every ChannelRequest the UI sent, for tests. */
  channelRequests?: Array<{ id: number; req: ChannelRequest }>;
  /** Files uploaded (name -> base64) and mime types the fake refuses as unsupported. */
  uploads?: Record<string, string>;
  refuseMime?: string[];
}

const MIN = 60_000;

export function demoWorld(now: number = Date.now()): World {
  const users: User[] = [
    user(1, 'selin', 'Selin Kaya', 'supervisor', 'online', now - 90 * MIN),
    user(2, 'ayse', 'Ayşe Demir', 'agent', 'online', now - 45 * MIN, 2),
    user(3, 'mehmet', 'Mehmet Yılmaz', 'agent', 'online', now - 30 * MIN, 1),
    user(4, 'zeynep', 'Zeynep Arslan', 'agent', 'break', now - 10 * MIN, 0, 'Yemek'),
    user(5, 'emre', 'Emre Çelik', 'agent', 'offline', now - 200 * MIN),
  ];
  const ch = {
    wa: { id: 1, type: 'whatsapp', name: 'Mağaza WhatsApp' },
    ig: { id: 2, type: 'instagram', name: 'magaza' },
    web: { id: 3, type: 'webchat', name: 'Web sitesi' },
    tg: { id: 4, type: 'telegram', name: 'Destek botu' },
  };
  const conv = (id: number, name: string, phone: string, c: Conversation['channel'], state: Conversation['state'], agent: number | null, at: number, preview: string, extra: Partial<Conversation> = {}): Conversation => ({
    id,
    state,
    agent_id: agent,
    contact: { id: 100 + id, channel_id: c.id, external_id: phone.replace(/\D/g, ''), name, phone },
    channel: c,
    queued_at: at - 15 * MIN,
    created_at: at - 15 * MIN,
    assigned_at: agent ? at - 14 * MIN : undefined,
    last_inbound_at: at,
    last_message_at: at,
    last_message_preview: preview,
    ...extra,
  });
  const conversations: Conversation[] = [
    conv(11, 'Elif Şahin', '+90 532 111 22 33', ch.wa, 'assigned', 2, now - 4 * MIN, 'Siparişim ne zaman kargoya verilecek?'),
    conv(12, 'Burak Öztürk', '+90 533 444 55 66', ch.ig, 'assigned', 2, now - 26 * MIN, 'Bu ceketin L bedeni var mı?'),
    conv(13, 'Deniz Aydın', '+90 534 777 88 99', ch.web, 'assigned', 2, now - 70 * MIN, 'Teşekkürler, iyi günler!', { last_message_at: now - 65 * MIN }),
    conv(21, 'Can Koç', '+90 535 000 11 22', ch.tg, 'queued', null, now - 9 * MIN, 'Merhaba, iade yapmak istiyorum'),
    conv(22, 'Selin Güneş', '+90 536 333 44 55', ch.wa, 'queued', null, now - 3 * MIN, 'Kapıda ödeme var mı?'),
    conv(23, 'Hakan Er', '+90 537 666 77 88', ch.web, 'queued', null, now - 1 * MIN, 'Fatura bilgisi değiştirebilir miyim?'),
    conv(31, 'Elif Şahin', '+90 532 111 22 33', ch.wa, 'ended', 2, now - 3 * 24 * 60 * MIN, 'Tamamdır, teşekkürler', { ended_at: now - 3 * 24 * 60 * MIN + 20 * MIN, end_reason_id: 1, end_reason: 'Sorun çözüldü' }),
    conv(32, 'Oya Tan', '+90 538 999 00 11', ch.ig, 'ended', 3, now - 2 * 24 * 60 * MIN, 'Fiyat bilgisi için teşekkürler', { ended_at: now - 2 * 24 * 60 * MIN + 5 * MIN, end_reason_id: 2, end_reason: 'Bilgi verildi' }),
    conv(33, 'Kerem Aksoy', '+90 539 222 33 44', ch.web, 'ended', 2, now - 26 * 60 * MIN, 'Siparişi iptal ettim', { ended_at: now - 25 * 60 * MIN, end_reason_id: 3, end_reason: 'Sipariş iptali' }),
    conv(41, 'Ahmet Kurt', '+90 530 123 45 67', ch.wa, 'assigned', 3, now - 6 * MIN, 'Ürün hasarlı geldi', { pending_offer_id: 501 }),
  ];
  const messages: Message[] = [];
  let mid = 1000;
  const msg = (cid: number, dir: 'in' | 'out', body: string, at: number, status: Message['status'] = dir === 'in' ? 'received' : 'read', author: number | null = dir === 'out' ? 2 : null) =>
    messages.push({ id: ++mid, conversation_id: cid, direction: dir, author_id: author, body, status, created_at: at });
  msg(11, 'in', 'Merhaba, dün sipariş verdim.', now - 8 * MIN);
  msg(11, 'out', 'Merhaba Elif Hanım, hoş geldiniz! Sipariş numaranızı paylaşır mısınız?', now - 7 * MIN);
  msg(11, 'in', 'Sipariş no: 458721', now - 5 * MIN);
  msg(11, 'in', 'Siparişim ne zaman kargoya verilecek?', now - 4 * MIN);
  msg(12, 'in', 'Bu ceketin L bedeni var mı?', now - 26 * MIN);
  messages[messages.length - 1].attachments = [{ kind: 'image', name: 'ceket.jpg', mime_type: 'image/jpeg', size: 184_000 }];
  msg(13, 'in', 'İade kodumu alabilir miyim?', now - 72 * MIN);
  msg(13, 'out', 'Tabii, iade kodunuz: IAD-2291. Kargo ücretsizdir.', now - 71 * MIN, 'delivered');
  msg(13, 'in', 'Teşekkürler, iyi günler!', now - 70 * MIN);
  msg(13, 'out', 'Biz teşekkür ederiz, iyi günler dileriz!', now - 65 * MIN, 'sent');
  msg(21, 'in', 'Merhaba, iade yapmak istiyorum', now - 9 * MIN);
  msg(22, 'in', 'Kapıda ödeme var mı?', now - 3 * MIN);
  msg(23, 'in', 'Fatura bilgisi değiştirebilir miyim?', now - 1 * MIN);
  msg(31, 'in', 'Kargom gelmedi', now - 3 * 24 * 60 * MIN);
  msg(31, 'out', 'Kontrol ediyorum, yarın teslim edilecek.', now - 3 * 24 * 60 * MIN + 5 * MIN);
  msg(31, 'in', 'Tamamdır, teşekkürler', now - 3 * 24 * 60 * MIN + 10 * MIN);
  msg(32, 'in', 'Fiyat bilgisi için teşekkürler', now - 2 * 24 * 60 * MIN);
  msg(33, 'in', 'Siparişi iptal ettim', now - 26 * 60 * MIN);
  msg(41, 'in', 'Ürün hasarlı geldi', now - 6 * MIN);
  const timeline: TimelineEntry[] = [];
  let tid = 5000;
  for (const c of conversations) {
    timeline.push({ id: ++tid, conversation_id: c.id, at: c.created_at, kind: 'created' });
    if (c.agent_id) timeline.push({ id: ++tid, conversation_id: c.id, at: c.assigned_at ?? c.created_at, kind: 'assigned', actor_id: null, data: { agent_id: c.agent_id, by: 'auto' } });
    if (c.state === 'ended') timeline.push({ id: ++tid, conversation_id: c.id, at: c.ended_at!, kind: 'ended', actor_id: c.agent_id, data: { end_reason_id: c.end_reason_id!, end_reason: c.end_reason } });
  }
  timeline.push({ id: ++tid, conversation_id: 41, at: now - 30_000, kind: 'transfer_offered', actor_id: 3, data: { offer_id: 501, to_agent_id: 2, note: 'Müşteri hasarlı ürün için değişim istiyor, fotoğraf gönderdi.' } });
  return {
    signedIn: false,
    serverURL: 'http://127.0.0.1:8080',
    username: 'ayse',
    password: 'demo1234',
    meId: 2,
    preferences: { language: 'tr', theme: 'system', sound: true, autostart: false },
    connection: { state: 'signed_out', since: now, attempt: 0 },
    users,
    conversations,
    messages,
    timeline,
    offers: [
      { id: 501, conversation_id: 41, from_agent_id: 3, to_agent_id: 2, note: 'Müşteri hasarlı ürün için değişim istiyor, fotoğraf gönderdi.', state: 'pending', created_at: now - 30_000, expires_at: now + 90_000 },
    ],
    endReasons: [
      { id: 1, label: 'Sorun çözüldü', active: true, position: 1 },
      { id: 2, label: 'Bilgi verildi', active: true, position: 2 },
      { id: 3, label: 'Sipariş iptali', active: true, position: 3 },
      { id: 4, label: 'Müşteri yanıt vermedi', active: true, position: 4 },
      { id: 5, label: 'Eski sebep', active: false, position: 5 },
    ],
    quick: [
      { id: 1, owner_id: null, title: 'Karşılama', shortcut: 'merhaba', body: 'Merhaba {{customer.name}}, ben {{agent.name}}. Size nasıl yardımcı olabilirim?' },
      { id: 2, owner_id: null, title: 'Kargo bilgisi', shortcut: 'kargo', body: 'Siparişiniz 1-3 iş günü içinde kargoya verilir.' },
      { id: 3, owner_id: null, title: 'İade süreci', shortcut: 'iade', body: 'İade talebinizi 14 gün içinde oluşturabilirsiniz.' },
      { id: 4, owner_id: 2, title: 'Kapanış', shortcut: 'kapanis', body: 'Başka bir konuda yardımcı olabilir miyim {{customer.name}}?' },
    ],
    outbox: [],
    unread: { 11: 2, 12: 1 },
    autoAssign: false,
    offline: false,
    now: () => Date.now(),
    templates: [
      { id: 1, channel_id: 1, name: 'siparis_durumu', language: 'tr', category: 'UTILITY', body: 'Merhaba {{1}}, {{2}} numaralı siparişiniz yolda.', params: 2, paid: true },
      { id: 2, channel_id: 1, name: 'kampanya', language: 'tr', category: 'MARKETING', body: 'Yeni sezon indirimi başladı!', params: 0, paid: true },
    ],
    media: { '/api/v1/media/img1': 'aGVsbG8=' },
  };
}

function user(id: number, username: string, name: string, role: User['role'], presence: User['presence'], since: number, active = 0, reason?: string): User {
  return { id, username, display_name: name, role, presence, presence_reason: reason, presence_since: since, auto_limit: null, hard_cap: null, active, effective_limit: 3 };
}

/** The rejection the Go side produces: a JSON string with a stable code. */
export function refusal(code: string, message = code, field?: string): string {
  const e: WireError = { code, message };
  if (field) e.field = field;
  return JSON.stringify(e);
}

interface Listener {
  cb: (...data: unknown[]) => void;
  left: number;
}

export class FakeWails {
  readonly world: World;
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  /** Replace a binding, e.g. to make it reject. */
  readonly overrides: Record<string, Method> = {};
  private listeners = new Map<string, Listener[]>();
  private seq = { msg: 90_000, tl: 90_000, offer: 900, key: 0, conv: 900 };

  constructor(world: World = demoWorld()) {
    this.world = world;
  }

  install(): this {
    const methods = this.methods();
    const app: Record<string, Method> = {};
    for (const name of Object.keys(methods)) {
      app[name] = (...args: unknown[]) => {
        this.calls.push({ method: name, args });
        const m = this.overrides[name] ?? methods[name];
        // Like Wails: the answer arrives asynchronously, as a copy.
        return Promise.resolve().then(() => m(...args)).then((v) => (v === undefined ? v : JSON.parse(JSON.stringify(v))));
      };
    }
    const w = window as unknown as Record<string, unknown>;
    w.go = { app: { App: app } };
    w.runtime = {
      EventsOnMultiple: (name: string, cb: (...data: unknown[]) => void, max: number) => {
        const l: Listener = { cb, left: max };
        this.listeners.set(name, [...(this.listeners.get(name) ?? []), l]);
        return () => this.listeners.set(name, (this.listeners.get(name) ?? []).filter((x) => x !== l));
      },
      EventsOff: (name: string, ...more: string[]) => {
        for (const n of [name, ...more]) this.listeners.delete(n);
      },
      EventsEmit: (name: string, ...data: unknown[]) => this.emit(name, ...data),
    };
    return this;
  }

  uninstall(): void {
    const w = window as unknown as Record<string, unknown>;
    delete w.go;
    delete w.runtime;
  }

  /** Emits a Go event to the UI. */
  emit(name: string, ...data: unknown[]): void {
    for (const l of [...(this.listeners.get(name) ?? [])]) {
      l.cb(...data);
      if (l.left > 0 && --l.left === 0) this.listeners.set(name, (this.listeners.get(name) ?? []).filter((x) => x !== l));
    }
  }

  listenerCount(name: string): number {
    return this.listeners.get(name)?.length ?? 0;
  }

  count(method: string): number {
    return this.calls.filter((c) => c.method === method).length;
  }

  me(): User {
    return this.world.users.find((u) => u.id === this.world.meId)!;
  }

  conversation(id: number): Conversation {
    const c = this.world.conversations.find((x) => x.id === id);
    if (!c) throw refusal('not_found', 'conversation not found');
    return c;
  }

  // A customer writes: a new message in a conversation, or a new queued conversation.
  simulateInbound(conversationId: number | null, body: string): number {
    const w = this.world;
    const now = w.now();
    let c = conversationId ? w.conversations.find((x) => x.id === conversationId) : undefined;
    if (!c) {
      const id = ++this.seq.conv;
      const names = ['Merve Işık', 'Tolga Şen', 'Gizem Uçar', 'Serkan Öz', 'Nazlı Ateş'];
      const name = names[id % names.length];
      c = {
        id,
        state: 'queued',
        agent_id: null,
        contact: { id: 2000 + id, channel_id: 1, external_id: String(905000000000 + id), name, phone: `+90 5${id % 10}0 ${id} 00 00` },
        channel: { id: 1, type: 'whatsapp', name: 'Mağaza WhatsApp' },
        queued_at: now,
        created_at: now,
        last_message_preview: body,
      };
      w.conversations.push(c);
      this.tl(c.id, 'created', null);
    }
    w.messages.push({ id: ++this.seq.msg, conversation_id: c.id, direction: 'in', body, status: 'received', created_at: now });
    c.last_inbound_at = now;
    c.last_message_at = now;
    c.last_message_preview = body;
    if (c.agent_id === w.meId) w.unread[c.id] = (w.unread[c.id] ?? 0) + 1;
    this.changed(c.id);
    return c.id;
  }

  /** Delivers queued replies, as the sync engine does when the connection returns. */
  flushOutbox(): void {
    for (const o of this.world.outbox) if (o.state === 'queued') this.deliver(o);
  }

  private tl(cid: number, kind: string, actor: number | null, data?: TimelineEntry['data']) {
    this.world.timeline.push({ id: ++this.seq.tl, conversation_id: cid, at: this.world.now(), kind, actor_id: actor, data });
  }

  private changed(cid?: number) {
    queueMicrotask(() => {
      this.emit('inbox');
      if (cid != null) this.emit('conversation', { id: cid });
    });
  }

  private requireOnline() {
    const me = this.me();
    if (me.presence !== 'online') throw refusal('not_online', 'you must be online');
  }

  private deliver(o: OutboxItem) {
    const w = this.world;
    const c = w.conversations.find((x) => x.id === o.conversation_id);
    if (!c || c.state !== 'assigned' || c.agent_id !== w.meId) {
      o.state = 'failed';
      o.error = { code: 'not_holder', message: 'the conversation is not yours' };
    } else if (o.body.includes('#fail')) {
      o.state = 'failed';
      o.error = { code: 'window_closed', message: 'the 24-hour window is closed' };
    } else {
      const id = ++this.seq.msg;
      w.messages.push({ id, conversation_id: c.id, direction: 'out', author_id: w.meId, body: o.body, attachments: o.attachments ?? undefined, status: 'sent', idempotency_key: o.key, created_at: w.now() });
      o.state = 'sent';
      o.message_id = id;
      c.last_message_at = w.now();
      c.last_message_preview = o.body;
      if (!c.first_response_at) c.first_response_at = w.now();
    }
    this.changed(o.conversation_id);
  }

  private session(): Session {
    const w = this.world;
    return {
      signed_in: w.signedIn,
      server_url: w.serverURL,
      username: w.username,
      user: w.signedIn ? this.me() : null,
      connection: w.connection,
      preferences: w.preferences,
      version: '0.1.0',
    };
  }

  private inbox(): Inbox {
    const w = this.world;
    const meId = w.meId;
    const mine = w.conversations.filter((c) => c.state === 'assigned' && c.agent_id === meId).map((c) => ({ ...c, unread: w.unread[c.id] ?? 0 }));
    return {
      mine,
      queue: w.conversations.filter((c) => c.state === 'queued'),
      offers: w.offers.filter((o) => o.state === 'pending' && (o.to_agent_id === meId || o.from_agent_id === meId)),
      agents: w.users.map((u) => ({ ...u, active: w.conversations.filter((c) => c.state === 'assigned' && c.agent_id === u.id).length })),
      end_reasons: w.endReasons,
      quick_messages: w.quick.filter((q) => q.owner_id == null || q.owner_id === meId),
      workspace: { auto_assign: w.autoAssign, default_limit: 3, hard_cap: 0, offer_timeout_seconds: 120, offline_grace_seconds: 60, requeue_on_offline: true },
      unread_total: mine.reduce((n, c) => n + c.unread, 0),
      server_time: w.now(),
    };
  }

  private view(id: number): ConversationView {
    const w = this.world;
    const c = this.conversation(id);
    return {
      conversation: c,
      messages: w.messages.filter((m) => m.conversation_id === id),
      timeline: w.timeline.filter((e) => e.conversation_id === id),
      earlier: w.conversations.filter((x) => x.id !== id && x.contact.phone === c.contact.phone && x.created_at < c.created_at),
      pending_offer: w.offers.find((o) => o.conversation_id === id && o.state === 'pending') ?? null,
      outbox: w.outbox.filter((o) => o.conversation_id === id),
      from_cache: w.offline,
      // What the server sends: 24 hours after the customer's last message on the Meta channels.
      window_closes_at: ['whatsapp', 'messenger', 'instagram'].includes(c.channel.type) && c.last_inbound_at ? c.last_inbound_at + 24 * 3600 * 1000 : 0,
    };
  }

  private resolveOffer(o: TransferOffer, state: TransferOffer['state']) {
    o.state = state;
    o.resolved_at = this.world.now();
    const c = this.conversation(o.conversation_id);
    c.pending_offer_id = null;
    this.tl(c.id, 'transfer_' + state, state === 'accepted' ? o.to_agent_id : null, { offer_id: o.id, from_agent_id: o.from_agent_id, to_agent_id: o.to_agent_id, note: state === 'accepted' ? o.note : undefined, reason: state });
  }

  private methods(): Record<string, Method> {
    const w = this.world;
    const self = this;
    return {
      async Session() {
        return self.session();
      },
      async Login(url: string, username: string, password: string) {
        const u = w.users.find((x) => x.username === username);
        if (!u || password !== w.password) throw refusal('bad_credentials', 'wrong username or password');
        w.signedIn = true;
        w.serverURL = url;
        w.username = username;
        w.meId = u.id;
        w.connection = { state: 'connected', since: w.now(), attempt: 0 };
        return self.session();
      },
      async Logout() {
        w.signedIn = false;
        w.connection = { state: 'signed_out', since: w.now(), attempt: 0 };
      },
      async SavePreferences(p: Preferences) {
        w.preferences = { ...p };
        return self.session();
      },
      async SetPresence(presence: User['presence'], reason: string) {
        const me = self.me();
        me.presence = presence;
        me.presence_reason = presence === 'break' ? reason || undefined : undefined;
        me.presence_since = w.now();
        if (presence !== 'online') {
          for (const o of w.offers) if (o.state === 'pending' && o.to_agent_id === me.id) self.resolveOffer(o, 'withdrawn');
        }
        self.changed();
        return me;
      },
      async Inbox() {
        if (!w.signedIn) throw refusal('signed_out', 'signed out');
        return self.inbox();
      },
      async OpenConversation(id: number) {
        const v = self.view(id);
        w.unread[id] = 0;
        return v;
      },
      async Pull() {
        self.requireOnline();
        const next = w.conversations.filter((c) => c.state === 'queued').sort((a, b) => a.queued_at - b.queued_at)[0];
        if (!next) throw refusal('queue_empty', 'the queue is empty');
        next.state = 'assigned';
        next.agent_id = w.meId;
        next.assigned_at = w.now();
        self.tl(next.id, 'assigned', w.meId, { agent_id: w.meId, by: 'pull' });
        self.changed(next.id);
        return next;
      },
      async Send(cid: number, body: string) {
        if (!body.trim()) throw refusal('empty_message', 'a message needs text');
        const c = self.conversation(cid);
        if (c.state === 'ended') throw refusal('conversation_ended', 'ended');
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        const item: OutboxItem = { key: 'k' + ++self.seq.key, conversation_id: cid, body, state: 'queued', created_at: w.now() };
        w.outbox.push(item);
        if (!w.offline) queueMicrotask(() => self.deliver(item));
        return { ...item };
      },
      async SendWithAttachments(cid: number, body: string, attachments: Attachment[] | null) {
        if (!body.trim() && !(attachments ?? []).length) throw refusal('empty_message', 'a message needs text');
        const c = self.conversation(cid);
        if (c.state === 'ended') throw refusal('conversation_ended', 'ended');
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        const item: OutboxItem = { key: 'k' + ++self.seq.key, conversation_id: cid, body, state: 'queued', created_at: w.now(), attachments: attachments && attachments.length ? attachments : undefined };
        w.outbox.push(item);
        if (!w.offline) queueMicrotask(() => self.deliver(item));
        return { ...item };
      },
      async UploadAttachment(cid: number, name: string, mime: string, data: string) {
        if (w.offline || w.connection.state !== 'connected') throw refusal('offline', 'the server cannot be reached');
        const c = self.conversation(cid);
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        if ((w.refuseMime ?? []).includes(mime)) throw refusal('invalid_field', 'unsupported file type', 'file');
        w.uploads = { ...(w.uploads ?? {}), [name]: data };
        const kind = mime.startsWith('image/') ? 'image' : mime.startsWith('video/') ? 'video' : mime.startsWith('audio/') ? 'audio' : 'document';
        const a: Attachment = { kind, name, mime_type: mime, size: Math.floor((data.length * 3) / 4), url: '/api/v1/media/up-' + ++self.seq.msg };
        return a;
      },
      async ChannelAccounts() {
        if (self.me().role !== 'admin') throw refusal('forbidden', 'admins only');
        return (w.channelAccounts ?? []).map((c) => ({ ...c, credentials: [...c.credentials!] }));
      },
      async SaveChannelAccount(id: number, req: ChannelRequest) {
        if (self.me().role !== 'admin') throw refusal('forbidden', 'admins only');
        w.channelRequests = [...(w.channelRequests ?? []), { id, req: JSON.parse(JSON.stringify(req)) }];
        const list = (w.channelAccounts = w.channelAccounts ?? []);
        let c = list.find((x) => x.id === id);
        if (id !== 0 && !c) throw refusal('not_found', 'no such channel');
        if (!c) {
          if (!req.name) throw refusal('invalid_field', 'a channel name is 1–80 characters', 'name');
          if (!['whatsapp', 'messenger', 'instagram', 'telegram'].includes(req.type ?? '')) throw refusal('invalid_field', 'bad type', 'type');
          const nid = 100 + list.length + 1;
          c = { id: nid, type: req.type!, name: '', enabled: true, base_url: '', account_id: '', human_agent: false, webhook_path: `/webhooks/${req.type}/${nid}`, credentials: [] };
          list.push(c);
        }
        if (req.name !== undefined) c.name = req.name;
        if (!c.name) throw refusal('invalid_field', 'a channel name is 1–80 characters', 'name');
        for (const k of ['enabled', 'base_url', 'api_version', 'account_id', 'waba_id', 'human_agent'] as const) {
          if (req[k] !== undefined) (c as unknown as Record<string, unknown>)[k] = req[k];
        }
        const secrets = (w.secrets = w.secrets ?? {});
        secrets[c.id] = { ...(secrets[c.id] ?? {}), ...(req.credentials ?? {}) };
        c.credentials = Object.keys(secrets[c.id]);
        return { ...c, credentials: [...c.credentials] };
      },
      async SyncTemplates(id: number) {
        const c = (w.channelAccounts ?? []).find((x) => x.id === id);
        if (!c) throw refusal('not_found', 'no such channel');
        if (c.type !== 'whatsapp') throw refusal('invalid_field', 'templates exist on WhatsApp channels only', 'id');
        return (w.templates ?? []).filter((x) => x.channel_id === id);
      },
      async RetrySend(key: string) {
        const o = w.outbox.find((x) => x.key === key);
        if (!o) throw refusal('not_found', 'no such reply');
        o.state = 'queued';
        o.error = null;
        o.body = o.body.replace('#fail', '');
        if (!w.offline) queueMicrotask(() => self.deliver(o));
      },
      async DiscardSend(key: string) {
        w.outbox = w.outbox.filter((x) => x.key !== key);
        self.changed();
      },
      async Transfer(cid: number, to: number, note: string) {
        self.requireOnline();
        const c = self.conversation(cid);
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        if (to === w.meId) throw refusal('transfer_to_self', 'self');
        if (w.offers.some((o) => o.conversation_id === cid && o.state === 'pending')) throw refusal('transfer_pending', 'pending');
        const target = w.users.find((u) => u.id === to);
        if (!target) throw refusal('not_found', 'no such agent');
        if (target.presence === 'break') throw refusal('agent_on_break', `${target.display_name} is on break`);
        if (target.presence === 'offline') throw refusal('agent_offline', `${target.display_name} is offline`);
        const o: TransferOffer = { id: ++self.seq.offer, conversation_id: cid, from_agent_id: w.meId, to_agent_id: to, note: note || undefined, state: 'pending', created_at: w.now(), expires_at: w.now() + 120_000 };
        w.offers.push(o);
        c.pending_offer_id = o.id;
        self.tl(cid, 'transfer_offered', w.meId, { offer_id: o.id, to_agent_id: to, note });
        self.changed(cid);
        return o;
      },
      async AcceptTransfer(id: number) {
        self.requireOnline();
        const o = w.offers.find((x) => x.id === id);
        if (!o || o.state !== 'pending' || o.expires_at <= w.now()) throw refusal('offer_not_pending', 'not pending');
        self.resolveOffer(o, 'accepted');
        const c = self.conversation(o.conversation_id);
        c.agent_id = o.to_agent_id;
        self.changed(c.id);
        return c;
      },
      async RefreshAgents() {
        return w.users;
      },
      async RejectTransfer(id: number) {
        const o = w.offers.find((x) => x.id === id);
        if (!o || o.state !== 'pending') throw refusal('offer_not_pending', 'not pending');
        self.resolveOffer(o, 'rejected');
        self.changed(o.conversation_id);
      },
      async CancelTransfer(id: number) {
        const o = w.offers.find((x) => x.id === id);
        if (!o || o.state !== 'pending') throw refusal('offer_not_pending', 'not pending');
        self.resolveOffer(o, 'cancelled');
        self.changed(o.conversation_id);
      },
      async End(cid: number, reasonId: number) {
        const c = self.conversation(cid);
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        if (!reasonId) throw refusal('end_reason_required', 'required');
        const r = w.endReasons.find((x) => x.id === reasonId && x.active);
        if (!r) throw refusal('end_reason_unknown', 'unknown');
        c.state = 'ended';
        c.ended_at = w.now();
        c.end_reason_id = r.id;
        c.end_reason = r.label;
        for (const o of w.offers) if (o.conversation_id === cid && o.state === 'pending') self.resolveOffer(o, 'withdrawn');
        self.tl(cid, 'ended', w.meId, { end_reason_id: r.id, end_reason: r.label });
        self.changed(cid);
        return c;
      },
      async TakeUp(cid: number) {
        self.requireOnline();
        const c = self.conversation(cid);
        if (c.state !== 'ended') throw refusal('conversation_not_ended', 'not ended');
        c.state = 'assigned';
        c.agent_id = w.meId;
        c.assigned_at = w.now();
        c.ended_at = undefined;
        c.end_reason = undefined;
        c.end_reason_id = null;
        self.tl(cid, 'taken_up', w.meId);
        self.changed(cid);
        return c;
      },
      async History(q: HistoryQuery) {
        const text = q.text.toLocaleLowerCase('tr-TR');
        const cust = q.customer.toLocaleLowerCase('tr-TR');
        const from = q.from ? new Date(q.from + 'T00:00:00').getTime() : 0;
        const to = q.to ? new Date(q.to + 'T00:00:00').getTime() + 24 * 60 * MIN : Infinity;
        const all = w.conversations
          .filter((c) => (q.view === 'ended' ? c.state === 'ended' : c.state !== 'queued'))
          .filter((c) => !cust || c.contact.name.toLocaleLowerCase('tr-TR').includes(cust) || (c.contact.phone ?? '').includes(q.customer))
          .filter((c) => !text || w.messages.some((m) => m.conversation_id === c.id && m.body.toLocaleLowerCase('tr-TR').includes(text)))
          .filter((c) => !q.channel_id || c.channel.id === q.channel_id)
          .filter((c) => !q.agent_id || c.agent_id === q.agent_id)
          .filter((c) => !q.end_reason_id || c.end_reason_id === q.end_reason_id)
          .filter((c) => c.created_at >= from && c.created_at < to)
          .sort((a, b) => (b.ended_at ?? b.last_message_at ?? 0) - (a.ended_at ?? a.last_message_at ?? 0));
        const start = Number(q.cursor || 0);
        const page = all.slice(start, start + 20);
        return { conversations: page, next_cursor: start + 20 < all.length ? String(start + 20) : undefined };
      },
      async RenderQuickMessage(cid: number, qid: number) {
        const c = self.conversation(cid);
        const m = w.quick.find((x) => x.id === qid);
        if (!m) throw refusal('not_found', 'no such quick message');
        return m.body.replace(/\{\{\s*customer\.name\s*\}\}/g, c.contact.name).replace(/\{\{\s*agent\.name\s*\}\}/g, self.me().display_name);
      },
      async SetFocused() {},
      async Templates(cid: number) {
        const c = self.conversation(cid);
        return (w.templates ?? []).filter((x) => x.channel_id === c.channel.id);
      },
      async SendTemplate(cid: number, tid: number, params: string[]) {
        const c = self.conversation(cid);
        if (c.agent_id !== w.meId) throw refusal('not_holder', 'not yours');
        const tpl = (w.templates ?? []).find((x) => x.id === tid && x.channel_id === c.channel.id);
        if (!tpl) throw refusal('not_found', 'template not found');
        if (params.length !== tpl.params) throw refusal('invalid_field', 'wrong number of parameters', 'params');
        const body = tpl.body.replace(/\{\{(\d+)\}\}/g, (_, n: string) => params[Number(n) - 1] ?? '');
        const m: Message = { id: ++self.seq.msg, conversation_id: cid, direction: 'out', author_id: w.meId, body, status: 'queued', created_at: w.now(), template: { name: tpl.name, language: tpl.language, category: tpl.category, params } };
        w.messages.push(m);
        c.last_message_at = w.now();
        c.last_message_preview = body;
        self.changed(cid);
        return m;
      },
      async MediaURL(path: string, mime: string) {
        if (!path.startsWith('/api/v1/media/')) throw refusal('invalid_field', 'not a media path', 'path');
        const b = (w.media ?? {})[path];
        if (b == null) throw refusal('not_found', 'file not found');
        return `data:${mime || 'application/octet-stream'};base64,${b}`;
      },
    };
  }
}
