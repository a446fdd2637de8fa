// Package wire holds the types that cross the network between santrald and the desktop app:
// resources, requests, events and error codes. Both sides import it so they cannot drift.
package wire

import "encoding/json"

// Presence of a user, PRODUCT.md rule 1.
type Presence string

const (
	Offline Presence = "offline"
	Online  Presence = "online"
	Break   Presence = "break"
)

// Role of a user; every API call is authorised by role and ownership.
type Role string

const (
	RoleAdmin      Role = "admin"
	RoleSupervisor Role = "supervisor"
	RoleAgent      Role = "agent"
)

// Staff reports whether the role may watch every conversation (dashboard, history of all).
func (r Role) Staff() bool { return r == RoleAdmin || r == RoleSupervisor }

// ConversationState is where a conversation is in its life.
type ConversationState string

const (
	Queued   ConversationState = "queued"
	Assigned ConversationState = "assigned"
	Ended    ConversationState = "ended"
	// InFlow: a chatbot flow talks to the customer; neither queued nor held by an agent.
	InFlow ConversationState = "flow"
)

// OfferState is the state of a transfer offer (PRODUCT.md rule 8).
type OfferState string

const (
	OfferPending   OfferState = "pending"
	OfferAccepted  OfferState = "accepted"
	OfferRejected  OfferState = "rejected"
	OfferExpired   OfferState = "expired"
	OfferWithdrawn OfferState = "withdrawn" // receiver went on break/offline, or the conversation ended
	OfferCancelled OfferState = "cancelled" // the sender took it back
)

// MessageStatus is the delivery status of a message; it never moves backwards.
type MessageStatus string

const (
	StatusReceived  MessageStatus = "received" // inbound from the customer
	StatusQueued    MessageStatus = "queued"   // outbound, stored, not yet handed to the channel
	StatusSent      MessageStatus = "sent"
	StatusDelivered MessageStatus = "delivered"
	StatusRead      MessageStatus = "read"
	StatusFailed    MessageStatus = "failed"
)

// User as other users see it (agents list, transfer dialog, dashboard).
type User struct {
	ID             int64    `json:"id"`
	Username       string   `json:"username"`
	DisplayName    string   `json:"display_name"`
	Role           Role     `json:"role"`
	Presence       Presence `json:"presence"`
	PresenceReason string   `json:"presence_reason,omitempty"`
	PresenceSince  int64    `json:"presence_since"` // unix milliseconds
	AutoLimit      *int     `json:"auto_limit"`     // nil: the workspace default
	HardCap        *int     `json:"hard_cap"`       // nil: the workspace default
	Active         int      `json:"active"`         // conversations held right now
	EffectiveLimit int      `json:"effective_limit"`
	LastAssignedAt int64    `json:"last_assigned_at,omitempty"`
	Disabled       bool     `json:"disabled,omitempty"`
}

// Contact is a customer on one channel.
type Contact struct {
	ID         int64  `json:"id"`
	ChannelID  int64  `json:"channel_id"`
	ExternalID string `json:"external_id"`
	Name       string `json:"name"`
	Phone      string `json:"phone,omitempty"`
	Email      string `json:"email,omitempty"`
}

// Channel is a connected messaging account (sandbox now; WhatsApp, Messenger, … later).
type Channel struct {
	ID   int64  `json:"id"`
	Type string `json:"type"`
	Name string `json:"name"`
}

// Conversation is the summary shown in lists and carried by events.
type Conversation struct {
	ID                 int64             `json:"id"`
	State              ConversationState `json:"state"`
	AgentID            *int64            `json:"agent_id"`
	Contact            Contact           `json:"contact"`
	Channel            Channel           `json:"channel"`
	QueuedAt           int64             `json:"queued_at"`
	CreatedAt          int64             `json:"created_at"`
	AssignedAt         int64             `json:"assigned_at,omitempty"`
	FirstResponseAt    int64             `json:"first_response_at,omitempty"`
	LastInboundAt      int64             `json:"last_inbound_at,omitempty"`
	LastMessageAt      int64             `json:"last_message_at,omitempty"`
	LastMessagePreview string            `json:"last_message_preview"`
	EndedAt            int64             `json:"ended_at,omitempty"`
	EndReasonID        *int64            `json:"end_reason_id,omitempty"`
	EndReason          string            `json:"end_reason,omitempty"`
	PreviousID         *int64            `json:"previous_id,omitempty"`
	PendingOfferID     *int64            `json:"pending_offer_id,omitempty"`
	// QueueKey orders the queue as the server serves it (set while queued): the app sorts the
	// queue by it ascending and never re-derives the order itself.
	QueueKey string `json:"queue_key,omitempty"`
	// WindowClosesAt is when the channel's messaging window closes (or closed), unix ms, as the
	// server's rule decides it; 0 when the channel has none.
	WindowClosesAt int64 `json:"window_closes_at,omitempty"`
	// Redacted marks a summary sent to a user who may not read the conversation (another agent
	// holds it): only its routing fields are set — no contact details, no preview. The app
	// drops such a conversation from its lists and keeps none of its content.
	Redacted bool `json:"redacted,omitempty"`
	// FlowID is the flow talking to the customer (state flow); FlowAgentID the agent who handed
	// the conversation to it (nil: the channel's default flow).
	FlowID      *int64 `json:"flow_id,omitempty"`
	FlowAgentID *int64 `json:"flow_agent_id,omitempty"`
}

// Attachment of a message: documents, images, video, audio.
type Attachment struct {
	Kind     string `json:"kind"` // image, document, video, audio, sticker, location
	URL      string `json:"url,omitempty"`
	Name     string `json:"name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
	Size     int64  `json:"size,omitempty"`
	// Ref is the provider's reference (media id, file_id, URL) until the file is in Santral's
	// media storage.
	Ref     string `json:"ref,omitempty"`
	Caption string `json:"caption,omitempty"`
	// Latitude/Longitude for a location.
	Latitude  float64 `json:"latitude,omitempty"`
	Longitude float64 `json:"longitude,omitempty"`
}

// Message in a conversation.
type Message struct {
	ID             int64         `json:"id"`
	ConversationID int64         `json:"conversation_id"`
	Direction      string        `json:"direction"` // in | out
	AuthorID       *int64        `json:"author_id,omitempty"`
	Body           string        `json:"body"`
	Attachments    []Attachment  `json:"attachments,omitempty"`
	Status         MessageStatus `json:"status"`
	StatusReason   string        `json:"status_reason,omitempty"`
	// DeliveryUnknown marks a failed send the provider may have received all the same (no
	// answer came back once it had left): the agent checks the customer's chat and sends it
	// again if it is not there. Santral never sends it again by itself.
	DeliveryUnknown bool             `json:"delivery_unknown,omitempty"`
	ExternalID      string           `json:"external_id,omitempty"`
	IdempotencyKey  string           `json:"idempotency_key,omitempty"`
	Template        *MessageTemplate `json:"template,omitempty"`
	// FlowID marks a message a chatbot flow sent (no author); Interactive its choices.
	FlowID      *int64       `json:"flow_id,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
	// CreatedAt is when Santral stored the message (its arrival, for a customer's message):
	// messages are ordered by arrival.
	CreatedAt int64 `json:"created_at"`
	// SentAt is when its sender sent it, the time to show: for a customer's message the
	// provider's timestamp (never later than its arrival), for ours when it was stored. A
	// message redelivered days late keeps the customer's time and opens no window.
	SentAt int64 `json:"sent_at"`
}

// WebhookResult is the 200 answer to a provider's delivery: what it carried, counted. Messages
// are newly stored ones; Duplicates were stored before (a redelivery); Rejected could not be
// stored as messages and were recorded instead (GET /api/v1/channel-accounts/{id}/rejected).
type WebhookResult struct {
	Messages   int `json:"messages"`
	Duplicates int `json:"duplicates"`
	Rejected   int `json:"rejected"`
	Statuses   int `json:"statuses"`
}

// RejectedMessage is a message a verified delivery carried that could not be stored as a
// message (malformed, or refused by a rule): recorded with the provider's JSON for an admin.
type RejectedMessage struct {
	ID         int64  `json:"id"`
	ChannelID  int64  `json:"channel_id"`
	ExternalID string `json:"external_id,omitempty"`
	SenderID   string `json:"sender_id,omitempty"`
	Reason     string `json:"reason"`
	Payload    string `json:"payload"` // the provider's JSON of that message, cut at 16 KiB
	ReceivedAt int64  `json:"received_at"`
}

// TimelineEntry is one step in a conversation's life: created, assigned, pulled, transfer offered,
// accepted, …, ended, taken up again.
type TimelineEntry struct {
	ID             int64           `json:"id"`
	ConversationID int64           `json:"conversation_id"`
	At             int64           `json:"at"`
	Kind           string          `json:"kind"`
	ActorID        *int64          `json:"actor_id,omitempty"`
	Data           json.RawMessage `json:"data,omitempty"`
}

// TransferOffer from the holder to another online agent.
type TransferOffer struct {
	ID             int64      `json:"id"`
	ConversationID int64      `json:"conversation_id"`
	FromAgentID    int64      `json:"from_agent_id"`
	ToAgentID      int64      `json:"to_agent_id"`
	Note           string     `json:"note,omitempty"`
	State          OfferState `json:"state"`
	Reason         string     `json:"reason,omitempty"`
	CreatedAt      int64      `json:"created_at"`
	ExpiresAt      int64      `json:"expires_at"`
	ResolvedAt     int64      `json:"resolved_at,omitempty"`
	// CustomerName and CustomerMessage are what the receiver decides on: the customer's name
	// (or number) and the text of their last message. Only a pending offer carries them, and
	// only to those who may read its conversation while it is pending (its two agents and
	// staff); a rejected, withdrawn or expired offer never does.
	CustomerName    string `json:"customer_name,omitempty"`
	CustomerMessage string `json:"customer_message,omitempty"`
}

// EndReason from the admin's list; ending a conversation requires one.
type EndReason struct {
	ID       int64  `json:"id"`
	Label    string `json:"label"`
	Active   bool   `json:"active"`
	Position int    `json:"position"`
}

// QuickMessage is a saved answer; OwnerID nil means shared (managed by admins).
type QuickMessage struct {
	ID       int64  `json:"id"`
	OwnerID  *int64 `json:"owner_id"`
	Title    string `json:"title"`
	Shortcut string `json:"shortcut"`
	Body     string `json:"body"`
}

// Settings are the workspace's routing settings, set by admins.
type Settings struct {
	AutoAssign          bool `json:"auto_assign"`
	DefaultLimit        int  `json:"default_limit"`         // auto-assignment limit; 0 = never
	HardCap             int  `json:"hard_cap"`              // manual pull cap; 0 = none
	OfferTimeoutSeconds int  `json:"offer_timeout_seconds"` // transfer offers expire after this
	OfflineGraceSeconds int  `json:"offline_grace_seconds"` // disconnected this long = offline
	RequeueOnOffline    bool `json:"requeue_on_offline"`    // held conversations go back to the queue
}

// DefaultSettings are used on first start.
func DefaultSettings() Settings {
	return Settings{AutoAssign: true, DefaultLimit: 3, OfferTimeoutSeconds: 120, OfflineGraceSeconds: 60, RequeueOnOffline: true}
}

// Channel types.
const (
	ChannelSandbox   = "sandbox"
	ChannelWhatsApp  = "whatsapp"
	ChannelMessenger = "messenger"
	ChannelInstagram = "instagram"
	ChannelTelegram  = "telegram"
	ChannelWebchat   = "webchat" // the website chat widget
)

// DeliveredDirectly reports channels whose replies reach the customer through Santral itself
// (stored = delivered): the sandbox and the website chat. Others go through a send job.
func DeliveredDirectly(channelType string) bool {
	return channelType == ChannelSandbox || channelType == ChannelWebchat
}

// ChannelAccount is a connected channel as admins see it: its settings and which credentials
// are set — never their values.
type ChannelAccount struct {
	Channel
	Enabled     bool     `json:"enabled"`
	BaseURL     string   `json:"base_url"`
	APIVersion  string   `json:"api_version,omitempty"`
	AccountID   string   `json:"account_id"` // phone_number_id, page id or Instagram id
	WABAID      string   `json:"waba_id,omitempty"`
	HumanAgent  bool     `json:"human_agent"` // Messenger/Instagram: approved for the HUMAN_AGENT tag
	WebhookPath string   `json:"webhook_path"`
	Credentials []string `json:"credentials"` // names of the credentials that are set
	// DefaultFlowID is the flow new conversations on this channel go through first (0: none).
	DefaultFlowID int64 `json:"default_flow_id,omitempty"`
}

// ChannelRequest creates or changes a channel account. Credentials are write-only: token,
// app_secret, verify_token (Meta), secret_token (Telegram).
type ChannelRequest struct {
	Type        string            `json:"type,omitempty"`
	Name        *string           `json:"name,omitempty"`
	Enabled     *bool             `json:"enabled,omitempty"`
	BaseURL     *string           `json:"base_url,omitempty"`
	APIVersion  *string           `json:"api_version,omitempty"`
	AccountID   *string           `json:"account_id,omitempty"`
	WABAID      *string           `json:"waba_id,omitempty"`
	HumanAgent  *bool             `json:"human_agent,omitempty"`
	Credentials map[string]string `json:"credentials,omitempty"`
}

// Template is an approved WhatsApp template. Paid says whether sending it now is charged:
// marketing and authentication always, utility outside the customer's 24-hour window.
type Template struct {
	ID        int64  `json:"id"`
	ChannelID int64  `json:"channel_id"`
	Name      string `json:"name"`
	Language  string `json:"language"`
	Category  string `json:"category"` // MARKETING, UTILITY, AUTHENTICATION
	Body      string `json:"body"`     // with {{1}}… or {{customer_name}}… placeholders
	Params    int    `json:"params"`
	Paid      bool   `json:"paid"`
	// ParameterFormat is Meta's: POSITIONAL ({{1}}, {{2}}) or NAMED ({{customer_name}}).
	ParameterFormat string `json:"parameter_format"`
	// Parameters are the body's placeholders in the order SendTemplateRequest.Params fills them,
	// each with the template's example value when it has one, so an agent sees what to write.
	Parameters []TemplateParameter `json:"parameters"`
}

// TemplateParameter is one placeholder of a template body: its name as written between the
// braces ("1" or "customer_name") and the example value given when the template was made.
type TemplateParameter struct {
	Name    string `json:"name"`
	Example string `json:"example,omitempty"`
}

// Template parameter formats (Meta's parameter_format).
const (
	TemplatePositional = "POSITIONAL"
	TemplateNamed      = "NAMED"
)

// MessageTemplate is the template a message was sent as. ParamNames are set for a NAMED
// template: Meta takes each parameter with its name.
type MessageTemplate struct {
	Name       string   `json:"name"`
	Language   string   `json:"language"`
	Category   string   `json:"category"`
	Params     []string `json:"params,omitempty"`
	ParamNames []string `json:"param_names,omitempty"`
}

// SendTemplateRequest is the body of POST /api/v1/conversations/{id}/template.
type SendTemplateRequest struct {
	TemplateID     int64    `json:"template_id"`
	Params         []string `json:"params"`
	IdempotencyKey string   `json:"idempotency_key,omitempty"`
}
