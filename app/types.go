package app

import (
	"santral/app/cache"
	appsync "santral/app/sync"
	"santral/backend/wire"
)

// The types the UI receives from the bindings. Server resources come from backend/wire, the
// package santrald uses, so the two sides cannot drift.

// Language of the UI.
type Language string

// The UI's languages: Turkish (the default) and English.
const (
	Turkish Language = "tr"
	English Language = "en"
)

// Theme of the UI.
type Theme string

// The themes; "system" follows the OS.
const (
	ThemeLight  Theme = "light"
	ThemeDark   Theme = "dark"
	ThemeSystem Theme = "system"
)

// HistoryView is the tab a history search is for.
type HistoryView string

// The two history tabs: every conversation the user may see, or the ended ones.
const (
	ViewHistory HistoryView = "history"
	ViewEnded   HistoryView = "ended"
)

// Preferences are the user's own settings, remembered on this machine.
type Preferences struct {
	Language  Language `json:"language"`
	Theme     Theme    `json:"theme"`
	Sound     bool     `json:"sound"`     // notification sound
	Autostart bool     `json:"autostart"` // start at login
}

// Connection is the sync engine's state as the UI shows it.
type Connection struct {
	State   appsync.ConnectionState `json:"state"`
	Since   int64                   `json:"since"`            // unix ms: when this state began (offline since …)
	Attempt int                     `json:"attempt"`          // reconnect attempts so far
	Error   string                  `json:"error,omitempty"`  // the Go error, for the log and support
	Reason  string                  `json:"reason,omitempty"` // why it is down, a code the UI words (appsync.Reason…)
}

// Session is who is signed in, to which server, and how the connection is.
type Session struct {
	SignedIn    bool        `json:"signed_in"`
	ServerURL   string      `json:"server_url"`
	Username    string      `json:"username"`
	User        *wire.User  `json:"user"`
	Connection  Connection  `json:"connection"`
	Preferences Preferences `json:"preferences"`
	Version     string      `json:"version"`
	// Update is this version against the versions the server accepts (updates.go).
	Update UpdateStatus `json:"update"`
	// Dashboard: this window is the supervisor's dashboard (santral --dashboard).
	Dashboard bool `json:"dashboard"`
}

// InboxItem is a held conversation with its unread count.
type InboxItem struct {
	wire.Conversation
	Unread int `json:"unread"`
}

// Inbox is everything the main screen shows, read from the local cache.
type Inbox struct {
	Mine          []InboxItem          `json:"mine"`
	Queue         []wire.Conversation  `json:"queue"`
	Offers        []wire.TransferOffer `json:"offers"` // pending, sent or received
	Agents        []wire.User          `json:"agents"`
	EndReasons    []wire.EndReason     `json:"end_reasons"`
	QuickMessages []wire.QuickMessage  `json:"quick_messages"`
	Workspace     wire.Settings        `json:"workspace"`
	UnreadTotal   int                  `json:"unread_total"`
	// ServerTime is the server's clock now (unix ms), as measured from the stream's hello: the
	// UI's offset for every "now" comparison (countdowns, waiting times, windows).
	ServerTime int64 `json:"server_time"`
}

// OutboxItem is a reply written in the app: queued until the server has it, then sent, or
// failed with the server's reason.
type OutboxItem struct {
	Key            string            `json:"key"` // idempotency key
	ConversationID int64             `json:"conversation_id"`
	Body           string            `json:"body"`
	State          cache.OutboxState `json:"state"`
	Error          *wire.Error       `json:"error,omitempty"`
	CreatedAt      int64             `json:"created_at"`
	MessageID      int64             `json:"message_id,omitempty"`
	// Attachments are files already uploaded (UploadFinish), sent with the reply.
	Attachments []wire.Attachment `json:"attachments,omitempty"`
}

// ConversationView is one conversation with its messages, timeline and unsent replies.
type ConversationView struct {
	Conversation wire.Conversation    `json:"conversation"`
	Messages     []wire.Message       `json:"messages"`
	Timeline     []wire.TimelineEntry `json:"timeline"`
	Earlier      []wire.Conversation  `json:"earlier"`
	PendingOffer *wire.TransferOffer  `json:"pending_offer"`
	Outbox       []OutboxItem         `json:"outbox"`
	// WindowClosesAt is when the messaging window closes/closed (unix ms; 0: none or unknown
	// offline) — the server's rule, shown as is.
	WindowClosesAt int64 `json:"window_closes_at"`
	FromCache      bool  `json:"from_cache"` // the server could not be reached
	// Refused is the server's refusal to show this conversation to the user any more (another
	// agent holds it now: not_holder): the view then holds only the cached routing fields and
	// this app's unsent replies to it, and nothing can be written to it.
	Refused *wire.Error `json:"refused,omitempty"`
	// Attributes are what chatbot flows collected in the conversation, and FlowRuns each time
	// it went through one (the side panel shows both, with the messages of each run). Online
	// only: the cache keeps neither.
	Attributes map[string]string     `json:"attributes"`
	FlowRuns   []wire.FlowRunSummary `json:"flow_runs"`
	// Tags are the conversation's tags from the admin's list.
	Tags []wire.Tag `json:"tags"`
}

// HistoryQuery is the filter panel of the History and Ended tabs.
type HistoryQuery struct {
	View        HistoryView `json:"view"`
	Text        string      `json:"text"`
	Customer    string      `json:"customer"`
	ChannelID   int64       `json:"channel_id"`
	AgentID     int64       `json:"agent_id"`
	EndReasonID int64       `json:"end_reason_id"`
	TagID       int64       `json:"tag_id,omitempty"` // conversations with this tag
	From        string      `json:"from"`             // YYYY-MM-DD
	To          string      `json:"to"`               // YYYY-MM-DD, inclusive
	Cursor      string      `json:"cursor"`
}
