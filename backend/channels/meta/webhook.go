// Package meta is the Messenger and Instagram adapter: both speak the Graph API's messaging
// webhook (object "page" or "instagram", entry[].messaging[]) and its Send API
// (POST /{version}/{page-id or ig-id}/messages).
package meta

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"santral/backend/channels"
	"santral/backend/wire"
)

// VerifyHandshake answers Meta's subscription check (GET ?hub.mode=subscribe&hub.verify_token=T
// &hub.challenge=C): it returns C and true when T is our verify token, else false (answer 403).
func VerifyHandshake(query url.Values, verifyToken string) (string, bool) {
	if verifyToken == "" || query.Get("hub.mode") != "subscribe" {
		return "", false
	}
	if subtle.ConstantTimeCompare([]byte(query.Get("hub.verify_token")), []byte(verifyToken)) != 1 {
		return "", false
	}
	challenge := query.Get("hub.challenge")
	if challenge == "" {
		return "", false
	}
	return challenge, true
}

// VerifySignature checks X-Hub-Signature-256 ("sha256=<hex HMAC-SHA256 of the raw body>", keyed
// with the app secret) on the raw bytes, before anything parses them.
func VerifySignature(raw []byte, header, appSecret string) error {
	if appSecret == "" {
		return channels.ErrBadSignature
	}
	hexSum, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return channels.ErrBadSignature
	}
	got, err := hex.DecodeString(hexSum)
	if err != nil || len(got) != sha256.Size {
		return channels.ErrBadSignature
	}
	mac := hmac.New(sha256.New, []byte(appSecret))
	mac.Write(raw)
	if !hmac.Equal(got, mac.Sum(nil)) {
		return channels.ErrBadSignature
	}
	return nil
}

type webhookPayload struct {
	Object string  `json:"object"`
	Entry  []entry `json:"entry"`
}

type entry struct {
	ID string `json:"id"`
	// Each event is decoded on its own: one malformed event must not refuse the others.
	Messaging []json.RawMessage `json:"messaging"`
}

type party struct {
	ID string `json:"id"`
}

type messaging struct {
	Sender    party     `json:"sender"`
	Recipient party     `json:"recipient"`
	Timestamp msTime    `json:"timestamp"`
	Message   *message  `json:"message"`
	Postback  *postback `json:"postback"`
	Delivery  *struct {
		Mids []string `json:"mids"`
	} `json:"delivery"`
	Read *struct {
		Mid string `json:"mid"` // Instagram's messaging_seen names the message; Messenger only has a watermark
	} `json:"read"`
}

type message struct {
	Mid         string       `json:"mid"`
	Text        string       `json:"text"`
	IsEcho      bool         `json:"is_echo"`
	IsDeleted   bool         `json:"is_deleted"`
	Attachments []attachment `json:"attachments"`
	ReplyTo     *struct {
		Mid string `json:"mid"`
	} `json:"reply_to"`
	QuickReply *struct {
		Payload string `json:"payload"`
	} `json:"quick_reply"`
}

type attachment struct {
	Type    string `json:"type"`
	Payload *struct {
		URL         string          `json:"url"`
		StickerID   json.RawMessage `json:"sticker_id"`
		Coordinates *struct {
			Lat  float64 `json:"lat"`
			Long float64 `json:"long"`
		} `json:"coordinates"`
	} `json:"payload"`
}

type postback struct {
	Mid   string `json:"mid"`
	Title string `json:"title"`
}

// ParseWebhook turns one Messenger or Instagram webhook delivery into one channels.Webhook per
// entry (AccountID is the page or Instagram account id).
//
// Messages keep their mid as ExternalID even when nothing in them is understood (a shared reel,
// an unsupported type, stored as "[unsupported: <type>]"): the customer still wrote, which opens
// the messaging window. An event that cannot be decoded, or a message without the ids it would
// be stored under, becomes a Reject with its JSON: recorded, while the rest is stored. Echoes
// (is_echo) are our own messages coming back: Echo is set and SenderID is the recipient, the
// customer. Delivery receipts become delivered statuses for their mids; Instagram read receipts
// name a mid and become read statuses. Messenger read receipts only carry a watermark ("all
// messages before this time are read"), which names no message, so they are skipped.
// Reactions, referrals, deletions, edits and handover events are skipped.
func ParseWebhook(raw []byte) ([]channels.Webhook, error) {
	var p webhookPayload
	if err := json.Unmarshal(raw, &p); err != nil {
		return nil, fmt.Errorf("meta: unable to parse webhook: %w", err)
	}
	if p.Object != "page" && p.Object != "instagram" {
		return nil, fmt.Errorf("meta: webhook object %q is neither page nor instagram", p.Object)
	}
	out := make([]channels.Webhook, 0, len(p.Entry))
	for i, e := range p.Entry {
		if e.ID == "" {
			return nil, fmt.Errorf("meta: webhook entry %d has no id", i)
		}
		hook := channels.Webhook{AccountID: e.ID}
		for _, raw := range e.Messaging {
			var ev messaging
			err := json.Unmarshal(raw, &ev)
			if err == nil {
				err = parseEvent(&hook, ev, raw)
			}
			if err != nil {
				hook.Rejects = append(hook.Rejects, channels.Reject{ExternalID: midOf(ev), SenderID: ev.Sender.ID, Reason: err.Error(), Raw: raw})
			}
		}
		out = append(out, hook)
	}
	return out, nil
}

var errMalformed = errors.New("malformed event")

// msTime is a timestamp in unix milliseconds. One that cannot be read (a string, garbage) is
// left zero rather than failing the event: a message must not be lost over its timestamp.
type msTime int64

func (t *msTime) UnmarshalJSON(b []byte) error {
	if n, err := strconv.ParseInt(strings.Trim(string(b), `"`), 10, 64); err == nil && n > 0 {
		*t = msTime(n)
	}
	return nil
}

// midOf is the message id of an event, for the record of a rejected one.
func midOf(ev messaging) string {
	switch {
	case ev.Message != nil:
		return ev.Message.Mid
	case ev.Postback != nil:
		return ev.Postback.Mid
	}
	return ""
}

func parseEvent(hook *channels.Webhook, ev messaging, raw []byte) error {
	var at time.Time
	if ev.Timestamp > 0 {
		at = time.UnixMilli(int64(ev.Timestamp)).UTC()
	}
	switch {
	case ev.Message != nil:
		m := ev.Message
		if m.IsDeleted {
			return nil
		}
		in := channels.Inbound{ExternalID: m.Mid, SenderID: ev.Sender.ID, Body: m.Text, At: at, Echo: m.IsEcho}
		if m.IsEcho {
			in.SenderID = ev.Recipient.ID // the customer our message went to
		}
		if in.ExternalID == "" || in.SenderID == "" {
			return fmt.Errorf("%w: message without mid or customer id", errMalformed)
		}
		if m.ReplyTo != nil {
			in.ReplyTo = m.ReplyTo.Mid
		}
		if m.QuickReply != nil && !m.IsEcho {
			in.Choice = m.QuickReply.Payload
		}
		var unknown []string
		for _, a := range m.Attachments {
			if media, ok := attachmentMedia(a); ok {
				in.Attachments = append(in.Attachments, media)
			} else {
				unknown = append(unknown, a.Type)
			}
		}
		if in.Body == "" && len(in.Attachments) == 0 {
			if len(unknown) == 0 {
				unknown = []string{"message"}
			}
			in.Body = "[unsupported: " + strings.Join(unknown, ", ") + "]"
		}
		in.Raw = raw
		hook.Messages = append(hook.Messages, in)
	case ev.Postback != nil:
		// A button tap: the customer "said" the button's title. Older postbacks have no mid and
		// cannot be deduplicated, so they are skipped.
		if ev.Postback.Mid == "" {
			return nil
		}
		if ev.Sender.ID == "" {
			return fmt.Errorf("%w: postback without sender id", errMalformed)
		}
		title := ev.Postback.Title
		if title == "" {
			title = "[unsupported: postback]"
		}
		hook.Messages = append(hook.Messages, channels.Inbound{ExternalID: ev.Postback.Mid, SenderID: ev.Sender.ID, Body: title, At: at, Raw: raw})
	case ev.Delivery != nil:
		for _, mid := range ev.Delivery.Mids {
			if mid != "" {
				hook.Statuses = append(hook.Statuses, channels.Status{ExternalID: mid, Status: wire.StatusDelivered, At: at})
			}
		}
	case ev.Read != nil:
		if ev.Read.Mid != "" {
			hook.Statuses = append(hook.Statuses, channels.Status{ExternalID: ev.Read.Mid, Status: wire.StatusRead, At: at})
		}
	}
	return nil
}

// attachmentMedia maps a webhook attachment to channels.Media. Shares, reels, story mentions,
// templates and fallbacks have no Santral kind and are left out.
func attachmentMedia(a attachment) (channels.Media, bool) {
	if a.Payload == nil {
		return channels.Media{}, false
	}
	switch a.Type {
	case "image":
		kind := "image"
		if s := string(a.Payload.StickerID); s != "" && s != "null" && s != "0" {
			kind = "sticker" // Messenger sends stickers (the like button too) as images with a sticker_id
		}
		return channels.Media{Kind: kind, Ref: a.Payload.URL}, a.Payload.URL != ""
	case "video", "audio":
		return channels.Media{Kind: a.Type, Ref: a.Payload.URL}, a.Payload.URL != ""
	case "file":
		return channels.Media{Kind: "document", Ref: a.Payload.URL}, a.Payload.URL != ""
	case "location":
		if c := a.Payload.Coordinates; c != nil {
			return channels.Media{Kind: "location", Latitude: c.Lat, Longitude: c.Long}, true
		}
	}
	return channels.Media{}, false
}
