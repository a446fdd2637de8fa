package routing

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// Inbound is a customer message arriving on a channel.
type Inbound struct {
	ChannelID          int64
	SenderID           string // the customer's id on the channel
	Name, Phone, Email string
	ExternalID         string // the provider's message id: the same id twice stores one message
	Body               string
	Attachments        []wire.Attachment
	// Uploaded are files the customer uploaded to Santral itself (the website chat), by key,
	// sent after Attachments. Each must be the sender's own upload; it is claimed in the
	// message's transaction, so the removal of unsent uploads cannot take it midway.
	Uploaded []string
	// SentAt is when the customer sent it, by the provider's clock (zero: not given). The
	// message is shown with it and the window counts from it; its arrival orders it.
	SentAt time.Time
	// Echo is our own message coming back from the provider (sent from another device or the
	// provider's inbox): recorded as ours in the customer's conversation, never as theirs.
	Echo bool
	// Choice is the id of the choice the customer pressed (a chatbot flow's question), as the
	// channel carried it back; CallbackID a Telegram button press to acknowledge.
	Choice, CallbackID string
}

// InboundResult says where an inbound message went.
type InboundResult struct {
	ConversationID int64
	MessageID      int64
	Duplicate      bool
}

// Ingest stores a customer message durably (PRODUCT.md rules 2 and 9): into the customer's open
// conversation, or a new queued conversation linked to their earlier ones. Assignment of a new
// conversation happens in the same transaction. What the customer wrote is kept even past the
// agents' limits (see fitInbound); only a message that cannot be routed or deduplicated is
// refused.
func (s *Service) Ingest(ctx context.Context, in Inbound) (InboundResult, error) {
	if err := fitInbound(&in); err != nil {
		return InboundResult{}, err
	}
	var res InboundResult
	// One customer's messages share a committer: they write the same conversation's row.
	err := s.doFor(ctx, strconv.FormatInt(in.ChannelID, 10)+"/"+in.SenderID, func(tx *store.Tx) error {
		// A switched-off channel stores nothing, even for a message already on its way in when
		// the admin switched it off.
		// Read once: the summary's messaging window below needs the channel's settings too.
		ch, err := tx.ChannelSettings(in.ChannelID)
		if err != nil || !ch.Enabled {
			if err == nil {
				err = wire.Errorf(wire.CodeChannelDisabled, "this channel is switched off")
			}
			return err
		}
		if m, seen, err := tx.MessageSeen(in.ChannelID, in.ExternalID); err != nil || seen {
			res = InboundResult{ConversationID: m.ConversationID, MessageID: m.ID, Duplicate: seen}
			return err
		}
		sentAt := customersTime(in.SentAt, tx.Now)
		if in.Echo {
			return s.echo(tx, in, sentAt, &res)
		}
		atts := in.Attachments
		for _, key := range in.Uploaded {
			a, ok, err := tx.UseVisitorFile(in.SenderID, key)
			if err != nil {
				return err
			}
			if !ok {
				return wire.Invalid("attachments", "unknown file; upload it first")
			}
			atts = append(atts, a)
		}
		contactID, err := tx.Contact(in.ChannelID, in.SenderID, in.Name, in.Phone, in.Email)
		if err != nil {
			return err
		}
		convID, open, err := tx.OpenConversationOf(contactID)
		if err != nil {
			return err
		}
		if !open {
			if convID, err = tx.NewConversation(contactID, in.ChannelID); err != nil {
				return err
			}
			if _, err := tx.AddTimeline(convID, "created", 0, nil); err != nil {
				return err
			}
		}
		if open && in.Choice != "" {
			in.Body = s.choiceTitle(tx, convID, in.Choice, in.Body)
		}
		msg, dup, err := tx.InsertMessage(store.NewMessage{ConversationID: convID, ChannelID: in.ChannelID, Direction: "in",
			Body: in.Body, Attachments: atts, Status: wire.StatusReceived, ExternalID: in.ExternalID, SentAt: sentAt})
		if err != nil {
			return err
		}
		res = InboundResult{ConversationID: msg.ConversationID, MessageID: msg.ID, Duplicate: dup}
		if dup {
			return nil
		}
		if in.CallbackID != "" {
			if err := tx.EnqueueCallbackAnswer(in.ChannelID, in.CallbackID); err != nil {
				return err
			}
		}
		// Files come as the provider's references: downloaded after the webhook's 200. Files
		// uploaded to Santral are already stored: linked to the message.
		for i, a := range atts {
			if i >= len(in.Attachments) {
				if err := tx.LinkMedia(msg.ID, i, in.ChannelID, in.Uploaded[i-len(in.Attachments)]); err != nil {
					return err
				}
			} else if a.Ref != "" && a.URL == "" && a.Kind != "location" {
				if err := tx.EnqueueMedia(msg.ID, i, in.ChannelID); err != nil {
					return err
				}
			}
		}
		if err := tx.TouchInbound(convID, sentAt, preview(in.Body, atts)); err != nil {
			return err
		}
		// A new conversation on a channel with a default flow goes through it before the queue.
		inFlow := false
		if !open {
			if inFlow, err = s.enterDefaultFlow(tx, convID, in.ChannelID); err != nil {
				return err
			}
		}
		c, err := s.summaryOn(tx, convID, ch)
		if err != nil {
			return err
		}
		s.observe(tx, func(o Observer) { o.Received(c.Channel.Type) })
		if !open && !inFlow {
			if err := tx.Append(wire.EventConversationQueued, convID, store.Readers, wire.ConversationData{Conversation: c}); err != nil {
				return err
			}
		} else if err := tx.Append(wire.EventConversationUpdated, convID, store.Readers, wire.ConversationData{Conversation: c}); err != nil {
			return err
		}
		if err := tx.Append(wire.EventMessageCreated, convID, store.Readers, wire.MessageData{Message: msg}); err != nil {
			return err
		}
		if c.State == wire.InFlow {
			return s.flowInbound(tx, convID, msg, in.Choice)
		}
		return nil
	})
	return res, err
}

// requireOnline refuses an action by a user who is not online, saying why.
func requireOnline(u store.UserRow) error {
	switch u.Presence {
	case wire.Online:
		return nil
	case wire.Break:
		return wire.Errorf(wire.CodeAgentOnBreak, "you are on break: go online first")
	default:
		return wire.Errorf(wire.CodeNotOnline, "you are offline: go online first")
	}
}

// Pull takes the oldest queued conversation for the agent (PRODUCT.md rule 4). The
// auto-assignment limit does not apply; the hard cap, when set, does.
func (s *Service) Pull(ctx context.Context, agentID int64) (wire.Conversation, error) {
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		// The agent's presence and active count decide: locked, then read.
		if err := tx.LockUser(agentID); err != nil {
			return err
		}
		u, err := tx.User(agentID)
		if err != nil {
			return err
		}
		if err := requireOnline(u); err != nil {
			return err
		}
		set, err := tx.Settings()
		if err != nil {
			return err
		}
		if limit := u.EffectiveHardCap(set); limit > 0 && u.Active >= limit {
			return wire.Errorf(wire.CodeHardCapReached, "you already hold %d conversations, the most allowed", u.Active)
		}
		convID, ok, err := tx.LockOldestQueued()
		if err != nil {
			return err
		}
		if !ok {
			return wire.Errorf(wire.CodeQueueEmpty, "the queue is empty")
		}
		if won, err := tx.AssignQueued(convID, agentID); err != nil || !won {
			if err == nil {
				err = wire.Errorf(wire.CodeQueueEmpty, "the queue is empty")
			}
			return err
		}
		out, err = s.assignedSummary(tx, convID, agentID, "pull", agentID)
		return err
	})
	return out, err
}

// holderOf loads a conversation and checks that the agent holds it.
func holderOf(tx *store.Tx, convID, agentID int64) (wire.Conversation, error) {
	c, err := tx.Conversation(convID)
	if err != nil {
		return c, err
	}
	switch {
	case c.State == wire.Ended:
		return c, wire.Errorf(wire.CodeConversationEnded, "this conversation has ended")
	case c.State == wire.Queued:
		return c, wire.Errorf(wire.CodeNotAssigned, "this conversation is waiting in the queue")
	case c.State == wire.InFlow:
		return c, wire.Errorf(wire.CodeConversationInFlow, "a chatbot flow is talking to this customer")
	case c.AgentID == nil || *c.AgentID != agentID:
		return c, wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
	}
	return c, nil
}

// Reply stores an agent's message (PRODUCT.md rule 5): only the holder, only while online. The
// same idempotency key twice stores one message and returns it.
func (s *Service) Reply(ctx context.Context, agentID, convID int64, r wire.SendMessageRequest) (wire.Message, error) {
	if err := checkBody(r.Body, r.Attachments); err != nil {
		return wire.Message{}, err
	}
	if len(r.IdempotencyKey) > 100 {
		return wire.Message{}, wire.Invalid("idempotency_key", "the idempotency key can be at most 100 characters")
	}
	var out wire.Message
	err := s.do(ctx, func(tx *store.Tx) error {
		c, replay, err := sendable(tx, agentID, convID, r.IdempotencyKey)
		if err != nil || replay != nil {
			if replay != nil {
				out = *replay
			}
			return err
		}
		ch, err := tx.ChannelSettings(c.Channel.ID)
		if err != nil {
			return err
		}
		if !ch.Enabled {
			return wire.Errorf(wire.CodeChannelDisabled, "the %s channel is switched off", ch.Name)
		}
		atts, err := ownUploads(tx, agentID, convID, r.Attachments)
		if err != nil {
			return err
		}
		// The sandbox hands the message to the customer as it is stored; real channels get a
		// send job in this same transaction, and the window is checked before any API call.
		status := wire.StatusSent
		if !wire.DeliveredDirectly(ch.Type) {
			if w := WindowAt(ch, c.LastInboundAt, tx.Now); !w.Open {
				return &wire.Error{Code: wire.CodeWindowClosed, ClosedAt: w.ClosesAt,
					Message: "the messaging window closed 24 hours after the customer's last message: only templates can be sent"}
			}
			if err := checkChannelLimits(ch.Type, r.Body, atts); err != nil {
				return err
			}
			status = wire.StatusQueued
		}
		msg, dup, err := tx.InsertMessage(store.NewMessage{ConversationID: convID, ChannelID: c.Channel.ID, Direction: "out",
			AuthorID: agentID, Body: r.Body, Attachments: atts, Status: status, IdempotencyKey: r.IdempotencyKey})
		if err != nil {
			return err
		}
		out = msg
		if dup {
			return nil
		}
		if status == wire.StatusQueued {
			if err := tx.EnqueueSend(msg.ID, ch.ID); err != nil {
				return err
			}
		}
		if err := tx.TouchConversation(convID, false, preview(r.Body, atts), true); err != nil {
			return err
		}
		if err := tx.Append(wire.EventMessageCreated, convID, store.Readers, wire.MessageData{Message: msg}); err != nil {
			return err
		}
		return s.conversationChanged(tx, convID)
	})
	return out, err
}

// End ends a conversation with a reason from the admin's list (PRODUCT.md rule 9). The holder
// ends it in any presence (wrapping up before a break is normal); staff may end any.
func (s *Service) End(ctx context.Context, actor wire.User, convID, reasonID int64) (wire.Conversation, error) {
	if reasonID == 0 {
		return wire.Conversation{}, wire.Errorf(wire.CodeEndReasonRequired, "choose an end reason")
	}
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		r, err := tx.EndReason(reasonID)
		if wire.CodeOf(err) == wire.CodeNotFound || (err == nil && !r.Active) {
			return wire.Errorf(wire.CodeEndReasonUnknown, "end reason %d is not in the list", reasonID)
		}
		if err != nil {
			return err
		}
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		if actor.Role.Staff() && c.State == wire.InFlow {
			return s.endInFlow(tx, actor.ID, convID, r, &out)
		}
		holder := actor.ID
		if actor.Role.Staff() && c.State == wire.Assigned && c.AgentID != nil {
			holder = *c.AgentID
		}
		if _, err := holderOf(tx, convID, holder); err != nil {
			return err
		}
		if offerID, pending, err := tx.PendingOfferOf(convID); err != nil {
			return err
		} else if pending {
			if err := s.failOffer(tx, offerID, wire.OfferWithdrawn, "conversation_ended", actor.ID, false); err != nil {
				return err
			}
		}
		if ok, err := tx.EndConversation(convID, holder, actor.ID, reasonID); err != nil || !ok {
			if err == nil {
				err = wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
			}
			return err
		}
		if _, err := tx.AddTimeline(convID, "ended", actor.ID, map[string]any{"end_reason_id": reasonID, "end_reason": r.Label}); err != nil {
			return err
		}
		out, err = s.summary(tx, convID)
		if err != nil {
			return err
		}
		return tx.Append(wire.EventConversationEnded, convID, store.Readers, wire.ConversationData{Conversation: out})
	})
	return out, err
}

// TakeUp starts an ended conversation again for an online agent (PRODUCT.md rule 10).
func (s *Service) TakeUp(ctx context.Context, agentID, convID int64) (wire.Conversation, error) {
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		// Lock order: the agent, then the conversation (store/lock.go).
		if err := tx.LockUser(agentID); err != nil {
			return err
		}
		u, err := tx.User(agentID)
		if err != nil {
			return err
		}
		if err := requireOnline(u); err != nil {
			return err
		}
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		if c.State != wire.Ended {
			return wire.Errorf(wire.CodeConversationNotEnded, "only an ended conversation can be taken up again")
		}
		ok, err := tx.TakeUp(convID, agentID)
		if err != nil {
			return err
		}
		if !ok {
			return wire.Errorf(wire.CodeConversationNotEnded, "only an ended conversation can be taken up again")
		}
		if _, err := tx.AddTimeline(convID, "taken_up", agentID, nil); err != nil {
			return err
		}
		if err := s.assigned(tx, convID, agentID, "take_up", agentID); err != nil {
			return err
		}
		out, err = s.summary(tx, convID)
		return err
	})
	return out, err
}

// ReturnToQueue is a supervisor's action: the conversation leaves its holder for the head of
// the queue.
func (s *Service) ReturnToQueue(ctx context.Context, actorID, convID int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := tx.Conversation(convID)
		if err != nil {
			return err
		}
		if c.State == wire.InFlow {
			return s.queueFromFlow(tx, actorID, convID)
		}
		if c.State != wire.Assigned {
			return wire.Errorf(wire.CodeNotAssigned, "only a held conversation can be returned to the queue")
		}
		if offerID, pending, err := tx.PendingOfferOf(convID); err != nil {
			return err
		} else if pending {
			if err := s.failOffer(tx, offerID, wire.OfferWithdrawn, "returned_to_queue", actorID, false); err != nil {
				return err
			}
		}
		return s.requeue(tx, convID, true, "supervisor", actorID)
	})
}

// requeue returns a held conversation to the queue and says so.
func (s *Service) requeue(tx *store.Tx, convID int64, atHead bool, why string, actorID int64) error {
	ok, err := tx.Requeue(convID, atHead, why == "supervisor")
	if err != nil || !ok {
		return err
	}
	if _, err := tx.AddTimeline(convID, "requeued", actorID, map[string]any{"reason": why, "head": atHead}); err != nil {
		return err
	}
	c, err := s.summary(tx, convID)
	if err != nil {
		return err
	}
	return tx.Append(wire.EventConversationQueued, convID, store.Readers, wire.ConversationData{Conversation: c})
}

// trimNote normalises a transfer note.
func trimNote(n string) string { return strings.TrimSpace(n) }

// ApplyStatus records a provider's delivery status for one of our messages: forward only (they
// arrive out of order), a failure with its reason. Unknown ids are ignored (not ours, or a
// status for a message sent before Santral).
func (s *Service) ApplyStatus(ctx context.Context, channelID int64, externalID string, st wire.MessageStatus, reason string) error {
	return s.do(ctx, func(tx *store.Tx) error {
		m, ok, err := tx.MessageByExternal(channelID, externalID)
		if err != nil || !ok {
			return err
		}
		return s.setStatus(tx, m, wire.MessageStatusData{Status: st, StatusReason: reason}, "")
	})
}

// setStatus moves a message's status and tells whoever sees the conversation.
func (s *Service) setStatus(tx *store.Tx, m wire.Message, st wire.MessageStatusData, externalID string) error {
	changed, err := tx.SetMessageStatus(m.ID, st.Status, st.StatusReason, externalID, st.DeliveryUnknown)
	if err != nil || !changed {
		return err
	}
	st.MessageID = m.ID
	return tx.Append(wire.EventMessageStatus, m.ConversationID, store.Readers, st)
}

// ErrLeaseLost is an outcome from a worker whose send job is no longer its claim's: its lease
// ran out and the job was failed as abandoned. Nothing is recorded, and the message keeps the
// status the agent already sees.
var ErrLeaseLost = errors.New("routing: the send job's lease was lost; outcome not recorded")

// SendSucceeded records that the provider accepted a send job's message under externalID.
// Like every send outcome it counts only under the job's claim (store.SendJob.Token).
func (s *Service) SendSucceeded(ctx context.Context, job store.SendJob, externalID string) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if ok, err := tx.FinishSend(job, false, ""); err != nil || !ok {
			return leaseLost(ok, err)
		}
		m, err := tx.Message(job.MessageID)
		if err != nil {
			return err
		}
		return s.setStatus(tx, m, wire.MessageStatusData{Status: wire.StatusSent}, externalID)
	})
}

// SendRetry puts a send job back for another try at retryAt: the provider said it may succeed
// later, or the request provably never reached it. The message stays queued.
func (s *Service) SendRetry(ctx context.Context, job store.SendJob, reason string, retryAt int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		ok, err := tx.RetrySend(job, retryAt, reason)
		return leaseLost(ok, err)
	})
}

// SendFailed fails a send job for good with the reason the agent reads; deliveryUnknown marks a
// send the provider may have received all the same, which the agent checks before sending again.
func (s *Service) SendFailed(ctx context.Context, job store.SendJob, reason string, deliveryUnknown bool) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if ok, err := tx.FinishSend(job, true, reason); err != nil || !ok {
			return leaseLost(ok, err)
		}
		m, err := tx.Message(job.MessageID)
		if err != nil {
			return err
		}
		return s.setStatus(tx, m, wire.MessageStatusData{Status: wire.StatusFailed, StatusReason: reason, DeliveryUnknown: deliveryUnknown}, "")
	})
}

// FailAbandonedSends fails, as delivery unknown, every send whose worker stopped mid-way (its
// lease ran out), in one transaction; a worker that records its outcome first keeps the job. It
// returns the jobs it failed.
func (s *Service) FailAbandonedSends(ctx context.Context, reason string) ([]store.SendJob, error) {
	var failed []store.SendJob
	err := s.do(ctx, func(tx *store.Tx) error {
		failed = nil
		jobs, err := tx.AbandonedSends()
		if err != nil {
			return err
		}
		for _, j := range jobs {
			ok, err := tx.AbandonSend(j, reason)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			m, err := tx.Message(j.MessageID)
			if err != nil {
				return err
			}
			if err := s.setStatus(tx, m, wire.MessageStatusData{Status: wire.StatusFailed, StatusReason: reason, DeliveryUnknown: true}, ""); err != nil {
				return err
			}
			failed = append(failed, j)
		}
		return nil
	})
	return failed, err
}

func leaseLost(ok bool, err error) error {
	if err == nil && !ok {
		return ErrLeaseLost
	}
	return err
}

// echo records our own message that came back from the provider, in the customer's open (or
// latest) conversation. An echo of a message Santral sent is already stored under its id.
func (s *Service) echo(tx *store.Tx, in Inbound, sentAt int64, res *InboundResult) error {
	contactID, err := tx.Contact(in.ChannelID, in.SenderID, "", "", "")
	if err != nil {
		return err
	}
	convID, ok, err := tx.LatestConversationOf(contactID)
	if err != nil || !ok {
		return err // nothing to attach it to: no conversation with this customer yet
	}
	msg, dup, err := tx.InsertMessage(store.NewMessage{ConversationID: convID, ChannelID: in.ChannelID, Direction: "out",
		Body: in.Body, Attachments: in.Attachments, Status: wire.StatusSent, ExternalID: in.ExternalID, SentAt: sentAt})
	if err != nil {
		return err
	}
	*res = InboundResult{ConversationID: convID, MessageID: msg.ID, Duplicate: dup}
	if dup {
		return nil
	}
	return tx.Append(wire.EventMessageCreated, convID, store.Readers, wire.MessageData{Message: msg})
}

// MediaStored records a downloaded attachment (key "" with reason: the download failed; retryAt
// > 0 tries again then) and tells whoever sees the conversation.
func (s *Service) MediaStored(ctx context.Context, job store.MediaJob, key string, size int64, mime, reason string, retryAt int64) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if err := tx.FinishMedia(job.ID, key, reason, retryAt); err != nil || key == "" {
			return err
		}
		m, err := tx.Message(job.MessageID)
		if err != nil {
			return err
		}
		a := m.Attachments[job.Index]
		a.URL, a.Size = "/api/v1/media/"+key, size
		if mime != "" {
			a.MimeType = mime
		}
		if err := tx.SetAttachment(m.ID, job.Index, a); err != nil {
			return err
		}
		m.Attachments[job.Index] = a
		return tx.Append(wire.EventMessageUpdated, m.ConversationID, store.Readers, wire.MessageData{Message: m})
	})
}

// sendable is what every agent send checks first. A retried send whose first try was stored
// answers with that message (replay), whatever happened since — a transfer, a break: the
// customer has it already. Otherwise only the holder may send, while online.
func sendable(tx *store.Tx, agentID, convID int64, key string) (wire.Conversation, *wire.Message, error) {
	if key != "" {
		m, dup, err := tx.MessageByKey(agentID, key)
		if err != nil {
			return wire.Conversation{}, nil, err
		}
		if dup && m.ConversationID == convID {
			return wire.Conversation{}, &m, nil
		}
		if dup {
			// Answering with the other conversation's message would tell the sender it was
			// stored here; a key names one send, in one conversation.
			return wire.Conversation{}, nil, &wire.Error{Code: wire.CodeIdempotencyKeyReused, Field: "idempotency_key",
				Message: "this idempotency key was already used for a message in another conversation: use a new key for a new message"}
		}
	}
	// The holder is checked under the conversation's lock: a transfer or a return to the queue
	// on another node is either before this send or after it.
	if err := tx.LockConversation(convID); err != nil {
		return wire.Conversation{}, nil, err
	}
	c, err := holderOf(tx, convID, agentID)
	if err != nil {
		return c, nil, err
	}
	u, err := tx.User(agentID)
	if err != nil {
		return c, nil, err
	}
	return c, nil, requireOnline(u)
}

// CheckSendable tells whether the agent may send in the conversation now (holder, online),
// before they upload a file for it.
func (s *Service) CheckSendable(ctx context.Context, agentID, convID int64) (wire.Conversation, error) {
	var c wire.Conversation
	_, err := s.store.Tx(ctx, func(tx *store.Tx) error {
		var err error
		c, _, err = sendable(tx, agentID, convID, "")
		return err
	})
	return c, err
}
