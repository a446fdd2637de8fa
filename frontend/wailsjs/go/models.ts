export namespace app {
	
	export class Connection {
	    state: string;
	    since: number;
	    attempt: number;
	    error?: string;
	
	    static createFrom(source: any = {}) {
	        return new Connection(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.state = source["state"];
	        this.since = source["since"];
	        this.attempt = source["attempt"];
	        this.error = source["error"];
	    }
	}
	export class ConversationView {
	    conversation: wire.Conversation;
	    messages: wire.Message[];
	    timeline: wire.TimelineEntry[];
	    earlier: wire.Conversation[];
	    pending_offer?: wire.TransferOffer;
	    outbox: OutboxItem[];
	    from_cache: boolean;
	
	    static createFrom(source: any = {}) {
	        return new ConversationView(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.conversation = this.convertValues(source["conversation"], wire.Conversation);
	        this.messages = this.convertValues(source["messages"], wire.Message);
	        this.timeline = this.convertValues(source["timeline"], wire.TimelineEntry);
	        this.earlier = this.convertValues(source["earlier"], wire.Conversation);
	        this.pending_offer = this.convertValues(source["pending_offer"], wire.TransferOffer);
	        this.outbox = this.convertValues(source["outbox"], OutboxItem);
	        this.from_cache = source["from_cache"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class HistoryQuery {
	    view: string;
	    text: string;
	    customer: string;
	    channel_id: number;
	    agent_id: number;
	    end_reason_id: number;
	    from: string;
	    to: string;
	    cursor: string;
	
	    static createFrom(source: any = {}) {
	        return new HistoryQuery(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.view = source["view"];
	        this.text = source["text"];
	        this.customer = source["customer"];
	        this.channel_id = source["channel_id"];
	        this.agent_id = source["agent_id"];
	        this.end_reason_id = source["end_reason_id"];
	        this.from = source["from"];
	        this.to = source["to"];
	        this.cursor = source["cursor"];
	    }
	}
	export class Inbox {
	    mine: InboxItem[];
	    queue: wire.Conversation[];
	    offers: wire.TransferOffer[];
	    agents: wire.User[];
	    end_reasons: wire.EndReason[];
	    quick_messages: wire.QuickMessage[];
	    workspace: wire.Settings;
	    unread_total: number;
	    server_time: number;
	
	    static createFrom(source: any = {}) {
	        return new Inbox(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.mine = this.convertValues(source["mine"], InboxItem);
	        this.queue = this.convertValues(source["queue"], wire.Conversation);
	        this.offers = this.convertValues(source["offers"], wire.TransferOffer);
	        this.agents = this.convertValues(source["agents"], wire.User);
	        this.end_reasons = this.convertValues(source["end_reasons"], wire.EndReason);
	        this.quick_messages = this.convertValues(source["quick_messages"], wire.QuickMessage);
	        this.workspace = this.convertValues(source["workspace"], wire.Settings);
	        this.unread_total = source["unread_total"];
	        this.server_time = source["server_time"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class InboxItem {
	    id: number;
	    state: string;
	    agent_id?: number;
	    contact: wire.Contact;
	    channel: wire.Channel;
	    queued_at: number;
	    created_at: number;
	    assigned_at?: number;
	    first_response_at?: number;
	    last_inbound_at?: number;
	    last_message_at?: number;
	    last_message_preview: string;
	    ended_at?: number;
	    end_reason_id?: number;
	    end_reason?: string;
	    previous_id?: number;
	    pending_offer_id?: number;
	    unread: number;
	
	    static createFrom(source: any = {}) {
	        return new InboxItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.state = source["state"];
	        this.agent_id = source["agent_id"];
	        this.contact = this.convertValues(source["contact"], wire.Contact);
	        this.channel = this.convertValues(source["channel"], wire.Channel);
	        this.queued_at = source["queued_at"];
	        this.created_at = source["created_at"];
	        this.assigned_at = source["assigned_at"];
	        this.first_response_at = source["first_response_at"];
	        this.last_inbound_at = source["last_inbound_at"];
	        this.last_message_at = source["last_message_at"];
	        this.last_message_preview = source["last_message_preview"];
	        this.ended_at = source["ended_at"];
	        this.end_reason_id = source["end_reason_id"];
	        this.end_reason = source["end_reason"];
	        this.previous_id = source["previous_id"];
	        this.pending_offer_id = source["pending_offer_id"];
	        this.unread = source["unread"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class OutboxItem {
	    key: string;
	    conversation_id: number;
	    body: string;
	    state: string;
	    error?: wire.Error;
	    created_at: number;
	    message_id?: number;
	    attachments?: wire.Attachment[];
	
	    static createFrom(source: any = {}) {
	        return new OutboxItem(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.key = source["key"];
	        this.conversation_id = source["conversation_id"];
	        this.body = source["body"];
	        this.state = source["state"];
	        this.error = this.convertValues(source["error"], wire.Error);
	        this.created_at = source["created_at"];
	        this.message_id = source["message_id"];
	        this.attachments = this.convertValues(source["attachments"], wire.Attachment);
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class Preferences {
	    language: string;
	    theme: string;
	    sound: boolean;
	    autostart: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Preferences(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.language = source["language"];
	        this.theme = source["theme"];
	        this.sound = source["sound"];
	        this.autostart = source["autostart"];
	    }
	}
	export class Session {
	    signed_in: boolean;
	    server_url: string;
	    username: string;
	    user?: wire.User;
	    connection: Connection;
	    preferences: Preferences;
	    version: string;
	
	    static createFrom(source: any = {}) {
	        return new Session(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.signed_in = source["signed_in"];
	        this.server_url = source["server_url"];
	        this.username = source["username"];
	        this.user = this.convertValues(source["user"], wire.User);
	        this.connection = this.convertValues(source["connection"], Connection);
	        this.preferences = this.convertValues(source["preferences"], Preferences);
	        this.version = source["version"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}

}

export namespace wire {
	
	export class Attachment {
	    kind: string;
	    url?: string;
	    name?: string;
	    mime_type?: string;
	    size?: number;
	
	    static createFrom(source: any = {}) {
	        return new Attachment(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.kind = source["kind"];
	        this.url = source["url"];
	        this.name = source["name"];
	        this.mime_type = source["mime_type"];
	        this.size = source["size"];
	    }
	}
	export class Channel {
	    id: number;
	    type: string;
	    name: string;
	
	    static createFrom(source: any = {}) {
	        return new Channel(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.type = source["type"];
	        this.name = source["name"];
	    }
	}
	export class ChannelAccount {
	    id: number;
	    type: string;
	    name: string;
	    enabled: boolean;
	    base_url: string;
	    api_version?: string;
	    account_id: string;
	    waba_id?: string;
	    human_agent: boolean;
	    webhook_path: string;
	    credentials: string[];
	
	    static createFrom(source: any = {}) {
	        return new ChannelAccount(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.type = source["type"];
	        this.name = source["name"];
	        this.enabled = source["enabled"];
	        this.base_url = source["base_url"];
	        this.api_version = source["api_version"];
	        this.account_id = source["account_id"];
	        this.waba_id = source["waba_id"];
	        this.human_agent = source["human_agent"];
	        this.webhook_path = source["webhook_path"];
	        this.credentials = source["credentials"];
	    }
	}
	export class ChannelRequest {
	    type?: string;
	    name?: string;
	    enabled?: boolean;
	    base_url?: string;
	    api_version?: string;
	    account_id?: string;
	    waba_id?: string;
	    human_agent?: boolean;
	    credentials?: Record<string, string>;
	
	    static createFrom(source: any = {}) {
	        return new ChannelRequest(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.type = source["type"];
	        this.name = source["name"];
	        this.enabled = source["enabled"];
	        this.base_url = source["base_url"];
	        this.api_version = source["api_version"];
	        this.account_id = source["account_id"];
	        this.waba_id = source["waba_id"];
	        this.human_agent = source["human_agent"];
	        this.credentials = source["credentials"];
	    }
	}
	export class Contact {
	    id: number;
	    channel_id: number;
	    external_id: string;
	    name: string;
	    phone?: string;
	    email?: string;
	
	    static createFrom(source: any = {}) {
	        return new Contact(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.channel_id = source["channel_id"];
	        this.external_id = source["external_id"];
	        this.name = source["name"];
	        this.phone = source["phone"];
	        this.email = source["email"];
	    }
	}
	export class Conversation {
	    id: number;
	    state: string;
	    agent_id?: number;
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
	    end_reason_id?: number;
	    end_reason?: string;
	    previous_id?: number;
	    pending_offer_id?: number;
	
	    static createFrom(source: any = {}) {
	        return new Conversation(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.state = source["state"];
	        this.agent_id = source["agent_id"];
	        this.contact = this.convertValues(source["contact"], Contact);
	        this.channel = this.convertValues(source["channel"], Channel);
	        this.queued_at = source["queued_at"];
	        this.created_at = source["created_at"];
	        this.assigned_at = source["assigned_at"];
	        this.first_response_at = source["first_response_at"];
	        this.last_inbound_at = source["last_inbound_at"];
	        this.last_message_at = source["last_message_at"];
	        this.last_message_preview = source["last_message_preview"];
	        this.ended_at = source["ended_at"];
	        this.end_reason_id = source["end_reason_id"];
	        this.end_reason = source["end_reason"];
	        this.previous_id = source["previous_id"];
	        this.pending_offer_id = source["pending_offer_id"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class ConversationPage {
	    conversations: Conversation[];
	    next_cursor?: string;
	
	    static createFrom(source: any = {}) {
	        return new ConversationPage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.conversations = this.convertValues(source["conversations"], Conversation);
	        this.next_cursor = source["next_cursor"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class EndReason {
	    id: number;
	    label: string;
	    active: boolean;
	    position: number;
	
	    static createFrom(source: any = {}) {
	        return new EndReason(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.label = source["label"];
	        this.active = source["active"];
	        this.position = source["position"];
	    }
	}
	export class Error {
	    code: string;
	    message: string;
	    field?: string;
	
	    static createFrom(source: any = {}) {
	        return new Error(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.code = source["code"];
	        this.message = source["message"];
	        this.field = source["field"];
	    }
	}
	export class Template {
	    id: number;
	    channel_id: number;
	    name: string;
	    language: string;
	    category: string;
	    body: string;
	    params: number;
	    paid: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Template(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.channel_id = source["channel_id"];
	        this.name = source["name"];
	        this.language = source["language"];
	        this.category = source["category"];
	        this.body = source["body"];
	        this.params = source["params"];
	        this.paid = source["paid"];
	    }
	}
	export class Message {
	    id: number;
	    conversation_id: number;
	    direction: string;
	    author_id?: number;
	    body: string;
	    attachments?: Attachment[];
	    status: string;
	    status_reason?: string;
	    external_id?: string;
	    idempotency_key?: string;
	    created_at: number;
	
	    static createFrom(source: any = {}) {
	        return new Message(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.conversation_id = source["conversation_id"];
	        this.direction = source["direction"];
	        this.author_id = source["author_id"];
	        this.body = source["body"];
	        this.attachments = this.convertValues(source["attachments"], Attachment);
	        this.status = source["status"];
	        this.status_reason = source["status_reason"];
	        this.external_id = source["external_id"];
	        this.idempotency_key = source["idempotency_key"];
	        this.created_at = source["created_at"];
	    }
	
	    convertValues(a: any, classs: any, asMap: boolean = false): any {
	        if (!a) {
	            return a;
	        }
	        if (a.slice && a.map) {
	            return (a as any[]).map(elem => this.convertValues(elem, classs));
	        } else if ("object" === typeof a) {
	            if (asMap) {
	                for (const key of Object.keys(a)) {
	                    a[key] = new classs(a[key]);
	                }
	                return a;
	            }
	            return new classs(a);
	        }
	        return a;
	    }
	}
	export class QuickMessage {
	    id: number;
	    owner_id?: number;
	    title: string;
	    shortcut: string;
	    body: string;
	
	    static createFrom(source: any = {}) {
	        return new QuickMessage(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.owner_id = source["owner_id"];
	        this.title = source["title"];
	        this.shortcut = source["shortcut"];
	        this.body = source["body"];
	    }
	}
	export class Settings {
	    auto_assign: boolean;
	    default_limit: number;
	    hard_cap: number;
	    offer_timeout_seconds: number;
	    offline_grace_seconds: number;
	    requeue_on_offline: boolean;
	
	    static createFrom(source: any = {}) {
	        return new Settings(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.auto_assign = source["auto_assign"];
	        this.default_limit = source["default_limit"];
	        this.hard_cap = source["hard_cap"];
	        this.offer_timeout_seconds = source["offer_timeout_seconds"];
	        this.offline_grace_seconds = source["offline_grace_seconds"];
	        this.requeue_on_offline = source["requeue_on_offline"];
	    }
	}
	export class TimelineEntry {
	    id: number;
	    conversation_id: number;
	    at: number;
	    kind: string;
	    actor_id?: number;
	    data?: number[];
	
	    static createFrom(source: any = {}) {
	        return new TimelineEntry(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.conversation_id = source["conversation_id"];
	        this.at = source["at"];
	        this.kind = source["kind"];
	        this.actor_id = source["actor_id"];
	        this.data = source["data"];
	    }
	}
	export class TransferOffer {
	    id: number;
	    conversation_id: number;
	    from_agent_id: number;
	    to_agent_id: number;
	    note?: string;
	    state: string;
	    reason?: string;
	    created_at: number;
	    expires_at: number;
	    resolved_at?: number;
	
	    static createFrom(source: any = {}) {
	        return new TransferOffer(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.conversation_id = source["conversation_id"];
	        this.from_agent_id = source["from_agent_id"];
	        this.to_agent_id = source["to_agent_id"];
	        this.note = source["note"];
	        this.state = source["state"];
	        this.reason = source["reason"];
	        this.created_at = source["created_at"];
	        this.expires_at = source["expires_at"];
	        this.resolved_at = source["resolved_at"];
	    }
	}
	export class User {
	    id: number;
	    username: string;
	    display_name: string;
	    role: string;
	    presence: string;
	    presence_reason?: string;
	    presence_since: number;
	    auto_limit?: number;
	    hard_cap?: number;
	    active: number;
	    effective_limit: number;
	    last_assigned_at?: number;
	    disabled?: boolean;
	
	    static createFrom(source: any = {}) {
	        return new User(source);
	    }
	
	    constructor(source: any = {}) {
	        if ('string' === typeof source) source = JSON.parse(source);
	        this.id = source["id"];
	        this.username = source["username"];
	        this.display_name = source["display_name"];
	        this.role = source["role"];
	        this.presence = source["presence"];
	        this.presence_reason = source["presence_reason"];
	        this.presence_since = source["presence_since"];
	        this.auto_limit = source["auto_limit"];
	        this.hard_cap = source["hard_cap"];
	        this.active = source["active"];
	        this.effective_limit = source["effective_limit"];
	        this.last_assigned_at = source["last_assigned_at"];
	        this.disabled = source["disabled"];
	    }
	}

}

