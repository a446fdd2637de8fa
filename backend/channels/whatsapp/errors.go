package whatsapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"santral/backend/channels"
)

// Error codes Santral decides on (Cloud API error reference). Titles are for people only.
const (
	CodeThroughput    = 130429 // per-number throughput reached (default 80 messages/s)
	CodeReEngagement  = 131047 // more than 24 hours since the customer last wrote: window closed
	CodePairRateLimit = 131056 // too many messages to one user in a short time (about 1 per 6 s)
)

// Retryable reports whether a send refused with this Cloud API error code can succeed later
// unchanged. Unknown codes are not retried, since resending blindly risks spamming a customer;
// a 5xx or 429 answer is retried whatever its code.
func Retryable(code int) bool {
	switch code {
	case CodeThroughput, CodePairRateLimit,
		1,      // API unknown: possibly a server error
		2,      // API service: temporary downtime
		4,      // app-level call rate limit
		80007,  // WABA rate limit
		131000, // something went wrong
		131016, // service unavailable
		131057, // account in maintenance mode
		133004: // server temporarily unavailable
		return true
	}
	// Everything else (131047 window closed, 131026 undeliverable, 131051 unsupported type,
	// 132xxx templates, 190 token, 100 bad parameter, 131062 user-id recipient not allowed, …)
	// needs a change by a person before it can work.
	return false
}

// graphError is the Graph API's error envelope (send_error_*.json).
type graphError struct {
	Error struct {
		Message   string    `json:"message"`
		Code      int       `json:"code"`
		UserMsg   string    `json:"error_user_msg"`
		ErrorData errorData `json:"error_data"`
	} `json:"error"`
}

// errorData is error_data: an object with details on the Cloud API, but older Graph endpoints
// send a JSON-encoded string there, which must not make the whole error unreadable.
type errorData struct {
	Details string `json:"details"`
}

func (d *errorData) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) == 0 || b[0] != '{' {
		return nil
	}
	type plain errorData
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return nil
	}
	*d = errorData(p)
	return nil
}

// refusal classifies a non-2xx Graph API answer. Decisions use the code, never the title. A
// Graph error says what happened, so its code decides, on a 5xx too; a 5xx without one comes
// from something in front of the Graph API (a gateway's page, a cut-off answer), and the send
// may have been processed behind it.
func refusal(resp *http.Response, body []byte) *channels.SendError {
	se := &channels.SendError{
		HTTPStatus: resp.StatusCode,
		RetryAfter: retryAfter(resp.Header.Get("Retry-After")),
	}
	var ge graphError
	fromGraph := json.Unmarshal(body, &ge) == nil && (ge.Error.Code != 0 || ge.Error.Message != "")
	if fromGraph {
		se.Code = ge.Error.Code
		se.Title = ge.Error.Message
		se.Detail = ge.Error.ErrorData.Details
		if se.Detail == "" {
			se.Detail = ge.Error.UserMsg
		}
	} else {
		se.Title = http.StatusText(resp.StatusCode)
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests:
		se.Retry = true // refused for the rate: not processed
	case fromGraph:
		se.Retry = Retryable(se.Code)
	case resp.StatusCode >= 500:
		se.Unknown = true
	}
	return se
}

// retryAfter reads a Retry-After header given in seconds; Meta rarely sends one.
func retryAfter(v string) time.Duration {
	n, err := strconv.Atoi(v)
	if err != nil || n <= 0 {
		return 0
	}
	return time.Duration(min(n, 86400)) * time.Second
}

// LimitError is an outbound message WhatsApp would refuse, caught before calling Meta. It
// unwraps to a non-retryable *channels.SendError, so the outbox fails it like any permanent
// refusal, while callers that want the rule can errors.As to *LimitError.
type LimitError struct {
	Rule string // stable code: see the Rule* constants
	Max  int64  // the limit, when the rule has one
	Got  int64  // what the message had
}

// Rules a LimitError names.
const (
	RuleNoRecipient    = "no_recipient"
	RuleEmpty          = "empty_message"
	RuleTextTooLong    = "text_too_long"    // characters
	RuleCaptionTooLong = "caption_too_long" // characters
	RuleNoCaption      = "caption_not_supported"
	RuleMediaKind      = "media_kind"
	RuleMediaType      = "media_type"
	RuleMediaTooLarge  = "media_too_large" // bytes
	RuleTemplate       = "template"
	RuleTemplateParam  = "template_parameter"
	RuleInteractive    = "interactive" // choices, titles or texts over the interactive limits
)

func (e *LimitError) Error() string {
	if e.Max > 0 {
		return fmt.Sprintf("whatsapp: message refused before sending: %s (%d > %d)", e.Rule, e.Got, e.Max)
	}
	return "whatsapp: message refused before sending: " + e.Rule
}

func (e *LimitError) Unwrap() error {
	return &channels.SendError{Title: "refused before sending", Detail: e.Error()}
}
