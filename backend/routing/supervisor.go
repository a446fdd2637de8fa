package routing

// Supervisors' actions from the dashboard (issue 11) and the staff's notes and tags. Each is one
// transaction with its conditions in the statements, recorded in the conversation's timeline
// with the actor, and its events reach the agents concerned in the same commit. (A limit is
// changed through UpdateUser; returning to the queue and ending are ReturnToQueue and End.)

import (
	"context"
	"strings"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// SetAgentPresence is a supervisor putting an agent on break (with a reason) or offline: the
// same rule as the agent's own change (offers to them withdrawn, their conversations back to
// the queue when they go offline and the workspace says so), logged with the supervisor as the
// actor. Nobody can be put online by someone else: online means at the desk.
func (s *Service) SetAgentPresence(ctx context.Context, actor wire.User, userID int64, p wire.Presence, reason string) (wire.User, error) {
	if !actor.Role.Staff() {
		return wire.User{}, wire.Errorf(wire.CodeForbidden, "only supervisors and admins change another user's presence")
	}
	switch p {
	case wire.Break:
		if err := checkBreakReason(reason); err != nil {
			return wire.User{}, err
		}
	case wire.Offline:
		reason = ""
	default:
		return wire.User{}, wire.Invalid("presence", "a supervisor can put an agent on break or offline only")
	}
	var out wire.User
	err := s.do(ctx, func(tx *store.Tx) error {
		// Locked before "disabled" is read: an admin disabling the user meanwhile (offline, sessions
		// ended) must not be followed by this putting them on break.
		if err := tx.LockUser(userID); err != nil {
			return err
		}
		u, err := tx.User(userID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return wire.Errorf(wire.CodeNotFound, "user not found")
		}
		// A supervisor manages agents (and themself); another supervisor's or an admin's
		// presence is an admin's to change. The role is read under the lock, with the rest.
		if actor.Role == wire.RoleSupervisor && userID != actor.ID && u.Role != wire.RoleAgent {
			return wire.Errorf(wire.CodeForbidden, "a supervisor changes only agents' presence; ask an admin")
		}
		if err := s.changePresenceBy(tx, userID, p, reason, actor.ID); err != nil {
			return err
		}
		if userID != actor.ID {
			if err := tx.PresenceActor(userID, actor.ID); err != nil {
				return err
			}
		}
		u, err = tx.User(userID)
		out = u.User
		return err
	})
	return out, err
}

// Reassign gives a conversation to another online agent at once (no offer): a supervisor's
// answer to a conversation stuck with someone who cannot answer it, or waiting in the queue
// for the one agent who can. A pending transfer offer for it is withdrawn. The agent must be
// online (not on break, not offline) and under their hard cap, if one is set. expectFrom, when
// given, is where the supervisor saw it (0: the queue): two supervisors acting on the same row
// at once must not silently undo each other, so the second is told it moved.
func (s *Service) Reassign(ctx context.Context, actor wire.User, convID int64, expectFrom *int64, toID int64) (wire.Conversation, error) {
	if !actor.Role.Staff() {
		return wire.Conversation{}, wire.Errorf(wire.CodeForbidden, "only supervisors and admins reassign conversations")
	}
	if toID <= 0 {
		return wire.Conversation{}, wire.Invalid("to_agent_id", "choose the agent to give the conversation to")
	}
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		// Lock order: the receiving agent, then the conversation (store/lock.go).
		if err := tx.LockUser(toID); err != nil {
			return err
		}
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		var from int64
		switch c.State {
		case wire.Queued:
		case wire.Assigned:
			from = *c.AgentID
			if from == toID {
				return wire.Errorf(wire.CodeAlreadyHolder, "this agent already holds this conversation")
			}
		case wire.Ended:
			return wire.Errorf(wire.CodeConversationEnded, "this conversation has ended")
		default:
			return wire.Errorf(wire.CodeConversationInFlow, "a chatbot flow is talking to this customer: return it to the queue first")
		}
		if expectFrom != nil && *expectFrom != from {
			return wire.Errorf(wire.CodeConversationMoved, "the conversation or the agent changed meanwhile: look again")
		}
		to, err := tx.User(toID)
		if err != nil || to.Disabled {
			if err == nil || wire.CodeOf(err) == wire.CodeNotFound {
				err = wire.Errorf(wire.CodeNotFound, "agent %d not found", toID)
			}
			return err
		}
		switch to.Presence {
		case wire.Break:
			return wire.Errorf(wire.CodeAgentOnBreak, "%s is on break and cannot receive conversations", to.DisplayName)
		case wire.Offline:
			return wire.Errorf(wire.CodeAgentOffline, "%s is offline and cannot receive conversations", to.DisplayName)
		}
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		if limit := to.EffectiveHardCap(set); limit > 0 && to.Active >= limit {
			return wire.Errorf(wire.CodeHardCapReached, "%s already holds %d conversations, the most allowed", to.DisplayName, to.Active)
		}
		if offerID, pending, err := tx.PendingOfferOf(convID); err != nil {
			return err
		} else if pending {
			if err := s.failOffer(tx, offerID, wire.OfferWithdrawn, "reassigned", actor.ID, false); err != nil {
				return err
			}
		}
		ok, err := tx.Reassign(convID, from, toID)
		if err != nil {
			return err
		}
		if !ok {
			return wire.Errorf(wire.CodeConversationMoved, "the conversation or the agent changed meanwhile: look again")
		}
		if from == 0 {
			// From the queue: the same step and events as any assignment, by a supervisor.
			if err := s.assigned(tx, convID, toID, "supervisor", actor.ID); err != nil {
				return err
			}
		} else {
			if err := tx.TouchAssigned(toID); err != nil {
				return err
			}
			if _, err := tx.AddTimeline(convID, "reassigned", actor.ID, map[string]any{"from_agent_id": from, "to_agent_id": toID}); err != nil {
				return err
			}
			s.observe(tx, func(o Observer) { o.Assigned("supervisor") })
			sum, err := s.summary(tx, convID)
			if err != nil {
				return err
			}
			// The new holder (and staff) get it whole; the agent it left only that it left them.
			if err := tx.Append(wire.EventConversationAssigned, convID, store.Readers, wire.AssignedData{Conversation: sum, By: "supervisor"}); err != nil {
				return err
			}
			if err := tx.Append(wire.EventConversationAssigned, convID, store.Only(from), wire.AssignedData{Conversation: Redact(sum), By: "supervisor"}); err != nil {
				return err
			}
		}
		out, err = s.summary(tx, convID)
		return err
	})
	return out, err
}

// MaxNoteLength bounds an internal note (runes).
const MaxNoteLength = 2000

// AddNote adds an internal note to a conversation the user may read: a timeline entry for the
// staff and the agents who see the conversation, never a message, never sent to the customer.
func (s *Service) AddNote(ctx context.Context, actor wire.User, convID int64, text string) (wire.TimelineEntry, error) {
	text = strings.TrimSpace(text)
	if text == "" {
		return wire.TimelineEntry{}, wire.Invalid("text", "a note needs text")
	}
	if utf8.RuneCountInString(text) > MaxNoteLength || !utf8.ValidString(text) {
		return wire.TimelineEntry{}, wire.Invalid("text", "a note can be at most %d characters", MaxNoteLength)
	}
	var out wire.TimelineEntry
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := s.readable(tx, actor, convID); err != nil {
			return err
		}
		e, err := tx.AddTimeline(convID, "note", actor.ID, map[string]any{"text": text})
		if err != nil {
			return err
		}
		out = e
		return tx.Append(wire.EventTimelineAdded, convID, store.Readers, wire.TimelineData{Entry: e})
	})
	return out, err
}

// readable checks, inside the transaction, that actor may read the conversation.
func (s *Service) readable(tx *store.Tx, actor wire.User, convID int64) error {
	if err := tx.LockConversation(convID); err != nil {
		return err
	}
	c, err := tx.Conversation(convID)
	if err != nil {
		return err
	}
	var offeredTo int64
	if c.PendingOfferID != nil {
		if o, err := tx.Offer(*c.PendingOfferID); err == nil && o.State == wire.OfferPending {
			offeredTo = o.ToAgentID
		}
	}
	if !CanRead(actor, c, offeredTo) {
		return wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
	}
	return nil
}

// SetTags makes a conversation's tags exactly the ones given, from the admin's list: staff, or
// the agent holding it. The change is a timeline step with the actor.
func (s *Service) SetTags(ctx context.Context, actor wire.User, convID int64, tagIDs []int64) ([]wire.Tag, error) {
	if len(tagIDs) > 20 {
		return nil, wire.Invalid("tag_ids", "a conversation can have at most 20 tags")
	}
	var out []wire.Tag
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		if !actor.Role.Staff() && (c.AgentID == nil || *c.AgentID != actor.ID || c.State != wire.Assigned) {
			return wire.Errorf(wire.CodeNotHolder, "only the agent holding the conversation, or staff, can tag it")
		}
		before, err := tx.ConversationTags(convID)
		if err != nil {
			return err
		}
		refused, err := tx.SetConversationTags(convID, tagIDs, actor.ID)
		if err != nil {
			return err
		}
		if len(refused) > 0 {
			return &wire.Error{Code: wire.CodeTagUnknown, Field: "tag_ids", Message: "a tag is not in the list (or no longer active)"}
		}
		if out, err = tx.ConversationTags(convID); err != nil {
			return err
		}
		if sameTags(before, out) {
			return nil
		}
		labels := make([]string, len(out))
		for i, t := range out {
			labels[i] = t.Label
		}
		if _, err := tx.AddTimeline(convID, "tagged", actor.ID, map[string]any{"tags": labels}); err != nil {
			return err
		}
		return tx.Append(wire.EventConversationTagged, convID, store.Readers, wire.ConversationTagsData{ConversationID: convID, Tags: out})
	})
	return out, err
}

func sameTags(a, b []wire.Tag) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].ID != b[i].ID {
			return false
		}
	}
	return true
}

// SaveTag creates (id 0) or changes a tag of the admin's list. A tag is deactivated rather
// than deleted: tagged conversations keep it.
func (s *Service) SaveTag(ctx context.Context, id int64, r wire.TagRequest) (wire.Tag, error) {
	label := strings.TrimSpace(r.Label)
	if label == "" || utf8.RuneCountInString(label) > 40 {
		return wire.Tag{}, wire.Invalid("label", "a tag is 1–40 characters")
	}
	active := r.Active == nil || *r.Active
	out := wire.Tag{ID: id, Label: label, Active: active}
	err := s.do(ctx, func(tx *store.Tx) error {
		var err error
		if out.ID, err = tx.SaveTag(id, label, active); err != nil {
			return err
		}
		return tx.Append(wire.EventTagsChanged, 0, store.Everyone, out)
	})
	return out, err
}
