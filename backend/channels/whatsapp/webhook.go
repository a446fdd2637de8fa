package whatsapp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"santral/backend/channels"
	"santral/backend/wire"
)

// webhookObject is the only object a WhatsApp Business Account subscription delivers.
const webhookObject = "whatsapp_business_account"

// payload is a webhook delivery, decoded only as far as Santral needs (inbound_*.json, status_*.json).
type payload struct {
	Object string `json:"object"`
	Entry  []struct {
		Changes []struct {
			Field string      `json:"field"`
			Value changeValue `json:"value"`
		} `json:"changes"`
	} `json:"entry"`
}

type changeValue struct {
	Metadata struct {
		PhoneNumberID string `json:"phone_number_id"`
	} `json:"metadata"`
	// Each item is decoded on its own: one malformed message must not refuse the others.
	Contacts []json.RawMessage `json:"contacts"`
	Messages []json.RawMessage `json:"messages"`
	Statuses []json.RawMessage `json:"statuses"`
}

type contact struct {
	Profile struct {
		Name string `json:"name"`
	} `json:"profile"`
	WaID   string `json:"wa_id"`
	UserID string `json:"user_id"` // business-scoped user id, since 2026
}

type message struct {
	ID         string   `json:"id"`
	From       string   `json:"from"`         // wa_id; absent for some username-only users
	FromUserID string   `json:"from_user_id"` // business-scoped user id
	Timestamp  unixTime `json:"timestamp"`
	Type       string   `json:"type"`
	Context    *struct {
		ID string `json:"id"`
	} `json:"context"`
	Text *struct {
		Body string `json:"body"`
	} `json:"text"`
	Image       *mediaObject `json:"image"`
	Video       *mediaObject `json:"video"`
	Audio       *mediaObject `json:"audio"`
	Sticker     *mediaObject `json:"sticker"`
	Document    *mediaObject `json:"document"`
	Location    *location    `json:"location"`
	Interactive *struct {
		Type        string `json:"type"`
		ButtonReply *reply `json:"button_reply"`
		ListReply   *reply `json:"list_reply"`
		NFMReply    *struct {
			Body         string `json:"body"`
			ResponseJSON string `json:"response_json"`
		} `json:"nfm_reply"` // a WhatsApp Flow's answer
	} `json:"interactive"`
	Button *struct {
		Text string `json:"text"`
	} `json:"button"` // quick-reply button of a template
	Reaction *struct {
		MessageID string `json:"message_id"`
		Emoji     string `json:"emoji"`
	} `json:"reaction"`
	Contacts []sharedContact `json:"contacts"`
	System   *struct {
		Body string `json:"body"`
	} `json:"system"`
}

type mediaObject struct {
	ID       string `json:"id"`
	MimeType string `json:"mime_type"`
	Caption  string `json:"caption"`
	Filename string `json:"filename"`
}

type location struct {
	Latitude  float64 `json:"latitude"`
	Longitude float64 `json:"longitude"`
	Name      string  `json:"name"`
	Address   string  `json:"address"`
}

type reply struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

type sharedContact struct {
	Name struct {
		FormattedName string `json:"formatted_name"`
	} `json:"name"`
	Phones []struct {
		Phone string `json:"phone"`
	} `json:"phones"`
}

type status struct {
	ID        string   `json:"id"`
	Status    string   `json:"status"`
	Timestamp unixTime `json:"timestamp"`
	Errors    []struct {
		Code      int       `json:"code"`
		Title     string    `json:"title"`
		Message   string    `json:"message"`
		ErrorData errorData `json:"error_data"`
	} `json:"errors"`
}

// unixTime is a timestamp in unix seconds, sent as a string. A value that cannot be read is left
// zero rather than failing the delivery: a message must not be lost over its timestamp.
type unixTime time.Time

func (t *unixTime) UnmarshalJSON(b []byte) error {
	s := string(bytes.Trim(b, `"`))
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		*t = unixTime(time.Unix(n, 0).UTC())
	}
	return nil
}

// ErrNotWhatsApp is a delivery whose object is not a WhatsApp Business Account's.
var ErrNotWhatsApp = errors.New("whatsapp: webhook is not for a WhatsApp Business Account")

// ParseWebhook turns a verified delivery into one channels.Webhook per change, keyed by the
// phone_number_id it was for. Malformed JSON or another object is an error (answered 400).
// Message types Santral does not render still arrive, as "[unsupported: <type>]", so nothing
// the customer wrote is dropped silently. A message or status that cannot be decoded, or a
// message without an id or a sender (it can be neither deduplicated nor routed), becomes a
// Reject with its JSON: recorded, while the rest of the delivery is stored.
func ParseWebhook(raw []byte) ([]channels.Webhook, error) {
	var p payload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("whatsapp: unable to decode webhook: %w", err)
	}
	if p.Object != webhookObject {
		return nil, fmt.Errorf("%w: object %q", ErrNotWhatsApp, p.Object)
	}
	var hooks []channels.Webhook
	for _, e := range p.Entry {
		for _, ch := range e.Changes {
			// Other subscribed fields (template reviews, account updates) carry no conversation traffic.
			if ch.Field != "messages" {
				continue
			}
			hooks = append(hooks, parseChange(ch.Value))
		}
	}
	return hooks, nil
}

func parseChange(v changeValue) channels.Webhook {
	hook := channels.Webhook{AccountID: v.Metadata.PhoneNumberID}
	var contacts []contact
	for _, raw := range v.Contacts {
		var c contact
		if json.Unmarshal(raw, &c) == nil { // a malformed profile costs only the name
			contacts = append(contacts, c)
		}
	}
	for _, raw := range v.Messages {
		var m message
		if err := json.Unmarshal(raw, &m); err != nil {
			hook.Rejects = append(hook.Rejects, channels.Reject{ExternalID: idOf(raw), Reason: "malformed message: " + err.Error(), Raw: raw})
			continue
		}
		in, ok := inbound(m, contacts)
		if !ok {
			hook.Rejects = append(hook.Rejects, channels.Reject{ExternalID: m.ID, SenderID: m.From + m.FromUserID,
				Reason: "message without an id or a sender", Raw: raw})
			continue
		}
		in.Raw = raw
		hook.Messages = append(hook.Messages, in)
	}
	for _, raw := range v.Statuses {
		var s status
		if err := json.Unmarshal(raw, &s); err != nil {
			hook.Rejects = append(hook.Rejects, channels.Reject{ExternalID: idOf(raw), Reason: "malformed status: " + err.Error(), Raw: raw})
			continue
		}
		if st, ok := deliveryStatus(s); ok {
			hook.Statuses = append(hook.Statuses, st)
		}
	}
	return hook
}

// idOf reads the id of an item that does not decode as a whole, for the record.
func idOf(raw json.RawMessage) string {
	var item struct {
		ID string `json:"id"`
	}
	json.Unmarshal(raw, &item)
	return item.ID
}

func inbound(m message, contacts []contact) (channels.Inbound, bool) {
	// The phone number stays the key when there is one, so contacts known before usernames
	// existed keep their conversations; username-only users are keyed on their user id.
	sender := m.From
	if sender == "" {
		sender = m.FromUserID
	}
	if m.ID == "" || sender == "" {
		return channels.Inbound{}, false
	}
	in := channels.Inbound{
		ExternalID: m.ID,
		SenderID:   sender,
		Phone:      m.From,
		Name:       senderName(m, contacts),
		At:         time.Time(m.Timestamp),
	}
	if m.Context != nil {
		in.ReplyTo = m.Context.ID
	}
	switch m.Type {
	case "text":
		if m.Text != nil {
			in.Body = m.Text.Body
		}
	case "image", "video", "audio", "sticker", "document":
		obj := m.media()
		if obj == nil || obj.ID == "" {
			in.Body = unsupported(m.Type)
			break
		}
		in.Attachments = []channels.Media{{Kind: m.Type, Ref: obj.ID, MimeType: obj.MimeType,
			Name: obj.Filename, Caption: obj.Caption}}
		// The caption is also the body: stored messages keep no caption on attachments.
		in.Body = obj.Caption
	case "location":
		if m.Location == nil {
			in.Body = unsupported(m.Type)
			break
		}
		l := m.Location
		in.Attachments = []channels.Media{{Kind: "location", Name: l.Name, Latitude: l.Latitude, Longitude: l.Longitude}}
		in.Body = joinNonEmpty(", ", l.Name, l.Address)
	case "interactive":
		in.Body = interactiveBody(m)
		if it := m.Interactive; it != nil && it.ButtonReply != nil {
			in.Choice = it.ButtonReply.ID
		} else if it != nil && it.ListReply != nil {
			in.Choice = it.ListReply.ID
		}
	case "button":
		if m.Button != nil {
			in.Body = m.Button.Text
		}
	case "reaction":
		if m.Reaction != nil {
			in.ReplyTo = m.Reaction.MessageID
			in.Body = m.Reaction.Emoji
			if in.Body == "" {
				in.Body = "[reaction removed]"
			}
		}
	case "contacts":
		in.Body = sharedContacts(m.Contacts)
	case "system":
		if m.System != nil {
			in.Body = m.System.Body
		}
	default:
		in.Body = unsupported(m.Type)
	}
	if in.Body == "" && len(in.Attachments) == 0 {
		in.Body = unsupported(m.Type)
	}
	return in, true
}

// media is the object of a media message, named after its type.
func (m message) media() *mediaObject {
	switch m.Type {
	case "image":
		return m.Image
	case "video":
		return m.Video
	case "audio":
		return m.Audio
	case "sticker":
		return m.Sticker
	case "document":
		return m.Document
	}
	return nil
}

func interactiveBody(m message) string {
	it := m.Interactive
	switch {
	case it == nil:
		return ""
	case it.ButtonReply != nil:
		return it.ButtonReply.Title
	case it.ListReply != nil:
		return it.ListReply.Title
	case it.NFMReply != nil:
		if it.NFMReply.Body != "" {
			return it.NFMReply.Body
		}
		return it.NFMReply.ResponseJSON
	}
	return unsupported("interactive " + it.Type)
}

// senderName is the profile name of the contact the message came from; Meta lists one contact
// per sender, matched on wa_id or user id.
func senderName(m message, contacts []contact) string {
	for _, c := range contacts {
		if (c.WaID != "" && c.WaID == m.From) || (c.UserID != "" && c.UserID == m.FromUserID) {
			return c.Profile.Name
		}
	}
	if len(contacts) == 1 {
		return contacts[0].Profile.Name
	}
	return ""
}

func sharedContacts(cs []sharedContact) string {
	lines := make([]string, 0, len(cs))
	for _, c := range cs {
		phones := make([]string, 0, len(c.Phones))
		for _, p := range c.Phones {
			phones = append(phones, p.Phone)
		}
		lines = append(lines, joinNonEmpty(": ", c.Name.FormattedName, joinNonEmpty(", ", phones...)))
	}
	return joinNonEmpty("\n", lines...)
}

func unsupported(kind string) string {
	if kind == "" {
		kind = "unknown"
	}
	return "[unsupported: " + kind + "]"
}

func joinNonEmpty(sep string, parts ...string) string {
	var kept []string
	for _, p := range parts {
		if p != "" {
			kept = append(kept, p)
		}
	}
	return strings.Join(kept, sep)
}

// statusValues maps the Cloud API's statuses to Santral's; others (e.g. "deleted") do not
// change delivery and are ignored.
var statusValues = map[string]wire.MessageStatus{
	"sent":      wire.StatusSent,
	"delivered": wire.StatusDelivered,
	"read":      wire.StatusRead,
	"failed":    wire.StatusFailed,
}

func deliveryStatus(s status) (channels.Status, bool) {
	st, known := statusValues[s.Status]
	if !known || s.ID == "" {
		return channels.Status{}, false
	}
	out := channels.Status{ExternalID: s.ID, Status: st, At: time.Time(s.Timestamp)}
	if st == wire.StatusFailed {
		out.Err = &channels.SendError{Title: "failed without a reason from WhatsApp"}
		if len(s.Errors) > 0 {
			e := s.Errors[0]
			title := e.Title
			if title == "" {
				title = e.Message
			}
			out.Err = &channels.SendError{Code: e.Code, Title: title, Detail: e.ErrorData.Details, Retry: Retryable(e.Code)}
		}
	}
	return out, true
}
