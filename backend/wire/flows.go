package wire

// Chatbot flows (PRODUCT.md rule 7): the definition admins write and santrald runs, the flow as
// the API lists it, and the interactive messages a flow sends.

// Flow step types.
const (
	StepMessage  = "message"  // send a text, a file or a quick message, then go on
	StepAsk      = "ask"      // a question with choices (buttons, a list, quick replies…)
	StepCollect  = "collect"  // a question whose answer is validated and kept as an attribute
	StepBranch   = "branch"   // go on by the first rule that holds
	StepSet      = "set"      // set an attribute
	StepHTTP     = "http"     // call a URL; JSON fields of the answer become attributes
	StepWait     = "wait"     // wait for the customer's next message (or a timeout)
	StepHandover = "handover" // exit: the conversation enters the queue
	StepEnd      = "end"      // exit: the conversation ends with an end reason
)

// What a collect step accepts.
const (
	ValidateText    = "text"
	ValidateNumber  = "number"
	ValidatePhone   = "phone"
	ValidateEmail   = "email"
	ValidatePattern = "pattern" // an order number, say: a regular expression the whole answer matches
)

// FlowDefinition is a flow's graph: steps with ids, each naming the step that follows it;
// branching hangs off a step's choices and rules. It is stored whole as one version's JSON.
type FlowDefinition struct {
	Start string `json:"start"`
	// Channels are the channel types the flow is meant for (empty: every one): publishing checks
	// its questions against their limits (WhatsApp's three buttons, ten list rows…).
	Channels []string   `json:"channels,omitempty"`
	Steps    []FlowStep `json:"steps"`
}

// FlowStep is one step; which fields apply depends on its type.
type FlowStep struct {
	ID    string `json:"id"`
	Type  string `json:"type"`
	Title string `json:"title,omitempty"` // the editor's label
	Next  string `json:"next,omitempty"`

	// message, ask, collect: what is said. {{variables}} are filled in.
	Text           string     `json:"text,omitempty"`
	Header         string     `json:"header,omitempty"` // WhatsApp interactive header
	Footer         string     `json:"footer,omitempty"` // WhatsApp interactive footer
	Media          *FlowMedia `json:"media,omitempty"`
	QuickMessageID int64      `json:"quick_message_id,omitempty"`

	// ask: the choices, each with the step it leads to; Button labels a WhatsApp list.
	Choices []FlowChoice `json:"choices,omitempty"`
	Button  string       `json:"button,omitempty"`

	// ask, collect, wait, set: the attribute the answer (or value) is kept in.
	Attribute string `json:"attribute,omitempty"`
	// collect: how the answer is checked; Pattern for "pattern".
	Validate string `json:"validate,omitempty"`
	Pattern  string `json:"pattern,omitempty"`
	// ask, collect: after an answer that does not fit, the question is asked again (with
	// InvalidText first) up to Retries times (nil: 2), then the flow goes to OnInvalid (empty:
	// the conversation is handed over to the queue).
	Retries     *int   `json:"retries,omitempty"`
	InvalidText string `json:"invalid_text,omitempty"`
	OnInvalid   string `json:"on_invalid,omitempty"`
	// ask, collect, wait: no answer within TimeoutSeconds goes to OnTimeout.
	TimeoutSeconds int    `json:"timeout_seconds,omitempty"`
	OnTimeout      string `json:"on_timeout,omitempty"`

	// branch: the first rule that holds decides; Else when none does.
	Rules []FlowRule `json:"rules,omitempty"`
	Else  string     `json:"else,omitempty"`

	// set: Attribute = Value (with {{variables}}).
	Value string `json:"value,omitempty"`

	// http: the request, and where a failure (no answer in time, not 2xx, not the JSON
	// expected) goes.
	HTTP      *FlowHTTP `json:"http,omitempty"`
	OnFailure string    `json:"on_failure,omitempty"`

	// handover: an optional tag kept with the conversation, and priority "high" for the head of
	// the queue.
	Tag      string `json:"tag,omitempty"`
	Priority string `json:"priority,omitempty"`
	// end: the end reason.
	EndReasonID int64 `json:"end_reason_id,omitempty"`
}

// FlowChoice is one answer of an ask step. ID is short and stable: it travels to the provider
// and back (Telegram allows 64 bytes for the step's and the choice's ids together).
type FlowChoice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"` // a WhatsApp list row's second line
	Next        string `json:"next"`
}

// FlowRule compares an attribute: equals, not_equals, contains, matches (a regular expression),
// empty, not_empty, gt, lt (numbers).
type FlowRule struct {
	Attribute string `json:"attribute"`
	Op        string `json:"op"`
	Value     string `json:"value,omitempty"`
	Next      string `json:"next"`
}

// FlowHTTP is an HTTP step's request. URL, headers and body take {{variables}} (escaped for a
// URL and for JSON). Map names, for each attribute, the field of the JSON answer it takes
// ("order.status", "items.0.name").
type FlowHTTP struct {
	Method         string            `json:"method"`
	URL            string            `json:"url"`
	Headers        map[string]string `json:"headers,omitempty"`
	Body           string            `json:"body,omitempty"`
	TimeoutSeconds int               `json:"timeout_seconds,omitempty"` // 0: 10 s; at most 30
	Map            map[string]string `json:"map,omitempty"`
}

// FlowMedia is a file a message step sends, by an http(s) link: Santral fetches it when it
// sends the message (the website chat shows it from the link).
type FlowMedia struct {
	Kind     string `json:"kind"` // image, document, video, audio
	URL      string `json:"url"`
	Name     string `json:"name,omitempty"`
	MimeType string `json:"mime_type,omitempty"`
}

// Flow is a flow as the API lists it. Definition is the latest version's for admins, the
// published one's for agents.
type Flow struct {
	ID               int64           `json:"id"`
	Name             string          `json:"name"`
	LatestVersion    int             `json:"latest_version"`
	PublishedVersion int             `json:"published_version"` // 0: never published
	Archived         bool            `json:"archived,omitempty"`
	CreatedAt        int64           `json:"created_at"`
	UpdatedAt        int64           `json:"updated_at"`
	Definition       *FlowDefinition `json:"definition,omitempty"`
}

// FlowRequest creates a flow or saves a new version of it (admins). Saving never changes a
// version: it adds one, so running conversations finish on the version they started.
type FlowRequest struct {
	Name       *string         `json:"name,omitempty"`
	Definition *FlowDefinition `json:"definition,omitempty"`
}

// PublishRequest publishes a version (0: the latest) after validating it.
type PublishRequest struct {
	Version int `json:"version,omitempty"`
}

// FlowExport is a flow as a file, for import into another workspace.
type FlowExport struct {
	Format     string         `json:"format"` // "santral.flow/1"
	Name       string         `json:"name"`
	Definition FlowDefinition `json:"definition"`
}

// FlowExportFormat names FlowExport's format.
const FlowExportFormat = "santral.flow/1"

// HandToFlowRequest is the body of POST /api/v1/conversations/{id}/flow.
type HandToFlowRequest struct {
	FlowID int64 `json:"flow_id"`
}

// DefaultFlowRequest is the body of PUT /api/v1/channel-accounts/{id}/default-flow (nil: none).
type DefaultFlowRequest struct {
	FlowID *int64 `json:"flow_id"`
}

// Interactive is a message's choices as the channel shows them: reply buttons, a list, quick
// replies, an inline keyboard, the website chat's buttons, or numbered lines in the text.
type Interactive struct {
	Style   string              `json:"style"`
	Header  string              `json:"header,omitempty"`
	Footer  string              `json:"footer,omitempty"`
	Button  string              `json:"button,omitempty"` // a WhatsApp list's button label
	Choices []InteractiveChoice `json:"choices"`
}

// Interactive styles.
const (
	StyleButtons        = "buttons"         // WhatsApp reply buttons (≤ 3), website-chat buttons
	StyleList           = "list"            // WhatsApp list (≤ 10 rows)
	StyleQuickReplies   = "quick_replies"   // Messenger / Instagram (≤ 13)
	StyleInlineKeyboard = "inline_keyboard" // Telegram
	StyleNumbered       = "numbered"        // numbered lines in the text, answered with the number
)

// InteractiveChoice is one choice; ID is what the customer's answer carries back.
type InteractiveChoice struct {
	ID          string `json:"id"`
	Title       string `json:"title"`
	Description string `json:"description,omitempty"`
}

// FlowRunSummary is one time a conversation went through a flow, for the side panel.
type FlowRunSummary struct {
	ID        int64  `json:"id"`
	FlowID    int64  `json:"flow_id"`
	FlowName  string `json:"flow_name"`
	Version   int    `json:"version"`
	StartedBy *int64 `json:"started_by,omitempty"` // the agent who handed the conversation over; nil: the channel's default flow
	StartedAt int64  `json:"started_at"`
	EndedAt   int64  `json:"ended_at,omitempty"`
	Step      string `json:"step,omitempty"`    // where it is (while running)
	Outcome   string `json:"outcome,omitempty"` // handover, end, stopped
}

// ConversationAttributes is what flows collected in a conversation: GET …/attributes.
type ConversationAttributes struct {
	Attributes map[string]string `json:"attributes"`
	Runs       []FlowRunSummary  `json:"runs"`
}

// SimulateRequest runs a flow in the try-it simulator, one turn at a time, without a customer:
// the first turn has no State (the flow starts), later ones send back the State the previous
// turn returned with the customer's answer (Text or Choice) or Timeout.
type SimulateRequest struct {
	Definition  *FlowDefinition `json:"definition,omitempty"` // or FlowID (its latest version)
	FlowID      int64           `json:"flow_id,omitempty"`
	ChannelType string          `json:"channel_type,omitempty"` // how questions are rendered; "" = sandbox
	State       *SimulateState  `json:"state,omitempty"`
	Text        string          `json:"text,omitempty"`
	Choice      string          `json:"choice,omitempty"`
	Timeout     bool            `json:"timeout,omitempty"`
}

// SimulateState is where a simulated run is: sent back on the next turn.
type SimulateState struct {
	Step       string            `json:"step"`
	Attributes map[string]string `json:"attributes"`
	Tries      int               `json:"tries,omitempty"`
}

// SimulateResponse is one turn's outcome: what the customer would receive, the steps passed,
// and whether the flow waits (for an answer, a timeout) or has exited.
type SimulateResponse struct {
	Messages    []SimulatedMessage `json:"messages"`
	Trace       []string           `json:"trace"`
	State       *SimulateState     `json:"state,omitempty"` // nil once the flow has exited
	Waiting     string             `json:"waiting,omitempty"`
	Exit        string             `json:"exit,omitempty"` // handover | end
	Tag         string             `json:"tag,omitempty"`
	EndReasonID int64              `json:"end_reason_id,omitempty"`
	Attributes  map[string]string  `json:"attributes"`
}

// SimulatedMessage is a message the flow would send.
type SimulatedMessage struct {
	Body        string       `json:"body"`
	Attachments []Attachment `json:"attachments,omitempty"`
	Interactive *Interactive `json:"interactive,omitempty"`
}

// FlowData is the payload of flows.changed.
type FlowData struct {
	Flow Flow `json:"flow"`
}
