package routing

import (
	"context"
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
		body := wire.FillTemplate(tp.Body, r.Params)
		var names []string // a NAMED template's parameters go to Meta with their names
		if tp.ParameterFormat == wire.TemplateNamed {
			for _, p := range tp.Parameters {
				names = append(names, p.Name)
			}
		}
		msg, dup, err := tx.InsertMessage(store.NewMessage{ConversationID: convID, ChannelID: c.Channel.ID, Direction: "out",
			AuthorID: agentID, Body: body, Status: wire.StatusQueued, IdempotencyKey: r.IdempotencyKey,
			Template: &wire.MessageTemplate{Name: tp.Name, Language: tp.Language, Category: tp.Category, Params: r.Params, ParamNames: names}})
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
