package routing

// Chatbot flows (PRODUCT.md rule 7) as rule decisions. A conversation enters a flow when its
// holder hands it over (it leaves the agent at once: capacity freed, the next queued
// conversation assigned in the same commit) or when it is new on a channel with a default flow
// (before it enters the queue). While the flow talks the conversation is in state 'flow': not
// queued, held by no one. The flow leaves it in the queue (handover) or ends it.
//
// Every step is taken in a transaction that also records it: the customer's answer in the
// transaction that stores the answer (a redelivered answer is a duplicate there and advances
// nothing), a timeout in the sweep's, an HTTP step's outcome after its call. Each is a
// conditional update of the run (store.UpdateRun) under the conversation's lock, so exactly one
// decision wins whichever node makes it.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"santral/backend/flows"
	"santral/backend/store"
	"santral/backend/wire"
)

// flowDefs caches parsed flow versions: a version never changes once stored.
type flowDefs struct {
	mu sync.Mutex
	m  map[[2]int64]*wire.FlowDefinition
}

func (d *flowDefs) get(tx *store.Tx, flowID int64, version int) (*wire.FlowDefinition, error) {
	key := [2]int64{flowID, int64(version)}
	d.mu.Lock()
	def, ok := d.m[key]
	d.mu.Unlock()
	if ok {
		return def, nil
	}
	raw, err := tx.FlowVersion(flowID, version)
	if err != nil {
		return nil, err
	}
	def = &wire.FlowDefinition{}
	if err := json.Unmarshal(raw, def); err != nil {
		return nil, fmt.Errorf("routing: flow %d version %d is not readable: %w", flowID, version, err)
	}
	d.mu.Lock()
	if d.m == nil || len(d.m) > 1000 {
		d.m = map[[2]int64]*wire.FlowDefinition{}
	}
	d.m[key] = def
	d.mu.Unlock()
	return def, nil
}

// publishedFlow reads the version of a flow new conversations start on.
func (s *Service) publishedFlow(tx *store.Tx, flowID int64) (wire.Flow, *wire.FlowDefinition, error) {
	f, err := tx.Flow(flowID)
	if err != nil {
		return f, nil, err
	}
	if f.Archived {
		return f, nil, wire.Errorf(wire.CodeNotFound, "flow not found")
	}
	if f.PublishedVersion == 0 {
		return f, nil, wire.Errorf(wire.CodeFlowNotPublished, "the flow %q is not published yet", f.Name)
	}
	def, err := s.defs.get(tx, f.ID, f.PublishedVersion)
	return f, def, err
}

// HandToFlow is the holder handing a conversation to a flow (the composer's flows button). The
// holder may do it in any presence, as with ending: it lets the conversation go. The flow must
// be published and meant for the conversation's channel, the channel on, and its window open
// (the flow's messages are free-form). A pending transfer offer is withdrawn.
func (s *Service) HandToFlow(ctx context.Context, agentID, convID, flowID int64) (wire.Conversation, error) {
	var out wire.Conversation
	err := s.do(ctx, func(tx *store.Tx) error {
		if err := tx.LockConversation(convID); err != nil {
			return err
		}
		c, err := holderOf(tx, convID, agentID)
		if err != nil {
			return err
		}
		f, def, err := s.publishedFlow(tx, flowID)
		if err != nil {
			return err
		}
		if !flows.ForChannel(def, c.Channel.Type) {
			return wire.Errorf(wire.CodeFlowNotForChannel, "the flow %q is not meant for %s conversations", f.Name, c.Channel.Type)
		}
		ch, err := tx.ChannelSettings(c.Channel.ID)
		if err != nil {
			return err
		}
		if !ch.Enabled {
			return wire.Errorf(wire.CodeChannelDisabled, "the %s channel is switched off", ch.Name)
		}
		if w := WindowAt(ch, c.LastInboundAt, tx.Now); !w.Open || w.HumanAgent {
			return &wire.Error{Code: wire.CodeWindowClosed, ClosedAt: w.ClosesAt,
				Message: "the messaging window is closed: a flow cannot write to the customer until they write again"}
		}
		if offerID, pending, err := tx.PendingOfferOf(convID); err != nil {
			return err
		} else if pending {
			if err := s.failOffer(tx, offerID, wire.OfferWithdrawn, "handed_to_flow", agentID, false); err != nil {
				return err
			}
		}
		if ok, err := tx.HandToFlow(convID, agentID, flowID); err != nil || !ok {
			if err == nil {
				err = wire.Errorf(wire.CodeNotHolder, "this conversation is held by another agent")
			}
			return err
		}
		run, err := tx.StartRun(convID, f.ID, f.PublishedVersion, agentID)
		if err != nil {
			return err
		}
		if _, err := tx.AddTimeline(convID, "flow_started", agentID, map[string]any{"flow_id": f.ID, "flow": f.Name, "version": f.PublishedVersion}); err != nil {
			return err
		}
		if err := s.conversationChanged(tx, convID); err != nil {
			return err
		}
		if _, err := s.advance(tx, run, def, flows.Input{Kind: flows.Start}, store.OnAnswer); err != nil {
			return err
		}
		out, err = s.summary(tx, convID)
		return err
	})
	return out, err
}

// enterDefaultFlow sends a new conversation through its channel's default flow, if it has a
// published one meant for the channel; the flow starts once the customer's first message is
// stored (flowInbound). It reports whether the conversation is in the flow.
func (s *Service) enterDefaultFlow(tx *store.Tx, convID, channelID int64) (bool, error) {
	ch, err := tx.ChannelSettings(channelID)
	if err != nil || ch.Config.DefaultFlowID == 0 {
		return false, err
	}
	f, def, err := s.publishedFlow(tx, ch.Config.DefaultFlowID)
	if wire.CodeOf(err) != "" {
		// Archived or never published since it was chosen: the conversation simply queues.
		s.log.Warn("the channel's default flow cannot take conversations", "channel_id", channelID, "flow_id", ch.Config.DefaultFlowID, "err", err)
		return false, nil
	}
	if err != nil || !flows.ForChannel(def, ch.Type) {
		return false, err
	}
	if ok, err := tx.EnterFlow(convID, f.ID); err != nil || !ok {
		return false, err
	}
	if _, err := tx.StartRun(convID, f.ID, f.PublishedVersion, 0); err != nil {
		return false, err
	}
	_, err = tx.AddTimeline(convID, "flow_started", 0, map[string]any{"flow_id": f.ID, "flow": f.Name, "version": f.PublishedVersion, "default": true})
	return err == nil, err
}

// choiceTitle is what a customer's press of a choice reads as in the conversation: the
// choice's title (Telegram's press carries only its id), or fallback.
func (s *Service) choiceTitle(tx *store.Tx, convID int64, choice, fallback string) string {
	run, ok, err := tx.ActiveRun(convID)
	if err != nil || !ok {
		return fallback
	}
	def, err := s.defs.get(tx, run.FlowID, run.Version)
	if err != nil {
		return fallback
	}
	if title, ok := flows.ChoiceTitle(def, choice); ok {
		return title
	}
	return fallback
}

// flowInbound moves the conversation's flow on with the customer's message, just stored in
// the same transaction: the flow's start for a new conversation, otherwise an answer.
func (s *Service) flowInbound(tx *store.Tx, convID int64, msg wire.Message, choice string) error {
	run, ok, err := tx.ActiveRun(convID)
	if err != nil || !ok {
		return err
	}
	def, err := s.defs.get(tx, run.FlowID, run.Version)
	if err != nil {
		return err
	}
	in := flows.Input{Kind: flows.Answer, Text: msg.Body, Choice: choice}
	if run.Step == "" {
		in = flows.Input{Kind: flows.Start}
	}
	_, err = s.advance(tx, run, def, in, store.OnAnswer)
	return err
}

// flowContext is what the flow's built-in variables read.
func (s *Service) flowContext(tx *store.Tx, c wire.Conversation, run store.FlowRun) (flows.Context, error) {
	cx := flows.Context{Customer: c.Contact, ChannelName: c.Channel.Name, ChannelType: c.Channel.Type, ConversationID: c.ID,
		QuickMessage: func(id int64) (string, bool) {
			q, err := tx.QuickMessage(id)
			if err != nil || q.OwnerID != nil {
				return "", false
			}
			return q.Body, true
		}}
	if run.StartedBy != 0 {
		u, err := tx.User(run.StartedBy)
		if err != nil {
			return cx, err
		}
		cx.AgentName = u.DisplayName
	}
	return cx, nil
}

// advance applies one input to a run and records the outcome: the run's new step (if it is still
// at the seq it was read at, and cond holds — otherwise another decision won and nothing is
// written), the messages the flow sends, and its exit. It reports whether it wrote anything.
func (s *Service) advance(tx *store.Tx, run store.FlowRun, def *wire.FlowDefinition, in flows.Input, cond store.RunCondition) (bool, error) {
	c, err := tx.Conversation(run.ConversationID)
	if err != nil {
		return false, err
	}
	if c.State != wire.InFlow {
		return false, nil
	}
	cx, err := s.flowContext(tx, c, run)
	if err != nil {
		return false, err
	}
	res := flows.Advance(def, flows.Run{Step: run.Step, Attributes: run.Attributes, Tries: run.Tries}, in, cx)
	if res.Ignored {
		return false, nil
	}
	seq := run.Seq
	run.Step, run.Attributes, run.Tries, run.Deadline = res.Run.Step, res.Run.Attributes, res.Run.Tries, 0
	switch {
	case res.Exit != nil:
		run.State, run.Outcome = store.RunDone, res.Exit.Kind
		if res.Exit.Tag != "" {
			run.Attributes["tag"] = res.Exit.Tag
		}
	case res.Wait.HTTP != nil:
		run.State, run.Deadline = store.RunHTTP, tx.Now // due at once: a worker claims it after commit
	default:
		run.State = store.RunWaiting
		if res.Wait.Timeout > 0 {
			run.Deadline = tx.Now + res.Wait.Timeout.Milliseconds()
		}
	}
	ok, err := tx.UpdateRun(run, seq, cond)
	if err != nil || !ok {
		return false, err
	}
	for _, m := range res.Sends {
		if err := s.flowSend(tx, c, run.FlowID, m); err != nil {
			return false, err
		}
	}
	if res.Exit != nil {
		return true, s.flowExit(tx, c, run, res.Exit)
	}
	if len(res.Sends) > 0 {
		return true, s.conversationChanged(tx, c.ID)
	}
	return true, nil
}

// flowSend stores a message of the flow and, on a real channel, its send job, in the same
// transaction. A flow writes only within the channel's standard window (never under
// Messenger's HUMAN_AGENT tag, which is for people); outside it, or on a channel switched off,
// the message is kept as failed with the reason, and the flow goes on.
func (s *Service) flowSend(tx *store.Tx, c wire.Conversation, flowID int64, m flows.Send) error {
	ch, err := tx.ChannelSettings(c.Channel.ID)
	if err != nil {
		return err
	}
	status, reason := wire.StatusSent, ""
	if !wire.DeliveredDirectly(ch.Type) {
		status = wire.StatusQueued
		if w := WindowAt(ch, c.LastInboundAt, tx.Now); !w.Open || w.HumanAgent {
			status, reason = wire.StatusFailed, "not sent: the messaging window is closed (a flow sends no templates)"
		}
	}
	if !ch.Enabled {
		status, reason = wire.StatusFailed, "not sent: the channel is switched off"
	}
	// Where a channel sends a file without text, the text goes first, on its own.
	parts := []flows.Send{m}
	if len(m.Attachments) > 0 && m.Body != "" {
		if l, ok := limits[ch.Type]; ok && !l.textWithFile {
			parts = []flows.Send{{Body: m.Body}, {Attachments: m.Attachments}}
		}
	}
	for _, p := range parts {
		stored := status
		if reason != "" {
			stored = wire.StatusQueued // then failed, with the reason
		}
		msg, _, err := tx.InsertMessage(store.NewMessage{ConversationID: c.ID, ChannelID: ch.ID, Direction: "out", Body: p.Body,
			Attachments: p.Attachments, Status: stored, FlowID: flowID, Interactive: p.Interactive})
		if err != nil {
			return err
		}
		if reason != "" {
			if _, err := tx.SetMessageStatus(msg.ID, wire.StatusFailed, reason, "", false); err != nil {
				return err
			}
			msg.Status, msg.StatusReason = wire.StatusFailed, reason
		}
		if status == wire.StatusQueued {
			if err := tx.EnqueueSend(msg.ID, ch.ID); err != nil {
				return err
			}
		}
		if err := tx.TouchConversation(c.ID, false, preview(p.Body, p.Attachments), false); err != nil {
			return err
		}
		if err := tx.Append(wire.EventMessageCreated, c.ID, store.Readers, wire.MessageData{Message: msg}); err != nil {
			return err
		}
	}
	return nil
}

// flowExit leaves the conversation where the flow's exit says: in the queue (at its head for
// priority "high"), from where automatic assignment gives it out in the same commit, or ended
// with the exit's end reason.
func (s *Service) flowExit(tx *store.Tx, c wire.Conversation, run store.FlowRun, x *flows.Exit) error {
	switch x.Kind {
	case flows.ExitEnd:
		r, err := tx.EndReason(x.EndReasonID)
		if err != nil {
			return err
		}
		if ok, err := tx.EndFromFlow(c.ID, x.EndReasonID, 0); err != nil || !ok {
			return flowMoved(err)
		}
		if _, err := tx.AddTimeline(c.ID, "flow_ended", 0, map[string]any{"flow_id": run.FlowID, "end_reason_id": x.EndReasonID,
			"end_reason": r.Label, "step": x.Why}); err != nil {
			return err
		}
		out, err := s.summary(tx, c.ID)
		if err != nil {
			return err
		}
		return tx.Append(wire.EventConversationEnded, c.ID, store.Readers, wire.ConversationData{Conversation: out})
	default:
		if ok, err := tx.QueueFromFlow(c.ID, x.Priority == "high"); err != nil || !ok {
			return flowMoved(err)
		}
		data := map[string]any{"flow_id": run.FlowID, "step": x.Why}
		if x.Tag != "" {
			data["tag"] = x.Tag
		}
		if x.Priority != "" {
			data["priority"] = x.Priority
		}
		if _, err := tx.AddTimeline(c.ID, "flow_handover", 0, data); err != nil {
			return err
		}
		out, err := s.summary(tx, c.ID)
		if err != nil {
			return err
		}
		return tx.Append(wire.EventConversationQueued, c.ID, store.Readers, wire.ConversationData{Conversation: out})
	}
}

func flowMoved(err error) error {
	if err != nil {
		return err
	}
	return errors.New("routing: the conversation left its flow under the conversation's lock")
}

// stopFlow ends the conversation's run (a supervisor takes the conversation out of the flow).
func (s *Service) stopFlow(tx *store.Tx, convID, actorID int64) error {
	run, ok, err := tx.ActiveRun(convID)
	if err != nil || !ok {
		return err
	}
	seq := run.Seq
	run.State, run.Outcome, run.Deadline = store.RunDone, "stopped", 0
	if _, err := tx.UpdateRun(run, seq, store.OnAnswer); err != nil {
		return err
	}
	_, err = tx.AddTimeline(convID, "flow_stopped", actorID, map[string]any{"flow_id": run.FlowID, "step": run.Step})
	return err
}

// FireFlowTimeouts moves on the runs whose wait timed out ("no answer in 10 minutes"), each in
// its own decision; a run that moved meanwhile (the customer answered, another node fired it)
// is left alone. It reports how many fired.
func (s *Service) FireFlowTimeouts(ctx context.Context, limit int) (int, error) {
	due, err := s.store.DueFlowRuns(ctx, store.RunWaiting, store.Now(), limit)
	if err != nil || len(due) == 0 {
		return 0, err
	}
	fired := 0
	for _, d := range due {
		var wrote bool
		err := s.do(ctx, func(tx *store.Tx) error {
			wrote = false
			if err := tx.LockConversation(d.ConversationID); err != nil {
				return err
			}
			run, err := tx.FlowRunByID(d.ID)
			if err != nil || run.Seq != d.Seq || run.State != store.RunWaiting {
				return err
			}
			def, err := s.defs.get(tx, run.FlowID, run.Version)
			if err != nil {
				return err
			}
			wrote, err = s.advance(tx, run, def, flows.Input{Kind: flows.Timeout}, store.OnTimeout)
			return err
		})
		if err != nil {
			return fired, err
		}
		if wrote {
			fired++
		}
	}
	return fired, nil
}

// HTTPClaim is an HTTP step claimed by this node: its answer is recorded only under it.
type HTTPClaim struct {
	RunID, ConversationID, Seq, Lease int64
	Request                           *flows.HTTPRequest
}

// ClaimHTTPSteps claims up to limit due HTTP steps for this node, each for its timeout plus
// grace; a node that stops mid-call leaves its claim to run out, and another node calls again
// (an HTTP step may be called more than once: lookups, not payments).
func (s *Service) ClaimHTTPSteps(ctx context.Context, limit int, grace time.Duration) ([]HTTPClaim, error) {
	due, err := s.store.DueFlowRuns(ctx, store.RunHTTP, store.Now(), limit)
	if err != nil || len(due) == 0 {
		return nil, err
	}
	var out []HTTPClaim
	for _, d := range due {
		var claim *HTTPClaim
		_, err := s.store.Tx(ctx, func(tx *store.Tx) error {
			claim = nil
			run, err := tx.FlowRunByID(d.ID)
			if err != nil || run.Seq != d.Seq || run.State != store.RunHTTP {
				return err
			}
			def, err := s.defs.get(tx, run.FlowID, run.Version)
			if err != nil {
				return err
			}
			c, err := tx.Conversation(run.ConversationID)
			if err != nil {
				return err
			}
			cx, err := s.flowContext(tx, c, run)
			if err != nil {
				return err
			}
			req, ok := flows.RequestAt(def, run.Step, run.Attributes, cx)
			if !ok {
				return fmt.Errorf("routing: flow run %d waits for an HTTP step at %q, which is not one", run.ID, run.Step)
			}
			lease, ok, err := tx.ClaimHTTPRun(run.ID, run.Seq, tx.Now+(req.Timeout+grace).Milliseconds())
			if err != nil || !ok {
				return err
			}
			claim = &HTTPClaim{RunID: run.ID, ConversationID: run.ConversationID, Seq: run.Seq, Lease: lease, Request: req}
			return nil
		})
		if err != nil {
			return out, err
		}
		if claim != nil {
			out = append(out, *claim)
		}
	}
	return out, nil
}

// RecordHTTPStep moves the run on with its HTTP step's outcome, if the claim still holds.
func (s *Service) RecordHTTPStep(ctx context.Context, claim HTTPClaim, res flows.HTTPResult) error {
	return s.do(ctx, func(tx *store.Tx) error {
		if err := tx.LockConversation(claim.ConversationID); err != nil {
			return err
		}
		run, err := tx.FlowRunByID(claim.RunID)
		if err != nil || run.Seq != claim.Seq || run.Lease != claim.Lease || run.State != store.RunHTTP {
			return err // the claim ran out and another node took the step
		}
		def, err := s.defs.get(tx, run.FlowID, run.Version)
		if err != nil {
			return err
		}
		_, err = s.advance(tx, run, def, flows.Input{Kind: flows.HTTPDone, HTTP: &res}, store.OnHTTP)
		return err
	})
}

// ConversationAttributes is what flows collected in a conversation, for one who may read it.
func (s *Service) ConversationAttributes(ctx context.Context, convID int64) (wire.ConversationAttributes, error) {
	return s.store.ConversationAttributes(ctx, convID)
}

// endInFlow is staff ending a conversation a flow is talking in: the flow stops.
func (s *Service) endInFlow(tx *store.Tx, actorID, convID int64, r wire.EndReason, out *wire.Conversation) error {
	if err := s.stopFlow(tx, convID, actorID); err != nil {
		return err
	}
	if ok, err := tx.EndFromFlow(convID, r.ID, actorID); err != nil || !ok {
		return flowMoved(err)
	}
	if _, err := tx.AddTimeline(convID, "ended", actorID, map[string]any{"end_reason_id": r.ID, "end_reason": r.Label}); err != nil {
		return err
	}
	c, err := s.summary(tx, convID)
	if err != nil {
		return err
	}
	*out = c
	return tx.Append(wire.EventConversationEnded, convID, store.Readers, wire.ConversationData{Conversation: c})
}

// queueFromFlow is a supervisor returning a conversation a flow is talking in to the queue:
// the flow stops, and the conversation goes to the head of the queue.
func (s *Service) queueFromFlow(tx *store.Tx, actorID, convID int64) error {
	if err := s.stopFlow(tx, convID, actorID); err != nil {
		return err
	}
	if ok, err := tx.QueueFromFlow(convID, true); err != nil || !ok {
		return flowMoved(err)
	}
	if _, err := tx.AddTimeline(convID, "requeued", actorID, map[string]any{"reason": "supervisor", "head": true}); err != nil {
		return err
	}
	c, err := s.summary(tx, convID)
	if err != nil {
		return err
	}
	return tx.Append(wire.EventConversationQueued, convID, store.Readers, wire.ConversationData{Conversation: c})
}
