package routing

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// What a customer's message may carry. A provider has acknowledged it by the time it reaches
// us, so nothing the customer wrote is refused over a limit of ours: the text is stored whole up
// to MaxInboundLength and cut there with a marker; names too long are cut, a phone or e-mail that
// cannot be one is left out. Only what the message is stored and routed under (the sender's id,
// the provider's message id) refuses it when missing or too long, since cutting it could merge
// two customers or two messages.
const (
	// MaxInboundLength is the longest customer text stored whole (characters): WhatsApp's own
	// limit for a text a user sends, far above Messenger's, Instagram's and Telegram's.
	MaxInboundLength = 65536
	maxSenderID      = 128 // bytes: wa_id, WhatsApp user id, PSID, IGSID, Telegram chat id, visitor id
	maxExternalID    = 512 // bytes: Instagram's mids are the longest, about 150
	maxContactName   = 200 // characters
	maxPhone         = 32
	maxEmail         = 254 // RFC 5321's path limit
)

// fitInbound checks and normalises a customer's message before it is stored.
func fitInbound(in *Inbound) error {
	switch {
	case in.SenderID == "":
		return wire.Invalid("sender_id", "the sender id is required")
	case len(in.SenderID) > maxSenderID:
		return wire.Invalid("sender_id", "the sender id is longer than %d bytes", maxSenderID)
	case in.ExternalID == "":
		return wire.Invalid("message_id", "the message id is required")
	case len(in.ExternalID) > maxExternalID:
		return wire.Invalid("message_id", "the message id is longer than %d bytes", maxExternalID)
	}
	in.Name = contactName(in.Name)
	in.Phone = withinOrNothing(in.Phone, maxPhone)
	in.Email = withinOrNothing(in.Email, maxEmail)
	in.Body = customerText(in.Body)
	if strings.TrimSpace(in.Body) == "" && len(in.Attachments) == 0 && len(in.Uploaded) == 0 {
		return wire.Errorf(wire.CodeEmptyMessage, "a message needs text or an attachment")
	}
	return checkKinds(in.Attachments)
}

// customerText is the text as stored: valid UTF-8, at most MaxInboundLength characters and, when
// longer, cut there with a marker saying how much was left out.
func customerText(body string) string {
	body = strings.ToValidUTF8(body, "\uFFFD")
	n := utf8.RuneCountInString(body)
	if n <= MaxInboundLength {
		return body
	}
	cut := 0
	for i := range body {
		if cut == MaxInboundLength {
			return body[:i] + fmt.Sprintf("\n[… %d more characters not stored]", n-MaxInboundLength)
		}
		cut++
	}
	return body
}

// contactName is a display name on one line, at most maxContactName characters.
func contactName(name string) string {
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	name = strings.TrimSpace(name)
	if r := []rune(name); len(r) > maxContactName {
		name = strings.TrimSpace(string(r[:maxContactName]))
	}
	return name
}

func withinOrNothing(s string, max int) string {
	s = strings.TrimSpace(s)
	if len(s) > max || !utf8.ValidString(s) {
		return ""
	}
	return s
}

// RecordRejected records a message of a verified delivery that could not be stored as a message
// (malformed, or refused above), with the provider's JSON: what a provider was told we took is
// never gone without a trace.
func (s *Service) RecordRejected(ctx context.Context, channelID int64, r store.Rejected) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.RecordRejected(channelID, r) })
	return err
}
