package routing

import (
	"context"
	"strconv"
	"strings"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// Paid says whether sending a template now is charged (Meta's pricing since July 2025):
// marketing and authentication templates always; utility templates only outside the customer's
// 24-hour window.
func Paid(tp wire.Template, windowOpen bool) bool {
	return tp.Category != "UTILITY" || !windowOpen
}

// FillTemplate puts the parameters into a template body's {{1}}… placeholders.
func FillTemplate(body string, params []string) string {
	for i := len(params); i >= 1; i-- { // {{10}} before {{1}}
		body = strings.ReplaceAll(body, "{{"+strconv.Itoa(i)+"}}", params[i-1])
	}
	return body
}

// SendTemplate sends an approved WhatsApp template: the one way to write to a customer whose
// window has closed. Only the holder, while online.
func (s *Service) SendTemplate(ctx context.Context, agentID, convID int64, r wire.SendTemplateRequest) (wire.Message, error) {
	var out wire.Message
	err := s.do(ctx, func(tx *store.Tx) error {
		c, replay, err := sendable(tx, agentID, convID, r.IdempotencyKey)
		if err != nil || replay != nil {
			if replay != nil {
				out = *replay
			}
			return err
		}
		tp, err := tx.Template(r.TemplateID)
		if err != nil || tp.ChannelID != c.Channel.ID {
			return wire.Errorf(wire.CodeNotFound, "template %d is not one of this channel's", r.TemplateID)
		}
		if len(r.Params) != tp.Params {
			return wire.Invalid("params", "template %s needs %d parameters, got %d", tp.Name, tp.Params, len(r.Params))
		}
		for i, p := range r.Params {
			if strings.TrimSpace(p) == "" || utf8.RuneCountInString(p) > 1024 {
				return wire.Invalid("params", "parameter %d must be 1–1024 characters", i+1)
			}
		}
		body := FillTemplate(tp.Body, r.Params)
		msg, dup, err := tx.InsertMessage(store.NewMessage{ConversationID: convID, ChannelID: c.Channel.ID, Direction: "out",
			AuthorID: agentID, Body: body, Status: wire.StatusQueued, IdempotencyKey: r.IdempotencyKey,
			Template: &wire.MessageTemplate{Name: tp.Name, Language: tp.Language, Category: tp.Category, Params: r.Params}})
		if err != nil {
			return err
		}
		out = msg
		if dup {
			return nil
		}
		if err := tx.EnqueueSend(msg.ID, c.Channel.ID); err != nil {
			return err
		}
		if err := tx.TouchConversation(convID, false, body, true); err != nil {
			return err
		}
		if err := tx.Append(wire.EventMessageCreated, convID, store.Readers, wire.MessageData{Message: msg}); err != nil {
			return err
		}
		return s.conversationChanged(tx, convID)
	})
	return out, err
}

// SyncTemplates stores a channel's approved templates.
func (s *Service) SyncTemplates(ctx context.Context, channelID int64, list []wire.Template) error {
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error { return tx.ReplaceTemplates(channelID, list) })
	return err
}
