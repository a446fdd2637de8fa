// Package routing holds every rule of PRODUCT.md that decides who holds a conversation:
// presence, the queue, automatic assignment, manual pull, replies, transfer offers, ending and
// taking up again. Each decision is one store transaction with conditional updates, and writes
// the events and timeline entries it causes in that same transaction.
package routing

import (
	"context"
	"log/slog"
	"strings"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// Waker is told after a commit that appended events (the stream hub).
type Waker interface{ Wake() }

// Service applies the rules.
type Service struct {
	store *store.Store
	waker Waker
	log   *slog.Logger
}

// New returns a routing service over the store; waker is woken after commits with events.
func New(s *store.Store, waker Waker, log *slog.Logger) *Service {
	return &Service{store: s, waker: waker, log: log}
}

// MaxMessageLength bounds the body of an agent's message (runes). Channels with smaller limits
// refuse earlier. Customers' messages have their own bound (MaxInboundLength).
const MaxMessageLength = 4096

// do runs one rule decision: fn, then automatic assignment of whatever the decision made
// possible (a conversation queued, an agent online, capacity freed), all in one transaction.
func (s *Service) do(ctx context.Context, fn func(*store.Tx) error) error {
	appended, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		if err := fn(tx); err != nil {
			return err
		}
		return s.autoAssign(tx)
	})
	if appended {
		s.waker.Wake()
	}
	return err
}

// autoAssign gives the oldest queued conversations to eligible agents (PRODUCT.md rule 3):
// online, below their limit; fewest active first, ties to the longest since last assignment.
func (s *Service) autoAssign(tx *store.Tx) error {
	set, err := tx.Settings()
	if err != nil {
		return err
	}
	if !set.AutoAssign {
		return nil
	}
	for {
		convID, skip, ok, err := tx.HeadOfQueue()
		if err != nil || !ok {
			return err
		}
		agentID, ok, err := tx.NextAutoAssignee(set.DefaultLimit, skip)
		if err != nil || !ok {
			return err
		}
		won, err := tx.AssignQueued(convID, agentID)
		if err != nil {
			return err
		}
		if !won { // cannot happen inside one write transaction; stop rather than spin
			return nil
		}
		if err := s.assigned(tx, convID, agentID, "auto", 0); err != nil {
			return err
		}
	}
}

// assigned records that agentID now holds convID: timestamps, timeline, event.
func (s *Service) assigned(tx *store.Tx, convID, agentID int64, by string, actorID int64) error {
	if err := tx.TouchAssigned(agentID); err != nil {
		return err
	}
	if _, err := tx.AddTimeline(convID, "assigned", actorID, map[string]any{"agent_id": agentID, "by": by}); err != nil {
		return err
	}
	c, err := tx.Conversation(convID)
	if err != nil {
		return err
	}
	// Everyone: the conversation left the queue (or changed hands) for every inbox.
	return tx.Append(wire.EventConversationAssigned, convID, store.Everyone, wire.AssignedData{Conversation: c, By: by})
}

// audienceOf is who sees a conversation's messages: its holder (and staff); everyone while queued.
func audienceOf(c wire.Conversation) store.Audience {
	if c.State == wire.Queued {
		return store.Everyone
	}
	if c.AgentID != nil {
		return store.Users(*c.AgentID)
	}
	return store.StaffOnly
}

// conversationChanged appends conversation.updated for whoever sees the conversation.
func conversationChanged(tx *store.Tx, convID int64) error {
	c, err := tx.Conversation(convID)
	if err != nil {
		return err
	}
	return tx.Append(wire.EventConversationUpdated, convID, audienceOf(c), wire.ConversationData{Conversation: c})
}

func checkBody(body string, attachments []wire.Attachment) error {
	if strings.TrimSpace(body) == "" && len(attachments) == 0 {
		return wire.Errorf(wire.CodeEmptyMessage, "a message needs text or an attachment")
	}
	if utf8.RuneCountInString(body) > MaxMessageLength {
		return wire.Errorf(wire.CodeMessageTooLong, "a message can be at most %d characters", MaxMessageLength)
	}
	if !utf8.ValidString(body) {
		return wire.Invalid("body", "the text is not valid UTF-8")
	}
	return checkKinds(attachments)
}

// checkKinds refuses an attachment of a kind no channel knows.
func checkKinds(attachments []wire.Attachment) error {
	for i, a := range attachments {
		switch a.Kind {
		case "image", "document", "video", "audio", "sticker", "location":
		default:
			return wire.Invalid("attachments", "attachment %d has unknown kind %q", i+1, a.Kind)
		}
	}
	return nil
}

func preview(body string, attachments []wire.Attachment) string {
	if strings.TrimSpace(body) != "" {
		return body
	}
	if len(attachments) > 0 {
		return "[" + attachments[0].Kind + "]"
	}
	return ""
}
