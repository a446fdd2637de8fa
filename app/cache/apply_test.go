package cache

// How the cache applies what the server says. The events here are shaped exactly like the
// server's (wire types); the scenario tests in app/ and app/sync run them against a real santrald.

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"santral/backend/wire"
)

func open(t *testing.T) *Cache {
	t.Helper()
	c, err := Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func event(t *testing.T, seq int64, typ string, data any) wire.Event {
	t.Helper()
	b, err := json.Marshal(data)
	if err != nil {
		t.Fatal(err)
	}
	return wire.Event{Seq: seq, Type: typ, Data: b}
}

func id(v int64) *int64 { return &v }

func summary(convID int64, state wire.ConversationState, agent *int64, name, preview string) wire.Conversation {
	return wire.Conversation{ID: convID, State: state, AgentID: agent, Channel: wire.Channel{ID: 1, Type: wire.ChannelSandbox},
		Contact: wire.Contact{ID: 100 + convID, Name: name, Phone: "90532"}, LastMessagePreview: preview}
}

// The queue is shown in the server's order: its queue_key, never the entry time. A conversation
// returned to the head has an older key although it entered the queue last.
func TestQueueIsInTheServersOrder(t *testing.T) {
	c := open(t)
	first := summary(1, wire.Queued, nil, "Elif", "a")
	first.QueuedAt, first.QueueKey = 1000, "1-00000000000001000-00000000000000001"
	second := summary(2, wire.Queued, nil, "Burak", "b")
	second.QueuedAt, second.QueueKey = 2000, "1-00000000000002000-00000000000000002"
	returned := summary(3, wire.Queued, nil, "Can", "c")
	returned.QueuedAt, returned.QueueKey = 3000, "0-00000000000000500-00000000000000003" // back at the head
	if _, err := c.ApplyEvents([]wire.Event{
		event(t, 1, wire.EventConversationQueued, wire.ConversationData{Conversation: first}),
		event(t, 2, wire.EventConversationQueued, wire.ConversationData{Conversation: second}),
		event(t, 3, wire.EventConversationQueued, wire.ConversationData{Conversation: returned}),
	}, 7, 0); err != nil {
		t.Fatal(err)
	}
	l, err := c.Lists(7)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, q := range l.Queue {
		got = append(got, q.ID)
	}
	if len(got) != 3 || got[0] != 3 || got[1] != 1 || got[2] != 2 {
		t.Fatalf("the queue follows queue_key (returned to the head first), got %v", got)
	}
}

// A redacted summary (another agent holds the conversation now) takes it out of my lists at
// once, keeps none of its messages, and never blanks the name the app still needs to say which
// conversation a refused reply belonged to.
func TestARedactedSummaryTakesTheConversationAway(t *testing.T) {
	const me, other = 7, 8
	c := open(t)
	mine := summary(5, wire.Assigned, id(me), "Elif Şahin", "Kargom nerede?")
	mine.WindowClosesAt = 99_000
	msg := wire.Message{ID: 50, ConversationID: 5, Direction: "in", Body: "Kargom nerede?", Status: wire.StatusReceived}
	offer := wire.TransferOffer{ID: 9, ConversationID: 5, FromAgentID: me, ToAgentID: other, State: wire.OfferPending}
	if _, err := c.ApplyEvents([]wire.Event{
		event(t, 1, wire.EventConversationAssigned, wire.AssignedData{Conversation: mine, By: "auto"}),
		event(t, 2, wire.EventMessageCreated, wire.MessageData{Message: msg}),
		event(t, 3, wire.EventTransferOffered, wire.OfferData{Offer: offer}),
	}, me, 0); err != nil {
		t.Fatal(err)
	}
	if l, _ := c.Lists(me); len(l.Mine) != 1 {
		t.Fatalf("mine before: %+v", l.Mine)
	}

	accepted := offer
	accepted.State = wire.OfferAccepted
	redacted := wire.Conversation{ID: 5, State: wire.Assigned, AgentID: id(other), Channel: wire.Channel{ID: 1, Type: wire.ChannelSandbox}, Redacted: true}
	fx, err := c.ApplyEvents([]wire.Event{
		event(t, 4, wire.EventTransferResolved, wire.OfferData{Offer: accepted}),
		event(t, 5, wire.EventConversationAssigned, wire.AssignedData{Conversation: redacted, By: "transfer"}),
	}, me, 5)
	if err != nil {
		t.Fatal(err)
	}
	if len(fx.Left) != 1 || fx.Left[0].ConversationID != 5 || fx.Left[0].Why != LeftTransferred || fx.Left[0].ToAgentID != other {
		t.Fatalf("the app is told the conversation left me by a transfer to %d: %+v", other, fx.Left)
	}
	if len(fx.AssignedToMe) != 0 {
		t.Fatalf("nothing was assigned to me: %+v", fx.AssignedToMe)
	}
	l, err := c.Lists(me)
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Mine) != 0 || len(l.Queue) != 0 || len(l.Offers) != 0 {
		t.Fatalf("the conversation left every list: mine %+v queue %+v offers %+v", l.Mine, l.Queue, l.Offers)
	}
	d, ok, err := c.Detail(5)
	if err != nil || !ok {
		t.Fatalf("the routing fields stay: %v %v", ok, err)
	}
	if len(d.Messages) != 0 || len(d.Timeline) != 0 {
		t.Fatalf("none of its content stays: %d messages, %d timeline entries", len(d.Messages), len(d.Timeline))
	}
	if d.Conversation.Contact.Name != "Elif Şahin" {
		t.Fatalf("the name is not blanked by the redacted summary: %+v", d.Conversation.Contact)
	}
	if d.Conversation.LastMessagePreview != "" {
		t.Fatalf("no preview of a conversation I may not read: %q", d.Conversation.LastMessagePreview)
	}
	if d.Conversation.AgentID == nil || *d.Conversation.AgentID != other || d.Conversation.State != wire.Assigned {
		t.Fatalf("its routing fields are the server's: %+v", d.Conversation)
	}
	if !d.Conversation.Redacted {
		t.Fatal("the cached conversation says it is no longer readable")
	}

	// Another agent's conversation I never had: nothing is stored at all.
	stranger := wire.Conversation{ID: 6, State: wire.Assigned, AgentID: id(other), Redacted: true}
	if _, err := c.ApplyEvents([]wire.Event{event(t, 6, wire.EventConversationAssigned, wire.AssignedData{Conversation: stranger, By: "auto"})}, me, 0); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := c.Detail(6); ok {
		t.Fatal("a redacted conversation never seen before is not cached")
	}
}

// A conversation that leaves me some other way says how: back to the queue, ended, reassigned.
func TestLeavingMeSaysHow(t *testing.T) {
	const me, other = 7, 8
	c := open(t)
	var events []wire.Event
	for i := int64(1); i <= 3; i++ {
		events = append(events, event(t, i, wire.EventConversationAssigned, wire.AssignedData{Conversation: summary(i, wire.Assigned, id(me), "x", "y"), By: "auto"}))
	}
	if _, err := c.ApplyEvents(events, me, 0); err != nil {
		t.Fatal(err)
	}
	queued := summary(1, wire.Queued, nil, "x", "y")
	queued.QueueKey = "0-1"
	ended := summary(2, wire.Ended, id(me), "x", "y")
	moved := summary(3, wire.Assigned, id(other), "x", "y")
	fx, err := c.ApplyEvents([]wire.Event{
		event(t, 4, wire.EventConversationQueued, wire.ConversationData{Conversation: queued}),
		event(t, 5, wire.EventConversationEnded, wire.ConversationData{Conversation: ended}),
		event(t, 6, wire.EventConversationAssigned, wire.AssignedData{Conversation: moved, By: "supervisor"}),
	}, me, 0)
	if err != nil {
		t.Fatal(err)
	}
	why := map[int64]string{}
	for _, l := range fx.Left {
		why[l.ConversationID] = l.Why
	}
	if why[1] != LeftRequeued || why[2] != LeftEnded || why[3] != LeftReassigned || len(fx.Left) != 3 {
		t.Fatalf("left: %+v", fx.Left)
	}
}

// A transfer offer to me shows the customer's name and last message while it is pending; once
// it failed (rejected, withdrawn, expired) the cache keeps neither them nor the conversation
// the server let me read while it was offered — by the stream, or by a resync after the app
// was away. An accepted one stays: the conversation is mine.
func TestAFailedOfferToMeLeavesNothingOfTheCustomer(t *testing.T) {
	const me, sender = 7, 8
	offered := func(c *Cache, seq, convID, offerID int64) wire.TransferOffer {
		t.Helper()
		conv := summary(convID, wire.Assigned, id(sender), "Elif Şahin", "Kargom nerede?")
		msg := wire.Message{ID: convID * 10, ConversationID: convID, Direction: "in", Body: "Kargom nerede?", Status: wire.StatusReceived}
		o := wire.TransferOffer{ID: offerID, ConversationID: convID, FromAgentID: sender, ToAgentID: me, State: wire.OfferPending,
			CustomerName: "Elif Şahin", CustomerMessage: "Kargom nerede?"}
		if _, err := c.ApplyEvents([]wire.Event{
			event(t, seq, wire.EventTransferOffered, wire.OfferData{Offer: o}),
			event(t, seq+1, wire.EventConversationUpdated, wire.ConversationData{Conversation: conv}),
			event(t, seq+2, wire.EventMessageCreated, wire.MessageData{Message: msg}),
		}, me, 0); err != nil {
			t.Fatal(err)
		}
		l, _ := c.Lists(me)
		if len(l.Offers) != 1 || l.Offers[0].CustomerName != "Elif Şahin" || l.Offers[0].CustomerMessage != "Kargom nerede?" {
			t.Fatalf("the pending offer names the customer: %+v", l.Offers)
		}
		return o
	}
	gone := func(c *Cache, convID int64, how string) {
		t.Helper()
		if _, ok, _ := c.Detail(convID); ok {
			t.Errorf("%s: the conversation offered to me is still cached", how)
		}
		var n int
		c.db.QueryRow(`SELECT (SELECT COUNT(*) FROM messages WHERE conversation_id = ?) + (SELECT COUNT(*) FROM contacts WHERE id = ?)
			+ (SELECT COUNT(*) FROM offers WHERE data LIKE '%Elif%' OR data LIKE '%Kargom%')`, convID, 100+convID).Scan(&n)
		if n != 0 {
			t.Errorf("%s: %d rows still hold the customer's name or message", how, n)
		}
		if l, _ := c.Lists(me); len(l.Offers) != 0 {
			t.Errorf("%s: offers still listed: %+v", how, l.Offers)
		}
	}

	for _, state := range []wire.OfferState{wire.OfferRejected, wire.OfferWithdrawn, wire.OfferExpired} {
		c := open(t)
		o := offered(c, 1, 5, 9)
		// The server's resolved offer carries no customer; a cache must not keep one even if it did.
		failed := o
		failed.State = state
		if _, err := c.ApplyEvents([]wire.Event{event(t, 4, wire.EventTransferResolved, wire.OfferData{Offer: failed})}, me, 0); err != nil {
			t.Fatal(err)
		}
		gone(c, 5, string(state))
	}

	// Away while it failed: the resync finds it neither pending nor mine.
	c := open(t)
	offered(c, 1, 5, 9)
	if err := c.ApplySnapshot(Snapshot{Me: wire.User{ID: me}}, 10); err != nil {
		t.Fatal(err)
	}
	gone(c, 5, "resync")

	// Accepted: the conversation is mine, nothing is forgotten.
	c = open(t)
	o := offered(c, 1, 5, 9)
	accepted := o
	accepted.State, accepted.CustomerName, accepted.CustomerMessage = wire.OfferAccepted, "", ""
	mine := summary(5, wire.Assigned, id(me), "Elif Şahin", "Kargom nerede?")
	if _, err := c.ApplyEvents([]wire.Event{
		event(t, 4, wire.EventTransferResolved, wire.OfferData{Offer: accepted}),
		event(t, 5, wire.EventConversationAssigned, wire.AssignedData{Conversation: mine, By: "transfer"}),
	}, me, 0); err != nil {
		t.Fatal(err)
	}
	if d, ok, _ := c.Detail(5); !ok || d.Conversation.Contact.Name != "Elif Şahin" || len(d.Messages) != 1 {
		t.Fatalf("an accepted offer's conversation is mine, whole: %v %+v", ok, d)
	}
}
