package routing

import (
	"context"

	"santral/backend/store"
	"santral/backend/wire"
)

// Who may read a conversation, in one place: every handler, every event's audience and every
// embedded resource (previews, contacts, earlier conversations) asks here.
//
// Staff read everything. An agent reads the queue, the shared history of ended conversations,
// what they hold, and a conversation offered to them — never a conversation another agent
// holds. A conversation in a chatbot flow is read by staff and by the agent who handed it to
// the flow.

// CanRead reports whether u may read c; offeredTo is the receiver of c's pending transfer
// offer (0: none).
func CanRead(u wire.User, c wire.Conversation, offeredTo int64) bool {
	switch {
	case u.Role.Staff(), c.State == wire.Queued, c.State == wire.Ended:
		return true
	case c.AgentID != nil && *c.AgentID == u.ID:
		return true
	case c.State == wire.InFlow:
		// The agent who handed it to the flow follows it; other agents see it when the flow
		// hands it to the queue.
		return c.FlowAgentID != nil && *c.FlowAgentID == u.ID
	}
	return offeredTo != 0 && offeredTo == u.ID
}

// Redact is the summary of c for a user who may not read it: who holds it and since when, no
// contact details, no text.
func Redact(c wire.Conversation) wire.Conversation {
	return wire.Conversation{ID: c.ID, State: c.State, AgentID: c.AgentID, Channel: c.Channel,
		Contact: wire.Contact{ChannelID: c.Channel.ID}, QueuedAt: c.QueuedAt, CreatedAt: c.CreatedAt,
		AssignedAt: c.AssignedAt, EndedAt: c.EndedAt, Redacted: true}
}

// ForReader returns c as u may see it: whole, or redacted.
func ForReader(u wire.User, c wire.Conversation, offeredTo int64) wire.Conversation {
	if CanRead(u, c, offeredTo) {
		return c
	}
	return Redact(c)
}

// resolveAudience is the transaction resolver: events addressed to a conversation's readers
// (or non-readers) go to whoever may read it when the transaction commits, and message events
// of a website-chat conversation wake that visitor's socket.
func resolveAudience() store.Resolver {
	var seen map[int64]store.ConversationReaders
	return func(tx *store.Tx, ev *store.PendingEvent) error {
		needs := ev.Audience == store.Readers || ev.Audience == store.NonReaders ||
			(ev.ConversationID != 0 && (ev.Type == wire.EventMessageCreated || ev.Type == wire.EventMessageUpdated))
		if !needs {
			return nil
		}
		if seen == nil {
			// Every event of the transaction resolves at its end, against the same state: read
			// the conversations they name in one go (thousands in a bulk assignment).
			var err error
			if seen, err = tx.ReadersOfMany(tx.PendingConversations()); err != nil {
				return err
			}
		}
		r, ok := seen[ev.ConversationID]
		if !ok {
			var err error
			if r, err = tx.ReadersOf(ev.ConversationID); err != nil {
				return err
			}
			seen[ev.ConversationID] = r
		}
		open := r.State == wire.Queued || r.State == wire.Ended
		switch {
		case ev.Audience == store.Readers && open:
			ev.Audience = store.Everyone
		case ev.Audience == store.Readers && r.State == wire.Assigned:
			ev.Audience = store.Users(r.AgentID, r.OfferedTo)
		case ev.Audience == store.Readers && r.State == wire.InFlow:
			ev.Audience = store.Users(r.FlowAgentID) // staff only for a default flow
		case ev.Audience == store.Readers:
			ev.Audience = store.StaffOnly
		case ev.Audience == store.NonReaders && r.State == wire.Assigned:
			ev.Audience = store.AllBut(r.AgentID, r.OfferedTo)
		case ev.Audience == store.NonReaders:
			ev.Audience = store.Nobody
		}
		if r.ChannelType == wire.ChannelWebchat && (ev.Type == wire.EventMessageCreated || ev.Type == wire.EventMessageUpdated) {
			ev.Visitor = r.ContactExternalID
		}
		return nil
	}
}

// summary reads a conversation with the fields the rules derive: its messaging window.
func (s *Service) summary(tx *store.Tx, id int64) (wire.Conversation, error) {
	c, err := tx.Conversation(id)
	if err != nil {
		return c, err
	}
	return c, s.withWindow(tx, &c)
}

// summaryOn is summary with the conversation's channel already read in this request (ch).
func (s *Service) summaryOn(tx *store.Tx, id int64, ch store.ChannelRow) (wire.Conversation, error) {
	c, err := tx.Conversation(id)
	if err != nil || c.Channel.ID != ch.ID {
		if err == nil {
			err = s.withWindow(tx, &c)
		}
		return c, err
	}
	c.WindowClosesAt = FreeFormUntil(ch, c.LastInboundAt)
	return c, nil
}

// withWindow fills the conversation's messaging window from its channel's settings.
func (s *Service) withWindow(tx *store.Tx, c *wire.Conversation) error {
	ch, err := tx.ChannelSettings(c.Channel.ID)
	if err != nil {
		return err
	}
	c.WindowClosesAt = FreeFormUntil(ch, c.LastInboundAt)
	return nil
}

// Summaries fills the rule-derived fields (the messaging window) of conversations read from the
// store for a list.
func (s *Service) Summaries(ctx context.Context, list []wire.Conversation) error {
	if len(list) == 0 {
		return nil
	}
	rows, err := s.store.ChannelRows(ctx)
	if err != nil {
		return err
	}
	byID := map[int64]store.ChannelRow{}
	for _, ch := range rows {
		byID[ch.ID] = ch
	}
	for i := range list {
		if ch, ok := byID[list[i].Channel.ID]; ok {
			list[i].WindowClosesAt = FreeFormUntil(ch, list[i].LastInboundAt)
		}
	}
	return nil
}
