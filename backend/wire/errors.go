package wire

import (
	"errors"
	"fmt"
)

// Code is a stable error code the UI switches on to show a message in Turkish or English.
type Code string

const (
	// Request shape.
	CodeBadJSON      Code = "bad_json"
	CodeUnknownField Code = "unknown_field"
	CodeBodyTooLarge Code = "body_too_large"
	CodeBadID        Code = "bad_id"
	CodeInvalid      Code = "invalid_field"
	CodeNotFound     Code = "not_found"
	// The path exists but not with this method; the Allow header lists the methods it has.
	CodeMethodNotAllowed Code = "method_not_allowed"

	// Who is asking.
	CodeUnauthorized   Code = "unauthorized"
	CodeBadCredentials Code = "bad_credentials"
	CodeForbidden      Code = "forbidden"
	CodeNotHolder      Code = "not_holder"

	// Rules.
	CodeNotOnline            Code = "not_online"
	CodeAgentOnBreak         Code = "agent_on_break"
	CodeAgentOffline         Code = "agent_offline"
	CodeQueueEmpty           Code = "queue_empty"
	CodeHardCapReached       Code = "hard_cap_reached"
	CodeTransferPending      Code = "transfer_pending"
	CodeTransferToSelf       Code = "transfer_to_self"
	CodeOfferNotPending      Code = "offer_not_pending"
	CodeEndReasonRequired    Code = "end_reason_required"
	CodeEndReasonUnknown     Code = "end_reason_unknown"
	CodeConversationEnded    Code = "conversation_ended"
	CodeConversationNotEnded Code = "conversation_not_ended"
	CodeNotAssigned          Code = "conversation_not_assigned"
	CodeContactHasOpen       Code = "contact_has_open_conversation"
	CodeEmptyMessage         Code = "empty_message"
	CodeMessageTooLong       Code = "message_too_long"
	CodeUsernameTaken        Code = "username_taken"
	CodeShortcutTaken        Code = "shortcut_taken"
	CodeChannelDisabled      Code = "channel_disabled"
	CodeWindowClosed         Code = "window_closed"
	CodeIdempotencyKeyReused Code = "idempotency_key_reused"

	// Abuse limits (README "Limits"): each carries RetryAfter where waiting helps.
	CodeRateLimited        Code = "rate_limited"         // too many requests from this address or identity
	CodeTooManyAttempts    Code = "too_many_attempts"    // login failures: wait retry_after seconds
	CodeTooManyConnections Code = "too_many_connections" // too many open visitor sockets
	CodeUploadQuota        Code = "upload_quota_reached" // the visitor's uploads for the day
	CodeMediaFull          Code = "media_full"           // the media store's total quota is used up

	// The media store (S3) cannot be reached: nothing was stored; try again shortly.
	CodeMediaUnavailable Code = "media_unavailable"

	CodeInternal Code = "internal"
)

const (
	// A reply's file is not an upload of this agent in this conversation (or it was removed
	// unsent after the upload retention).
	CodeAttachmentNotUploaded Code = "attachment_not_uploaded"
	// The channel's provider refused a request or could not be reached; ProviderCode carries
	// the provider's own code when it gave one.
	CodeProviderError Code = "provider_error"
	// A report's range holds more conversations than one report reads (README "Reports").
	CodeReportTooLarge Code = "report_too_large"
	// The app update's download address is plain http on a host other than loopback.
	CodeDownloadURLNotHTTPS Code = "download_url_not_https"
)

// Chatbot flows: publishing refuses a flow that cannot run as written, naming the step's field
// (definition.steps[2].choices[3].title); the rules refuse a hand-over the flow cannot take.
const (
	CodeFlowInvalid          Code = "flow_invalid"            // a step's field is missing or wrong
	CodeFlowUnknownStep      Code = "flow_unknown_step"       // a next/choice/rule names no step
	CodeFlowUnreachable      Code = "flow_unreachable_step"   // no path from the start leads to it
	CodeFlowDeadEnd          Code = "flow_dead_end"           // a step that is not an exit leads nowhere
	CodeFlowLoop             Code = "flow_loop"               // steps that go round without waiting for the customer
	CodeFlowChoicesOverLimit Code = "flow_choices_over_limit" // more choices than a channel can show
	CodeFlowChoiceTooLong    Code = "flow_choice_too_long"    // a choice's title over a channel's limit
	CodeFlowUnknownVariable  Code = "flow_unknown_variable"   // {{x}} that is neither built in nor collected
	CodeFlowNotPublished     Code = "flow_not_published"      // only a published flow can take conversations
	CodeFlowNotForChannel    Code = "flow_not_for_channel"    // the flow is not meant for this conversation's channel
	CodeConversationInFlow   Code = "conversation_in_flow"    // a chatbot flow is talking to the customer
)

// Error is a client-facing error: a stable code and an English message. Field names the
// offending field when there is one.
type Error struct {
	Code    Code   `json:"code"`
	Message string `json:"message"`
	Field   string `json:"field,omitempty"`
	// ClosedAt is when the channel's messaging window closed (window_closed), unix ms.
	ClosedAt int64 `json:"closed_at,omitempty"`
	// ProviderCode is the provider's own error code (provider_error), when it gave one.
	ProviderCode int `json:"provider_code,omitempty"`
	// RetryAfter is how many seconds to wait before trying again (rate_limited,
	// too_many_attempts, upload_quota_reached); the response also carries a Retry-After header.
	RetryAfter int64 `json:"retry_after,omitempty"`
	// Problems lists every problem of a flow that cannot be published (the first is this
	// error's own code, field and message).
	Problems []Error `json:"problems,omitempty"`
}

func (e *Error) Error() string { return string(e.Code) + ": " + e.Message }

// Errorf builds an *Error with a formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Invalid reports a bad value of one field.
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Field: field, Message: fmt.Sprintf(format, args...)}
}

// CodeOf returns the code of err if it is (or wraps) an *Error, else "".
func CodeOf(err error) Code {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorBody is the JSON body of every non-2xx API response.
type ErrorBody struct {
	Error Error `json:"error"`
}

// WithCode returns a copy of e with another code (keeps field and message).
func (e *Error) WithCode(c Code) *Error {
	cp := *e
	cp.Code = c
	return &cp
}
