package wire

import "encoding/json"

// Event types on the stream. Every state change a user may see is one of these, written to the
// event log in the transaction that made the change.
const (
	EventConversationQueued   = "conversation.queued"
	EventConversationAssigned = "conversation.assigned"
	EventConversationUpdated  = "conversation.updated"
	EventConversationEnded    = "conversation.ended"
	EventMessageCreated       = "message.created"
	EventMessageStatus        = "message.status"
	EventMessageUpdated       = "message.updated" // an attachment finished downloading
	EventTimelineAdded        = "timeline.added"
	EventTransferOffered      = "transfer.offered"
	EventTransferResolved     = "transfer.resolved"
	EventPresenceChanged      = "presence.changed"
	EventUserUpdated          = "user.updated"
	EventSettingsChanged      = "settings.changed"
	EventEndReasonsChanged    = "end_reasons.changed"
	EventQuickMessagesChanged = "quick_messages.changed"
	EventChannelsChanged      = "channels.changed" // a channel was added, renamed, or switched on or off
	// EventQueueLeft lists conversations that left the queue (given a holder) in one commit:
	// one event for everyone, instead of one per conversation per socket. The holder gets the
	// conversation itself in conversation.assigned.
	EventQueueLeft = "queue.left"
	// EventFlowsChanged: a flow was created, saved, published or archived (everyone: agents
	// list the published flows in the composer).
	EventFlowsChanged = "flows.changed"

	// InternalSessionsEnded is an internal event type: a user's sessions were ended (logout,
	// password change, disabled). Every node closes that user's streams whose session is gone;
	// it is never written to a client.
	InternalSessionsEnded = "sessions.ended"
)

// IDsData is the payload of set events (queue.left): the conversations concerned.
type IDsData struct {
	IDs []int64 `json:"ids"`
}

// SessionsEndedData is the payload of sessions.ended.
type SessionsEndedData struct {
	UserID int64 `json:"user_id"`
}

// ChannelData is the payload of channels.changed: the channel and whether it is switched on.
// Never settings or credentials: every user receives it.
type ChannelData struct {
	Channel Channel `json:"channel"`
	Enabled bool    `json:"enabled"`
}

// Event is one entry of the ordered stream. Seq is strictly increasing and has no holes for a
// given audience: a client that has seen N never later receives anything below N.
type Event struct {
	Seq            int64           `json:"seq"`
	Type           string          `json:"type"`
	At             int64           `json:"at"`
	ConversationID int64           `json:"conversation_id,omitempty"`
	Data           json.RawMessage `json:"data"`
}

// StreamFrame is what the server writes on the WebSocket.
//   - "hello": sent first; Head is the newest sequence number at connect time.
//   - "events": a batch of events in order.
//   - "resync": the client's cursor is too old (or from another database); it must reload its
//     state over HTTP and reconnect with after=Head.
type StreamFrame struct {
	Kind     string  `json:"kind"`
	Head     int64   `json:"head,omitempty"`
	Database string  `json:"database,omitempty"` // the server database's identity (hello, resync)
	Events   []Event `json:"events,omitempty"`
	// ServerTime is the server's clock at hello, unix ms: the app's clock offset comes from it.
	ServerTime int64 `json:"server_time,omitempty"`
}

// AssignedData is the payload of conversation.assigned.
type AssignedData struct {
	Conversation Conversation `json:"conversation"`
	By           string       `json:"by"` // auto | pull | transfer | take_up | supervisor
}

// MessageData is the payload of message.created.
type MessageData struct {
	Message Message `json:"message"`
}

// MessageStatusData is the payload of message.status.
type MessageStatusData struct {
	MessageID       int64         `json:"message_id"`
	Status          MessageStatus `json:"status"`
	StatusReason    string        `json:"status_reason,omitempty"`
	DeliveryUnknown bool          `json:"delivery_unknown,omitempty"` // see Message.DeliveryUnknown
}

// ConversationData is the payload of conversation.queued/updated/ended.
type ConversationData struct {
	Conversation Conversation `json:"conversation"`
}

// OfferData is the payload of transfer.offered and transfer.resolved.
type OfferData struct {
	Offer TransferOffer `json:"offer"`
}

// PresenceData is the payload of presence.changed.
type PresenceData struct {
	User User `json:"user"`
}
