package routing

import (
	"context"
	"unicode/utf8"

	"santral/backend/store"
	"santral/backend/wire"
)

// Transfer offers the holder's conversation to another online agent, with an optional note
// (PRODUCT.md rule 8). The conversation stays with the sender until the receiver accepts.
func (s *Service) Transfer(ctx context.Context, fromID, convID int64, r wire.TransferRequest) (wire.TransferOffer, error) {
	note := trimNote(r.Note)
	if utf8.RuneCountInString(note) > 1000 {
		return wire.TransferOffer{}, wire.Invalid("note", "a transfer note can be at most 1000 characters")
	}
	if r.ToAgentID <= 0 {
		return wire.TransferOffer{}, wire.Invalid("to_agent_id", "choose the agent to transfer to")
	}
	if r.ToAgentID == fromID {
		return wire.TransferOffer{}, wire.Errorf(wire.CodeTransferToSelf, "you already hold this conversation")
	}
	var out wire.TransferOffer
	err := s.do(ctx, func(tx *store.Tx) error {
		// The receiver's presence decides, and going on break withdraws the offers to them: the
		// receiver is locked first, so their break is either before this offer (refused) or
		// after it (withdrawn). Then the conversation (lock order, store/lock.go).
		// (An unknown receiver is refused below, after the holder check, as on every backend.)
		if err := tx.LockUser(r.ToAgentID); err != nil && wire.CodeOf(err) != wire.CodeNotFound {
			return err
		}
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		if _, err := holderOf(tx, convID, fromID); err != nil {
			return err
		}
		from, err := tx.User(fromID)
		if err != nil {
			return err
		}
		if err := requireOnline(from); err != nil {
			return err
		}
		to, err := tx.User(r.ToAgentID)
		if err != nil || to.Disabled {
			return wire.Errorf(wire.CodeNotFound, "agent %d not found", r.ToAgentID)
		}
		switch to.Presence {
		case wire.Break:
			return wire.Errorf(wire.CodeAgentOnBreak, "%s is on break and cannot receive transfers", to.DisplayName)
		case wire.Offline:
			return wire.Errorf(wire.CodeAgentOffline, "%s is offline and cannot receive transfers", to.DisplayName)
		}
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		offer, err := tx.CreateOffer(convID, fromID, to.ID, note, tx.Now+int64(set.OfferTimeoutSeconds)*1000)
		if err != nil {
			return err
		}
		cust, err := tx.OfferCustomer(convID)
		if err != nil {
			return err
		}
		withCustomer(&offer, cust)
		out = offer
		if _, err := tx.AddTimeline(convID, "transfer_offered", fromID, map[string]any{
			"offer_id": offer.ID, "to_agent_id": to.ID, "note": note}); err != nil {
			return err
		}
		if err := tx.Append(wire.EventTransferOffered, convID, store.Users(fromID, to.ID), wire.OfferData{Offer: offer}); err != nil {
			return err
		}
		return s.conversationChanged(tx, convID)
	})
	return out, err
}

// Accept completes a transfer: the conversation and the note move to the receiver.
func (s *Service) Accept(ctx context.Context, agentID, offerID int64) (wire.Conversation, error) {
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		o, err := offerFor(tx, offerID, agentID, true)
		if err != nil {
			return err
		}
		// The receiver (their presence), then the conversation; the offer's own conditional
		// update below decides between this and its expiry or withdrawal.
		if err := tx.LockUser(agentID); err != nil {
			return err
		}
		if err := tx.LockConversation(o.ConversationID); err != nil {
			return err
		}
		if o.ExpiresAt <= tx.Now {
			return wire.Errorf(wire.CodeOfferNotPending, "this transfer offer has expired")
		}
		u, err := tx.User(agentID)
		if err != nil {
			return err
		}
		if err := requireOnline(u); err != nil {
			return err
		}
		if ok, err := tx.ResolveOffer(o.ID, wire.OfferAccepted, ""); err != nil || !ok {
			if err == nil {
				err = wire.Errorf(wire.CodeOfferNotPending, "this transfer offer is no longer pending")
			}
			return err
		}
		if ok, err := tx.MoveHolder(o.ConversationID, o.FromAgentID, agentID); err != nil || !ok {
			if err == nil {
				err = wire.Errorf(wire.CodeOfferNotPending, "the conversation is no longer with the sender")
			}
			return err
		}
		if err := tx.TouchAssigned(agentID); err != nil {
			return err
		}
		if _, err := tx.AddTimeline(o.ConversationID, "transfer_accepted", agentID, map[string]any{
			"offer_id": o.ID, "from_agent_id": o.FromAgentID, "to_agent_id": agentID, "note": o.Note}); err != nil {
			return err
		}
		o.State, o.ResolvedAt = wire.OfferAccepted, tx.Now
		if err := tx.Append(wire.EventTransferResolved, o.ConversationID, store.Users(o.FromAgentID, o.ToAgentID), wire.OfferData{Offer: o}); err != nil {
			return err
		}
		// The receiver (and staff) get it whole; the sender only that it left them. Nobody
		// else had it.
		if out, err = s.summary(tx, o.ConversationID); err != nil {
			return err
		}
		if err := tx.Append(wire.EventConversationAssigned, o.ConversationID, store.Readers, wire.AssignedData{Conversation: out, By: "transfer"}); err != nil {
			return err
		}
		s.observe(tx, func(ob Observer) { ob.Assigned("transfer") })
		return tx.Append(wire.EventConversationAssigned, o.ConversationID, store.Only(o.FromAgentID), wire.AssignedData{Conversation: Redact(out), By: "transfer"})
	})
	return out, err
}

// Reject declines an offer; the conversation stays with the sender.
func (s *Service) Reject(ctx context.Context, agentID, offerID int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if _, err := offerFor(tx, offerID, agentID, true); err != nil {
			return err
		}
		return s.failOffer(tx, offerID, wire.OfferRejected, "rejected", agentID, true)
	})
}

// Cancel takes an offer back; the conversation stays with the sender.
func (s *Service) Cancel(ctx context.Context, agentID, offerID int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if _, err := offerFor(tx, offerID, agentID, false); err != nil {
			return err
		}
		return s.failOffer(tx, offerID, wire.OfferCancelled, "cancelled", agentID, true)
	})
}

// offerFor loads a pending offer addressed to (receiver) or sent by (!receiver) the agent.
func offerFor(tx *store.Tx, offerID, agentID int64, receiver bool) (wire.TransferOffer, error) {
	o, err := tx.Offer(offerID)
	if err != nil {
		return o, err
	}
	party := o.FromAgentID
	if receiver {
		party = o.ToAgentID
	}
	if party != agentID {
		return o, wire.Errorf(wire.CodeForbidden, "this transfer offer is not yours")
	}
	if o.State != wire.OfferPending {
		return o, wire.Errorf(wire.CodeOfferNotPending, "this transfer offer is already %s", o.State)
	}
	return o, nil
}

// failOffer ends a pending offer without a transfer. The conversation stays with the sender; if
// the sender is no longer online it goes to the head of the queue (when requeueIfAway). actorID
// is who ended it (the receiver rejecting, the sender cancelling, …; 0: the system, a timeout),
// named in the timeline.
func (s *Service) failOffer(tx *store.Tx, offerID int64, state wire.OfferState, reason string, actorID int64, requeueIfAway bool) error {
	o, err := tx.Offer(offerID)
	if err != nil {
		return err
	}
	// The conversation before the offer (lock order): the sender's presence read below is then
	// the one a concurrent "sender goes offline" sees or waits for.
	if err := tx.LockConversation(o.ConversationID); err != nil {
		return err
	}
	ok, err := tx.ResolveOffer(offerID, state, reason)
	if err != nil || !ok {
		return err
	}
	if o, err = tx.Offer(offerID); err != nil {
		return err
	}
	if _, err := tx.AddTimeline(o.ConversationID, "transfer_"+string(state), actorID, map[string]any{
		"offer_id": o.ID, "from_agent_id": o.FromAgentID, "to_agent_id": o.ToAgentID, "reason": reason}); err != nil {
		return err
	}
	if err := tx.Append(wire.EventTransferResolved, o.ConversationID, store.Users(o.FromAgentID, o.ToAgentID), wire.OfferData{Offer: o}); err != nil {
		return err
	}
	sender, err := tx.User(o.FromAgentID)
	if err != nil {
		return err
	}
	if requeueIfAway && sender.Presence != wire.Online {
		return s.requeue(tx, o.ConversationID, true, "transfer_failed_sender_away", 0)
	}
	return s.conversationChanged(tx, o.ConversationID)
}

// withCustomer gives a pending offer what its receiver decides on: the customer's name and
// their last message (its text, or the kind of its first attachment). Those who get a pending
// offer may read its conversation while it is pending (CanRead: its holder, the receiver,
// staff); a resolved offer carries neither, so the receiver of a failed one keeps nothing.
func withCustomer(o *wire.TransferOffer, c store.OfferCustomer) {
	if o.State != wire.OfferPending {
		o.CustomerName, o.CustomerMessage = "", ""
		return
	}
	o.CustomerName = c.Name
	o.CustomerMessage = preview(c.Body, c.Attachments)
	if r := []rune(o.CustomerMessage); len(r) > 140 {
		o.CustomerMessage = string(r[:140])
	}
}

// OfferCustomers fills the customer of each pending offer in a list answered to one of its
// parties or staff (GET /transfers, GET /transfers/{id}); resolved offers are left without.
func (s *Service) OfferCustomers(ctx context.Context, list []wire.TransferOffer) error {
	for i := range list {
		if list[i].State != wire.OfferPending {
			withCustomer(&list[i], store.OfferCustomer{})
			continue
		}
		c, err := s.store.OfferCustomer(ctx, list[i].ConversationID)
		if err != nil {
			return err
		}
		withCustomer(&list[i], c)
	}
	return nil
}
