package meta

import (
	"fmt"
	"unicode/utf8"

	"santral/backend/wire"
)

// Quick replies (a chatbot flow's questions): at most 13, content_type "text", title ≤ 20
// characters (Meta cuts longer ones), with our choice id as the payload, which comes back as
// message.quick_reply.payload (send_quick_replies_request.json, inbound_quick_reply.json).

const (
	MaxQuickReplies   = 13
	MaxQuickReplyText = 20
	maxPayload        = 1000
)

type quickReply struct {
	ContentType string `json:"content_type"`
	Title       string `json:"title"`
	Payload     string `json:"payload"`
}

func quickReplies(it *wire.Interactive) ([]quickReply, error) {
	if it == nil || it.Style != wire.StyleQuickReplies {
		return nil, nil
	}
	if n := len(it.Choices); n == 0 || n > MaxQuickReplies {
		return nil, refuse("too many quick replies", fmt.Sprintf("%d; at most %d", n, MaxQuickReplies))
	}
	out := make([]quickReply, 0, len(it.Choices))
	for _, c := range it.Choices {
		if c.Title == "" || utf8.RuneCountInString(c.Title) > MaxQuickReplyText || c.ID == "" || len(c.ID) > maxPayload {
			return nil, refuse("quick reply title", fmt.Sprintf("%q: 1 to %d characters", c.Title, MaxQuickReplyText))
		}
		out = append(out, quickReply{ContentType: "text", Title: c.Title, Payload: c.ID})
	}
	return out, nil
}
