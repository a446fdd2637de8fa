// Package routing holds every rule of PRODUCT.md that decides who holds a conversation:
// presence, the queue, automatic assignment, manual pull, replies, transfer offers, ending and
// taking up again. Each decision is one store transaction with conditional updates, and writes
// the events and timeline entries it causes in that same transaction.
package routing

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// Waker is told after a commit that appended events (the stream hub).
type Waker interface{ Wake() }

// Observer hears of decisions once they are committed (the node's metrics). Its methods are
// called on the deciding request's goroutine and must not block.
type Observer interface {
	Received(channelType string) // a customer's message was stored (a redelivery is not)
	Assigned(by string)          // a conversation got a holder: auto, pull, transfer, take_up
}

// Service applies the rules.
type Service struct {
	store    *store.Store
	waker    Waker
	log      *slog.Logger
	observer Observer // nil: nobody listens
	defs     flowDefs // flow versions read so far (they never change)
}

// Observe tells o of every decision committed from now on. Call it before serving.
func (s *Service) Observe(o Observer) { s.observer = o }

// observe runs fn with the observer once tx has committed.
func (s *Service) observe(tx *store.Tx, fn func(Observer)) {
	if o := s.observer; o != nil {
		tx.OnCommit(func() { fn(o) })
	}
}

// New returns a routing service over the store; waker is woken after commits with events.
func New(s *store.Store, waker Waker, log *slog.Logger) *Service {
	svc := &Service{store: s, waker: waker, log: log}
	// Automatic assignment runs once per transaction, after the requests that made it possible
	// (a conversation queued, an agent online, capacity freed), in the commit that answers them.
	s.SetAfterRequests(func(tx *store.Tx) error {
		tx.SetResolver(resolveAudience())
		return svc.autoAssign(tx)
	}, func(err error) {
		log.Warn("automatic assignment failed; the sweep runs it again", "err", err)
	})
	return svc
}

// MaxMessageLength bounds the body of an agent's message (runes). Channels with smaller limits
// refuse earlier. Customers' messages have their own bound (MaxInboundLength).
const MaxMessageLength = 4096

// do runs one rule decision, fn; automatic assignment of whatever it made possible follows in
// the same transaction (New). Events addressed to a conversation's readers go to whoever may
// read it at commit.
func (s *Service) do(ctx context.Context, fn func(*store.Tx) error) error {
	return s.doFor(ctx, "", fn)
}

// doFor is do for a decision about one thing named by key (store.TxFor; "": any committer).
func (s *Service) doFor(ctx context.Context, key string, fn func(*store.Tx) error) error {
	run := s.store.Tx
	if key != "" {
		run = func(ctx context.Context, fn func(*store.Tx) error) (bool, error) { return s.store.TxFor(ctx, key, fn) }
	}
	appended, err := run(ctx, func(tx *store.Tx) error {
		tx.SetResolver(resolveAudience())
		return fn(tx)
	})
	if appended {
		s.waker.Wake()
	}
	return err
}

// autoAssign gives the oldest queued conversations to eligible agents (PRODUCT.md rule 3):
// online, below their limit; fewest active first, ties to the one who waited longest since
// their last assignment. A conversation that may not go to the best agent (returned by a
// supervisor, "not to its previous holder") goes to the next best, and when no one else is
// eligible it waits without holding up the conversations behind it.
//
// The agents' state is read inside this write transaction, so the ranking kept here is the
// database's, not a copy that can go stale. With several nodes (PostgreSQL) the agents and the
// conversations it assigns are locked until commit; it runs after the decision's own locks, so
// it never waits for a lock: agents and conversations another node's decision holds at that
// moment are left to that decision's own round (see store/lock.go).
func (s *Service) autoAssign(tx *store.Tx) error {
	set, err := tx.Settings()
	if err != nil {
		return err
	}
	if !set.AutoAssign {
		return nil
	}
	if _, queued, err := tx.OldestQueued(); err != nil || !queued {
		return err // nothing waits: no agent needs locking
	}
	agents, err := tx.EligibleAgents(set.DefaultLimit)
	if err != nil || len(agents) == 0 {
		return err
	}
	rank := newAgentRank(agents)
	var after store.QueuePosition
	for rank.Len() > 0 {
		// Lock only as many as the agents can take: the rest stay free for other nodes.
		batch, err := tx.LockQueuedAfter(after, min(500, rank.capacity()))
		if err != nil || len(batch) == 0 {
			return err
		}
		// Decide the whole batch on the ranking, then write it in a few statements. The batch's
		// conversations are locked by this transaction, so each decision stands; one that is
		// not won all the same (its row changed in between) only leaves its agent a place short
		// this round — a limit is never exceeded.
		var decided []store.Assignment
		for _, q := range batch {
			after = q.Position
			agent, ok := rank.best(q.SkipAgentID)
			if !ok {
				if rank.Len() == 0 {
					break
				}
				continue // only its previous holder could take it: the next one may go ahead
			}
			decided = append(decided, store.Assignment{ConvID: q.ID, AgentID: agent.ID})
			rank.took(agent)
		}
		if err := s.assignMany(tx, decided, "auto"); err != nil {
			return err
		}
	}
	return nil
}

// assignMany gives each queued conversation to its agent and records it as assigned does, in
// bulk statements.
func (s *Service) assignMany(tx *store.Tx, list []store.Assignment, by string) error {
	if len(list) == 0 {
		return nil
	}
	won, err := tx.AssignQueuedMany(list)
	if err != nil || len(won) == 0 {
		return err
	}
	agentOf := make(map[int64]int64, len(list))
	for _, a := range list {
		agentOf[a.ConvID] = a.AgentID
	}
	steps := make([]store.TimelineStep, len(won))
	for i, id := range won {
		steps[i] = store.TimelineStep{ConvID: id, Kind: "assigned", Data: map[string]any{"agent_id": agentOf[id], "by": by}}
		s.observe(tx, func(o Observer) { o.Assigned(by) })
	}
	if err := tx.AddTimelineMany(steps); err != nil {
		return err
	}
	convs, err := tx.Conversations(won)
	if err != nil {
		return err
	}
	channels := map[int64]store.ChannelRow{}
	for _, id := range won {
		c, ok := convs[id]
		if !ok {
			return fmt.Errorf("routing: conversation %d assigned but not found", id)
		}
		ch, ok := channels[c.Channel.ID]
		if !ok {
			if ch, err = tx.ChannelSettings(c.Channel.ID); err != nil {
				return err
			}
			channels[c.Channel.ID] = ch
		}
		c.WindowClosesAt = FreeFormUntil(ch, c.LastInboundAt)
		if err := tx.Append(wire.EventConversationAssigned, id, store.Readers, wire.AssignedData{Conversation: c, By: by}); err != nil {
			return err
		}
		tx.AppendToSet(wire.EventQueueLeft, store.Everyone, id)
		if from := tx.RequeuedFrom(id); from != 0 && from != agentOf[id] {
			// Returned to the queue in this commit and given out at once: see assigned.
			if err := tx.Append(wire.EventConversationAssigned, id, store.Only(from), wire.AssignedData{Conversation: Redact(c), By: by}); err != nil {
				return err
			}
		}
	}
	return nil
}

// assigned records that agentID now holds convID: timestamps, timeline, events. The holder (and
// staff) get the conversation whole; everyone else learns only that it left the queue (one
// queue.left event per commit for all of them), or — taken up from the shared history — its
// redacted summary.
func (s *Service) assigned(tx *store.Tx, convID, agentID int64, by string, actorID int64) error {
	_, err := s.assignedSummary(tx, convID, agentID, by, actorID)
	return err
}

// assignedSummary is assigned, returning the conversation as its event shows it (a pull answers
// with it instead of reading the conversation a second time in the committer).
func (s *Service) assignedSummary(tx *store.Tx, convID, agentID int64, by string, actorID int64) (wire.Conversation, error) {
	if err := tx.TouchAssigned(agentID); err != nil {
		return wire.Conversation{}, err
	}
	s.observe(tx, func(o Observer) { o.Assigned(by) })
	if _, err := tx.AddTimeline(convID, "assigned", actorID, map[string]any{"agent_id": agentID, "by": by}); err != nil {
		return wire.Conversation{}, err
	}
	c, err := s.summary(tx, convID)
	if err != nil {
		return c, err
	}
	if err := tx.Append(wire.EventConversationAssigned, convID, store.Readers, wire.AssignedData{Conversation: c, By: by}); err != nil {
		return c, err
	}
	if by == "take_up" {
		return c, tx.Append(wire.EventConversationAssigned, convID, store.NonReaders, wire.AssignedData{Conversation: Redact(c), By: by})
	}
	tx.AppendToSet(wire.EventQueueLeft, store.Everyone, convID)
	// Returned to the queue by this same decision (its holder went offline, their transfer
	// failed while they were away) and given out at once: its conversation.queued event reaches
	// only the new holder, so the agent it left is told as a transfer's sender is, or their app
	// would go on listing it as theirs.
	if from := tx.RequeuedFrom(convID); from != 0 && from != agentID {
		return c, tx.Append(wire.EventConversationAssigned, convID, store.Only(from), wire.AssignedData{Conversation: Redact(c), By: by})
	}
	return c, nil
}

// conversationChanged appends conversation.updated for whoever may read the conversation.
func (s *Service) conversationChanged(tx *store.Tx, convID int64) error {
	c, err := s.summary(tx, convID)
	if err != nil {
		return err
	}
	return tx.Append(wire.EventConversationUpdated, convID, store.Readers, wire.ConversationData{Conversation: c})
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
