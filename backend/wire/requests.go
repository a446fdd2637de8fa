package wire

// LoginRequest is the body of POST /api/v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse carries the bearer token and who it belongs to.
type LoginResponse struct {
	Token     string `json:"token"`
	ExpiresAt int64  `json:"expires_at"`
	User      User   `json:"user"`
}

// PresenceRequest is the body of PUT /api/v1/me/presence.
type PresenceRequest struct {
	Presence Presence `json:"presence"`
	Reason   string   `json:"reason,omitempty"`
}

// SendMessageRequest is the body of POST /api/v1/conversations/{id}/messages. The idempotency
// key makes a retried send (e.g. from the desktop outbox after a reconnect) store one message.
type SendMessageRequest struct {
	Body           string       `json:"body"`
	Attachments    []Attachment `json:"attachments,omitempty"`
	IdempotencyKey string       `json:"idempotency_key,omitempty"`
}

// TransferRequest is the body of POST /api/v1/conversations/{id}/transfer.
type TransferRequest struct {
	ToAgentID int64  `json:"to_agent_id"`
	Note      string `json:"note,omitempty"`
}

// EndRequest is the body of POST /api/v1/conversations/{id}/end.
type EndRequest struct {
	EndReasonID int64 `json:"end_reason_id"`
}

// ConversationDetail is a conversation with its messages, timeline and the contact's earlier
// conversations.
type ConversationDetail struct {
	Conversation Conversation    `json:"conversation"`
	Messages     []Message       `json:"messages"`
	Timeline     []TimelineEntry `json:"timeline"`
	Earlier      []Conversation  `json:"earlier"`
	PendingOffer *TransferOffer  `json:"pending_offer,omitempty"`
	// WindowClosesAt is when the channel's messaging window closes (or closed), unix ms, as the
	// server's rules decide it; 0 when the channel has none. The UI only compares it with now.
	WindowClosesAt int64 `json:"window_closes_at,omitempty"`
	// Attributes are what chatbot flows collected in the conversation (the side panel).
	Attributes map[string]string `json:"attributes,omitempty"`
	// FlowRuns are the times the conversation went through a flow (the side panel's transcript
	// shows the messages of each run's span).
	FlowRuns []FlowRunSummary `json:"flow_runs,omitempty"`
	// Tags are the conversation's tags from the admin's list.
	Tags []Tag `json:"tags"`
}

// ConversationPage is one page of a conversation list; NextCursor is empty on the last page.
type ConversationPage struct {
	Conversations []Conversation `json:"conversations"`
	NextCursor    string         `json:"next_cursor,omitempty"`
}

// HistoryFilter narrows the history and ended lists (PRODUCT.md rule 11).
type HistoryFilter struct {
	Text        string // full text over messages
	Customer    string // contact name or phone, substring
	ChannelID   int64
	AgentID     int64
	EndReasonID int64
	TagID       int64 // conversations with this tag
	From, To    int64 // unix ms, on the conversation's creation time
	State       ConversationState
	Cursor      string
	Limit       int
}

// UserRequest creates or changes a user (admins; supervisors may change limits only).
type UserRequest struct {
	Username    *string `json:"username,omitempty"`
	DisplayName *string `json:"display_name,omitempty"`
	Password    *string `json:"password,omitempty"`
	Role        *Role   `json:"role,omitempty"`
	AutoLimit   *int    `json:"auto_limit,omitempty"`
	HardCap     *int    `json:"hard_cap,omitempty"`
	// ClearAutoLimit/ClearHardCap put the user back on the workspace default.
	ClearAutoLimit bool  `json:"clear_auto_limit,omitempty"`
	ClearHardCap   bool  `json:"clear_hard_cap,omitempty"`
	Disabled       *bool `json:"disabled,omitempty"`
}

// EndReasonRequest creates or changes an end reason.
type EndReasonRequest struct {
	Label    string `json:"label"`
	Active   *bool  `json:"active,omitempty"`
	Position int    `json:"position,omitempty"`
}

// QuickMessageRequest creates or changes a quick message. Shared is honoured for admins only.
type QuickMessageRequest struct {
	Title    string `json:"title"`
	Shortcut string `json:"shortcut"`
	Body     string `json:"body"`
	Shared   bool   `json:"shared,omitempty"`
}

// RenderedQuickMessage is a quick message with its variables filled in for one conversation.
type RenderedQuickMessage struct {
	Text string `json:"text"`
}

// SandboxInbound is a customer message into the sandbox channel, the stand-in for real channels.
// MessageID plays the provider's message id: the same id delivered twice stores one message.
type SandboxInbound struct {
	SenderID    string       `json:"sender_id"`
	Name        string       `json:"name,omitempty"`
	Phone       string       `json:"phone,omitempty"`
	MessageID   string       `json:"message_id"`
	Text        string       `json:"text,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// SandboxInboundResult tells the sender where its message went.
type SandboxInboundResult struct {
	ConversationID int64 `json:"conversation_id"`
	MessageID      int64 `json:"message_id"`
	Duplicate      bool  `json:"duplicate"`
}

// SandboxOutbound is an agent's reply as the sandbox customer receives it.
type SandboxOutbound struct {
	ID          int64        `json:"id"`
	SenderID    string       `json:"sender_id"`
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments,omitempty"`
	At          int64        `json:"at"`
}

// PasswordChangeRequest is the body of PUT /api/v1/me/password: a user changes their own
// password, proving the current one. The user's other sessions end.
type PasswordChangeRequest struct {
	CurrentPassword string `json:"current_password"`
	NewPassword     string `json:"new_password"`
}
