package wire

// Supervisors' and admins' resources: tags, internal notes, supervisor actions, the dashboard
// snapshot and reports (issue 11).

// Tag is a label from the admin's list that staff put on conversations (history filter by tag).
type Tag struct {
	ID     int64  `json:"id"`
	Label  string `json:"label"`
	Active bool   `json:"active"`
}

// TagRequest creates or changes a tag (admins).
type TagRequest struct {
	Label  string `json:"label"`
	Active *bool  `json:"active,omitempty"`
}

// ConversationTagsRequest sets the tags of a conversation (the whole set).
type ConversationTagsRequest struct {
	TagIDs []int64 `json:"tag_ids"`
}

// NoteRequest adds an internal note to a conversation: staff only, never sent to the customer.
type NoteRequest struct {
	Text string `json:"text"`
}

// AgentPresenceRequest is a supervisor putting an agent on break or offline.
type AgentPresenceRequest struct {
	Presence Presence `json:"presence"`
	Reason   string   `json:"reason,omitempty"`
}

// ReassignRequest is a supervisor giving a conversation to another online agent at once.
type ReassignRequest struct {
	ToAgentID int64 `json:"to_agent_id"`
	// FromAgentID is where the supervisor saw the conversation: 0 in the queue, else its
	// holder. When given and it is elsewhere by the time the statement runs, the reassignment
	// is refused (conversation_moved) rather than taking it from whoever got it meanwhile.
	FromAgentID *int64 `json:"from_agent_id,omitempty"`
}

// Event payloads.
const (
	// EventConversationTagged: a conversation's tags changed (its readers).
	EventConversationTagged = "conversation.tagged"
	// EventTagsChanged: the admin's tag list changed (everyone).
	EventTagsChanged = "tags.changed"
)

// TimelineData is the payload of timeline.added (an internal note, for the conversation's
// readers).
type TimelineData struct {
	Entry TimelineEntry `json:"entry"`
}

// ConversationTagsData is the payload of conversation.tagged.
type ConversationTagsData struct {
	ConversationID int64 `json:"conversation_id"`
	Tags           []Tag `json:"tags"`
}

// Dashboard is the supervisor's snapshot: the dashboard starts from it and then follows the
// event stream from Seq (no polling).
type Dashboard struct {
	Seq        int64            `json:"seq"`         // the event log's head when read
	ServerTime int64            `json:"server_time"` // unix ms
	DayStart   int64            `json:"day_start"`   // the start of "today", unix ms
	Agents     []DashboardAgent `json:"agents"`
	Queue      DashboardQueue   `json:"queue"`
	Offers     []TransferOffer  `json:"offers"` // pending transfer offers, oldest first
	// Held are the conversations agents hold now (routing fields only), for the actions.
	Held  []Conversation `json:"held"`
	Today ReportRow      `json:"today"`
	// EndReasons counts today's ended conversations by end reason label.
	EndReasons []Count `json:"end_reasons"`
	// WaitThresholdSeconds is the wait the "waited longer" figure counts above.
	WaitThresholdSeconds int `json:"wait_threshold_seconds"`
}

// DashboardAgent is a user as the dashboard lists them.
type DashboardAgent struct {
	User
	HandledToday int `json:"handled_today"` // conversations they ended today
}

// DashboardQueue is the queue now.
type DashboardQueue struct {
	Length         int            `json:"length"`
	OldestQueuedAt int64          `json:"oldest_queued_at,omitempty"` // unix ms; 0: empty
	PerChannel     []ChannelCount `json:"per_channel"`
	InFlows        int            `json:"in_flows"` // conversations a chatbot flow talks to
	Queued         []Conversation `json:"queued"`   // the oldest queued (up to 200), for the actions
}

// ChannelCount counts conversations of one channel.
type ChannelCount struct {
	ChannelID int64  `json:"channel_id"`
	Name      string `json:"name"`
	Type      string `json:"type"`
	Count     int    `json:"count"`
}

// Count is a labelled number.
type Count struct {
	Label string `json:"label"`
	Count int    `json:"count"`
}

// ReportRow is one group of a report: the figures of the conversations created in the range
// whose key is this group's (README "Reports" defines each figure). Times are milliseconds;
// a median or p90 of no values is 0 with its count 0.
type ReportRow struct {
	Key              string `json:"key"`   // agent id, channel id, end reason id, tag id; "" for none / total
	Label            string `json:"label"` // its name
	Conversations    int    `json:"conversations"`
	Ended            int    `json:"ended"`
	Responded        int    `json:"responded"` // conversations with a first response
	FirstResponseMed int64  `json:"first_response_median_ms"`
	FirstResponseP90 int64  `json:"first_response_p90_ms"`
	HandledCount     int    `json:"handled"` // ended conversations with a handling time
	HandlingMedian   int64  `json:"handling_median_ms"`
	HandlingP90      int64  `json:"handling_p90_ms"`
	Transfers        int    `json:"transfers"`
	Reopened         int    `json:"reopened"`
	Queued           int    `json:"queued"` // conversations that entered the queue
	QueueWaitMedian  int64  `json:"queue_wait_median_ms"`
	QueueWaitP90     int64  `json:"queue_wait_p90_ms"`
	WaitedOverLimit  int    `json:"waited_over_threshold"`
}

// Report is the answer of GET /api/v1/reports.
type Report struct {
	From                 int64       `json:"from"`
	To                   int64       `json:"to"`
	By                   string      `json:"by"` // agent | channel | end_reason | tag
	WaitThresholdSeconds int         `json:"wait_threshold_seconds"`
	Rows                 []ReportRow `json:"rows"`
	Total                ReportRow   `json:"total"`
}

// Supervisors' and admins' error codes.
const (
	CodeTagTaken          Code = "tag_taken"          // another tag has this label
	CodeTagUnknown        Code = "tag_unknown"        // a tag that is not in the list (or inactive)
	CodeAlreadyHolder     Code = "already_holder"     // the conversation is already that agent's
	CodeConversationMoved Code = "conversation_moved" // it changed since the supervisor looked
)
