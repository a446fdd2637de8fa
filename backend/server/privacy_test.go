package server_test

// Nobody sees what they may not read: every event and every embedded field of every answer
// carries to each user only what that user may read (README "Reading").

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

// streamRecorder keeps every raw frame a user's stream received, to search it for text they must
// never get.
type streamRecorder struct {
	s    *streamConn
	mu   sync.Mutex
	raw  bytes.Buffer
	done chan struct{}
}

func (c *client) record() *streamRecorder {
	c.t.Helper()
	s, _ := c.stream(-1)
	r := &streamRecorder{s: s, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			s.conn.SetReadDeadline(time.Now().Add(time.Minute))
			_, b, err := s.conn.ReadMessage()
			if err != nil {
				return
			}
			r.mu.Lock()
			r.raw.Write(b)
			r.raw.WriteByte('\n')
			r.mu.Unlock()
		}
	}()
	return r
}

func (r *streamRecorder) contains(s string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Contains(r.raw.Bytes(), []byte(s))
}

// sync waits until the streamRecorder has seen marker (an event every user gets), so everything
// committed before it has arrived too.
func (r *streamRecorder) sync(t *testing.T, marker string) {
	t.Helper()
	eventually(t, 10*time.Second, "the stream to reach "+marker, func() bool { return r.contains(marker) })
}

// marker makes every stream receive a settings.changed carrying a fresh offer timeout.
func (e *env) marker(n int) string {
	e.admin().settings(func(s *wire.Settings) { s.OfferTimeoutSeconds = 100 + n })
	return fmt.Sprintf(`"offer_timeout_seconds":%d`, 100+n)
}

// The case seen from outside: agent C accepts a transfer from agent A; agent B's stream got
// conversation.assigned with the last message and the contact's name.
func TestTransferAcceptedLeaksNothingToOtherAgents(t *testing.T) {
	e := start(t)
	a, b, c := e.agent("ayse", limit(1)), e.agent("bora", limit(0)), e.agent("cem", limit(0))
	for _, x := range []*client{a, b, c} {
		x.online()
	}
	rb := b.record()
	res := e.customer("905550000001", "merhaba, your refund code is 7731")
	if len(a.mine()) != 1 {
		t.Fatal("ayse did not get the conversation")
	}
	o := a.transfer(res.ConversationID, c.user.ID, "secret note 4410")
	c.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil, nil, http.StatusOK)
	rb.sync(t, e.marker(1))
	for _, secret := range []string{"7731", "Müşteri 905550000001", "secret note 4410"} {
		if rb.contains(secret) {
			t.Errorf("bora's stream carried %q of a conversation he may not read", secret)
		}
	}
	// Ayşe, the sender, may not read it any more either: what she gets after the accept says
	// only that it left her.
	ra := a.record()
	e.customer("905550000001", "second secret 5520")
	ra.sync(t, e.marker(2))
	if ra.contains("5520") {
		t.Error("ayse's stream carried a message of a conversation transferred away from her")
	}
}

// Across assign, transfer, take-up, return-to-queue and end, an agent's stream never carries
// text of a conversation they cannot read at that moment.
func TestStreamsCarryOnlyWhatEachAgentMayRead(t *testing.T) {
	e := start(t)
	reason := e.admin().endReason("Çözüldü")
	sup := e.user(wire.RoleSupervisor, "selin", limit(0))
	// Ayşe takes one conversation automatically; Bora and Cem only by hand or transfer.
	a, b, c := e.agent("ayse", limit(1)), e.agent("bora", limit(0)), e.agent("cem", limit(0))
	for _, x := range []*client{a, b, c} {
		x.online()
	}
	ra, rb, rc := a.record(), b.record(), c.record()

	// X is created and given to Ayşe at once: it was never readable in the queue.
	x := e.customer("905550000010", "X0 first words").ConversationID
	e.customer("905550000010", "X1 held by ayse")
	o := a.transfer(x, c.user.ID, "XN note for cem")
	c.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", o.ID), nil, nil, http.StatusOK)
	e.customer("905550000010", "X2 held by cem")
	c.reply(x, "X3 cem answers")

	// Y is ended (shared history: everyone may read it), then taken up by Ayşe.
	y := e.customer("905550000020", "Y0 before the end").ConversationID
	a.end(y, reason)
	a.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/take-up", y), nil, nil, http.StatusOK)
	e.customer("905550000020", "Y1 after take-up")

	// Each agent may read the queue, the shared history and what they hold or are offered;
	// previews ride on the summaries, so text can arrive through them as well.
	check := func(phase string, never, must map[string][]string) {
		t.Helper()
		m := e.marker(len(phase))
		for name, r := range map[string]*streamRecorder{"ayse": ra, "bora": rb, "cem": rc} {
			r.sync(t, m)
			for _, s := range never[name] {
				if r.contains(s) {
					t.Errorf("%s: %s's stream carried %q", phase, name, s)
				}
			}
			for _, s := range must[name] {
				if !r.contains(s) {
					t.Errorf("%s: %s's stream lacks %q, which %s may read", phase, name, s, name)
				}
			}
		}
	}
	check("held", map[string][]string{
		"ayse": {"X2 held", "X3 cem"},
		"bora": {"X0 first", "X1 held", "XN note", "X2 held", "X3 cem", "Y1 after"},
		"cem":  {"X0 first", "Y1 after"},
	}, map[string][]string{
		"ayse": {"X0 first", "X1 held", "XN note", "Y1 after"},
		"bora": {"Y0 before"},
		"cem":  {"XN note", "X2 held", "X3 cem"},
	})

	// The supervisor returns X to the queue: now every agent may read it, and Bora pulls it.
	sup.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", x), nil, nil, http.StatusOK)
	e.customer("905550000010", "X4 in the queue")
	if got := b.pull(); got.ID != x {
		t.Fatalf("bora pulled %d, want %d", got.ID, x)
	}
	e.customer("905550000010", "X5 held by bora")
	check("pulled", map[string][]string{
		"ayse": {"X5 held"},
		"cem":  {"X5 held"},
	}, map[string][]string{
		"ayse": {"X4 in the queue"},
		"bora": {"X3 cem", "X4 in the queue", "X5 held"},
		"cem":  {"X4 in the queue"},
	})
}

func TestEarlierConversationsAreFilteredByWhatTheReaderMayRead(t *testing.T) {
	e := start(t)
	reason := e.admin().endReason("Çözüldü")
	a, b := e.agent("ayse", limit(1)), e.agent("bora", limit(0))
	a.online()
	b.online()
	first := e.customer("905550000030", "old question").ConversationID
	a.end(first, reason)
	current := e.customer("905550000030", "current secret 8812").ConversationID
	if !held(a.mine())[current] {
		t.Fatal("ayse did not get the current conversation")
	}
	b.refused(wire.CodeNotHolder, "GET", fmt.Sprintf("/api/v1/conversations/%d", current), nil)

	var raw json.RawMessage
	b.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", first), nil, &raw, http.StatusOK)
	if strings.Contains(string(raw), "8812") {
		t.Fatalf("bora reads the held conversation's last message through earlier[]: %s", raw)
	}
	var d wire.ConversationDetail
	json.Unmarshal(raw, &d)
	var found *wire.Conversation
	for i := range d.Earlier {
		if d.Earlier[i].ID == current {
			found = &d.Earlier[i]
		}
	}
	if found == nil || !found.Redacted || found.LastMessagePreview != "" || found.Contact.Name != "" {
		t.Fatalf("earlier[] shows the held conversation as %+v; want it redacted (who holds it, no text)", found)
	}
	// The holder and staff see it whole.
	var own wire.ConversationDetail
	a.mustDo("GET", fmt.Sprintf("/api/v1/conversations/%d", first), nil, &own, http.StatusOK)
	for _, c := range own.Earlier {
		if c.ID == current && (c.Redacted || c.LastMessagePreview == "") {
			t.Fatalf("the holder sees her own conversation redacted: %+v", c)
		}
	}
}

// A transfer offer shows its receiver the customer's name and last message (issue 11, the
// agent's polish) — only while it is pending, and only to those who may read the conversation
// then: its two agents and staff. Another agent's stream never carries them, and once the
// receiver rejected it, went on break (withdrawing it) or let it expire, what they read of the
// offer has neither.
func TestTransferOfferCarriesTheCustomerOnlyWhilePending(t *testing.T) {
	onBothBackends(t, transferOfferCarriesTheCustomerOnlyWhilePending)
}

func transferOfferCarriesTheCustomerOnlyWhilePending(t *testing.T, e *env) {
	sup := e.user(wire.RoleSupervisor, "selin", limit(0))
	a, b, c := e.agent("ayse", limit(1)), e.agent("bora", limit(0)), e.agent("cem", limit(0))
	for _, x := range []*client{a, b, c} {
		x.online()
	}
	rb, rc := b.record(), c.record()
	conv := e.customer("905550000031", "kargom nerede 6642").ConversationID
	a.reply(conv, "bakıyorum")
	const name = "Müşteri 905550000031"

	o := a.transfer(conv, b.user.ID, "")
	if o.CustomerName != name || o.CustomerMessage != "kargom nerede 6642" {
		t.Fatalf("the sender's offer: customer %q, message %q; want the customer's name and last message (not the agent's reply)", o.CustomerName, o.CustomerMessage)
	}
	for who, x := range map[string]*client{"bora (the receiver)": b, "selin (a supervisor)": sup} {
		var list []wire.TransferOffer
		x.mustDo("GET", "/api/v1/transfers", nil, &list, http.StatusOK)
		if len(list) != 1 || list[0].CustomerName != name || list[0].CustomerMessage != "kargom nerede 6642" {
			t.Errorf("%s's pending offers: %+v; want the one offer with the customer's name and last message", who, list)
		}
	}
	rc.sync(t, e.marker(1))
	for _, secret := range []string{"6642", name} {
		if rc.contains(secret) {
			t.Errorf("cem's stream carried %q of an offer to bora", secret)
		}
	}

	// From its resolution on, nothing bora's stream carries names the customer.
	nothingFrom := func(offerID int64, state wire.OfferState) {
		t.Helper()
		from := int64(-1)
		for _, ev := range rb.events(t) {
			if from < 0 && ev.Type == wire.EventTransferResolved {
				var d wire.OfferData
				if json.Unmarshal(ev.Data, &d) == nil && d.Offer.ID == offerID && d.Offer.State == state {
					from = ev.Seq
				}
			}
			if from >= 0 && ev.Seq >= from && (bytes.Contains(ev.Data, []byte("6642")) || bytes.Contains(ev.Data, []byte(name))) {
				t.Errorf("once the offer was %s, bora's stream carried the customer in %s: %s", state, ev.Type, ev.Data)
			}
		}
		if from < 0 {
			t.Fatalf("bora's stream did not carry the %s offer", state)
		}
	}
	rb.sync(t, e.marker(2))
	if !rb.contains(`"customer_message":"kargom nerede 6642"`) {
		t.Error("bora's stream did not carry the pending offer with the customer's last message")
	}

	// Rejected: what bora reads of it, by stream or by asking, names no customer.
	b.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", o.ID), nil, nil, http.StatusOK)
	rb.sync(t, e.marker(3))
	nothingFrom(o.ID, wire.OfferRejected)
	if got := b.offer(o.ID); got.State != wire.OfferRejected || got.CustomerName != "" || got.CustomerMessage != "" {
		t.Errorf("the rejected offer as bora reads it: %+v; want rejected, no customer", got)
	}
	var left []wire.TransferOffer
	b.mustDo("GET", "/api/v1/transfers", nil, &left, http.StatusOK)
	if len(left) != 0 {
		t.Errorf("bora still lists offers after rejecting: %+v", left)
	}

	// Withdrawn: the receiver goes on break.
	o2 := a.transfer(conv, b.user.ID, "")
	b.presence(wire.Break, "")
	rb.sync(t, e.marker(4))
	nothingFrom(o2.ID, wire.OfferWithdrawn)
	if got := b.offer(o2.ID); got.State != wire.OfferWithdrawn || got.CustomerName != "" {
		t.Errorf("the withdrawn offer as bora reads it: %+v; want withdrawn, no customer", got)
	}

	// Expired: bora, online again, lets the shortest offer run out.
	b.online()
	e.admin().settings(func(s *wire.Settings) { s.OfferTimeoutSeconds = 1 })
	o3 := a.transfer(conv, b.user.ID, "")
	eventually(t, 10*time.Second, "the offer to expire", func() bool { return b.offer(o3.ID).State == wire.OfferExpired })
	rb.sync(t, e.marker(5))
	nothingFrom(o3.ID, wire.OfferExpired)
	if got := b.offer(o3.ID); got.CustomerName != "" || got.CustomerMessage != "" {
		t.Errorf("the expired offer as bora reads it: %+v; want no customer", got)
	}
}

// events lists the events of every frame the recorder received, in order.
func (r *streamRecorder) events(t *testing.T) []wire.Event {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []wire.Event
	for _, line := range bytes.Split(r.raw.Bytes(), []byte("\n")) {
		if len(line) == 0 {
			continue
		}
		var f wire.StreamFrame
		if err := json.Unmarshal(line, &f); err != nil {
			t.Fatalf("a frame that is not JSON: %v", err)
		}
		out = append(out, f.Events...)
	}
	return out
}
