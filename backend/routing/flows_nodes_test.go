package routing

// Chatbot flows with several nodes deciding at once, on SQLite and PostgreSQL: a timeout fires
// once whichever nodes sweep, a redelivered answer advances the flow once, an HTTP step is
// claimed by one node and recorded only under its claim, and an agent's hand-over frees her
// capacity for the next queued conversation in the same commit.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"santral/backend/flows"
	"santral/backend/store"
	"santral/backend/wire"
)

// publish creates and publishes a flow on node 0 and makes it the sandbox's default flow.
func (c *cluster) publish(def wire.FlowDefinition, asDefault bool) int64 {
	c.t.Helper()
	ctx := context.Background()
	f, err := c.nodes[0].CreateFlow(ctx, 0, "Akış", &def)
	if err != nil {
		c.t.Fatal(err)
	}
	if _, err := c.nodes[0].PublishFlow(ctx, f.ID, 0); err != nil {
		c.t.Fatal(err)
	}
	if asDefault {
		if _, err := c.nodes[0].SetDefaultFlow(ctx, c.channel, &f.ID); err != nil {
			c.t.Fatal(err)
		}
	}
	return f.ID
}

func (c *cluster) endReason() int64 {
	c.t.Helper()
	var id int64
	if _, err := c.stores[0].Tx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = tx.CreateEndReason("Yanıt yok", 0)
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	return id
}

// count runs a COUNT(*) query on the database itself (assertions only).
func (c *cluster) count(query string, args ...any) int {
	c.t.Helper()
	if strings.HasSuffix(c.t.Name(), "/postgres") {
		query = rebindForTest(query)
	}
	var n int
	if err := c.raw.QueryRow(query, args...).Scan(&n); err != nil {
		c.t.Fatalf("%s: %v", query, err)
	}
	return n
}

func rebindForTest(q string) string {
	out, n, quoted := []byte{}, 0, false
	for i := 0; i < len(q); i++ {
		if q[i] == '\'' {
			quoted = !quoted
		}
		if q[i] == '?' && !quoted {
			n++
			out = append(out, fmt.Sprintf("$%d", n)...)
			continue
		}
		out = append(out, q[i])
	}
	return string(out)
}

func (c *cluster) answer(node int, sender, messageID, text string) error {
	_, err := c.node(node).Ingest(context.Background(), Inbound{ChannelID: c.channel, SenderID: sender, ExternalID: messageID, Body: text})
	return err
}

func TestFlowTimeoutFiresOnceAcrossNodes(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		reason := c.endReason()
		c.publish(wire.FlowDefinition{Start: "hello", Steps: []wire.FlowStep{
			{ID: "hello", Type: wire.StepAsk, Text: "Nasıl yardımcı olabiliriz?", Choices: []wire.FlowChoice{{ID: "a", Title: "Temsilci", Next: "agent"}},
				TimeoutSeconds: 600, OnTimeout: "late"},
			{ID: "agent", Type: wire.StepHandover},
			{ID: "late", Type: wire.StepMessage, Text: "Yanıt alamadık.", Next: "close"},
			{ID: "close", Type: wire.StepEnd, EndReasonID: reason},
		}}, true)
		const customers = 12
		var convs []int64
		for i := range customers {
			id, err := c.customer(i, fmt.Sprint("c", i))
			if err != nil {
				t.Fatal(err)
			}
			convs = append(convs, id)
		}
		if n := c.count(`SELECT COUNT(*) FROM flow_runs WHERE state = 'waiting' AND deadline > 0`); n != customers {
			t.Fatalf("%d runs wait with a deadline, want %d", n, customers)
		}
		// Ten minutes pass (the deadlines are moved, not the clock), and every node sweeps at once,
		// twice; half the customers answer at that very moment.
		if _, err := c.raw.Exec(`UPDATE flow_runs SET deadline = 1 WHERE state = 'waiting'`); err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		answered := map[int64]bool{}
		for i := range 6 {
			wg.Go(func() {
				for range 2 {
					if _, err := c.node(i).FireFlowTimeouts(ctx, 100); err != nil {
						t.Error(err)
					}
				}
			})
		}
		var mu sync.Mutex
		for i := 0; i < customers; i += 2 {
			wg.Go(func() {
				if err := c.answer(i, fmt.Sprint("c", i), fmt.Sprint("answer-", i), "1"); err != nil {
					t.Error(err)
				}
				mu.Lock()
				answered[convs[i]] = true
				mu.Unlock()
			})
		}
		wg.Wait()
		for _, id := range convs {
			late := c.count(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND body = 'Yanıt alamadık.'`, id)
			conv := c.conversation(id)
			switch {
			case conv.State == wire.Ended && late == 1:
			case conv.State == wire.Queued && late == 0 && answered[id]:
			default:
				t.Errorf("conversation %d is %s with %d timeout messages (answered %v): the timeout fires once, or the answer wins", id, conv.State, late, answered[id])
			}
			if runs := c.count(`SELECT COUNT(*) FROM flow_runs WHERE conversation_id = ? AND state = 'done'`, id); runs != 1 {
				t.Errorf("conversation %d: %d finished runs", id, runs)
			}
		}
	})
}

func TestRedeliveredAnswerAdvancesTheFlowOnce(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		c.publish(wire.FlowDefinition{Start: "name", Steps: []wire.FlowStep{
			{ID: "name", Type: wire.StepCollect, Text: "Adınız?", Attribute: "ad", Next: "city"},
			{ID: "city", Type: wire.StepCollect, Text: "Şehriniz?", Attribute: "sehir", Next: "agent"},
			{ID: "agent", Type: wire.StepHandover},
		}}, true)
		conv, err := c.customer(0, "c1")
		if err != nil {
			t.Fatal(err)
		}
		// The provider delivers the answer to three nodes at once, twice.
		deliver := func(node int) func() {
			return func() {
				if err := c.answer(node, "c1", "wamid.same", "Ayşe"); err != nil {
					t.Errorf("delivery on node %d: %v", node, err)
				}
			}
		}
		race(deliver(0), deliver(1), deliver(2), deliver(0))
		if n := c.count(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND body = 'Şehriniz?'`, conv); n != 1 {
			t.Fatalf("the next question was sent %d times", n)
		}
		if n := c.count(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND direction = 'in'`, conv); n != 2 {
			t.Fatalf("%d customer messages stored, want 2", n)
		}
		if err := c.answer(1, "c1", "wamid.next", "İzmir"); err != nil {
			t.Fatal(err)
		}
		attrs, err := c.stores[2].ConversationAttributes(context.Background(), conv)
		if err != nil {
			t.Fatal(err)
		}
		if attrs.Attributes["ad"] != "Ayşe" || attrs.Attributes["sehir"] != "İzmir" || c.conversation(conv).State != wire.Queued {
			t.Fatalf("attributes %v, state %s", attrs.Attributes, c.conversation(conv).State)
		}
	})
}

func TestHTTPStepIsClaimedByOneNode(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.publish(wire.FlowDefinition{Start: "lookup", Steps: []wire.FlowStep{
			{ID: "lookup", Type: wire.StepHTTP, HTTP: &wire.FlowHTTP{Method: "GET", URL: "https://shop.example/orders", Map: map[string]string{"durum": "status"}},
				Next: "ok", OnFailure: "agent"},
			{ID: "ok", Type: wire.StepMessage, Text: "Durum: {{durum}}", Next: "agent"},
			{ID: "agent", Type: wire.StepHandover},
		}}, true)
		conv, err := c.customer(0, "c1")
		if err != nil {
			t.Fatal(err)
		}
		var mu sync.Mutex
		var claims []HTTPClaim
		var wg sync.WaitGroup
		for i := range 6 {
			wg.Go(func() {
				got, err := c.node(i).ClaimHTTPSteps(ctx, 10, time.Minute)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				claims = append(claims, got...)
				mu.Unlock()
			})
		}
		wg.Wait()
		if len(claims) != 1 || claims[0].Request.URL != "https://shop.example/orders" {
			t.Fatalf("%d claims of one HTTP step: %+v", len(claims), claims)
		}
		// A claim that ran out and was taken again elsewhere records nothing.
		stale := claims[0]
		if _, err := c.raw.Exec(`UPDATE flow_runs SET deadline = 1 WHERE id = ` + fmt.Sprint(stale.RunID)); err != nil {
			t.Fatal(err)
		}
		again, err := c.node(1).ClaimHTTPSteps(ctx, 10, time.Minute)
		if err != nil || len(again) != 1 || again[0].Lease == stale.Lease {
			t.Fatalf("claimed again: %+v %v", again, err)
		}
		if err := c.node(2).RecordHTTPStep(ctx, stale, flows.HTTPResult{OK: true, Fields: map[string]string{"durum": "eski"}}); err != nil {
			t.Fatal(err)
		}
		if c.conversation(conv).State != wire.InFlow {
			t.Fatalf("a stale claim moved the flow")
		}
		if err := c.node(0).RecordHTTPStep(ctx, again[0], flows.HTTPResult{OK: true, Fields: map[string]string{"durum": "Kargoda"}}); err != nil {
			t.Fatal(err)
		}
		if c.conversation(conv).State != wire.Queued || c.count(`SELECT COUNT(*) FROM messages WHERE conversation_id = ? AND body = 'Durum: Kargoda'`, conv) != 1 {
			t.Fatalf("the claim's answer moves the flow on once: %s", c.conversation(conv).State)
		}
	})
}

func TestHandingToAFlowFreesCapacityAtOnce(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: true, DefaultLimit: 1, OfferTimeoutSeconds: 120, OfflineGraceSeconds: 60})
		f := c.publish(wire.FlowDefinition{Start: "ask", Steps: []wire.FlowStep{
			{ID: "ask", Type: wire.StepCollect, Text: "Adresiniz?", Attribute: "adres", Next: "back"},
			{ID: "back", Type: wire.StepHandover},
		}}, false)
		reason := c.endReason()
		ayse := c.agent("ayse", nil)
		c.presence(0, ayse, wire.Online)
		first, _ := c.customer(0, "c1")
		second, _ := c.customer(1, "c2")
		if c.conversation(first).AgentID == nil || c.conversation(second).State != wire.Queued {
			t.Fatal("the first is hers, the second waits")
		}
		// She hands the first to the flow on one node while her supervisor ends it on another:
		// one of them wins.
		var handErr, endErr error
		race(func() { _, handErr = c.node(1).HandToFlow(ctx, ayse, first, f) },
			func() { _, endErr = c.node(2).End(ctx, wire.User{ID: ayse}, first, reason) })
		if (handErr == nil) == (endErr == nil) {
			t.Fatalf("hand-over %v, end %v: exactly one wins", handErr, endErr)
		}
		// Either way her capacity went to the second conversation in the same decision.
		if got := c.conversation(second); got.State != wire.Assigned || *got.AgentID != ayse {
			t.Fatalf("the next conversation is %s: %+v", got.State, got.AgentID)
		}
		if u := c.user(ayse); u.Active != 1 {
			t.Fatalf("she holds %d", u.Active)
		}
		if handErr == nil {
			if got := c.conversation(first); got.State != wire.InFlow || got.FlowAgentID == nil || *got.FlowAgentID != ayse {
				t.Fatalf("in the flow: %+v", got)
			}
		}
	})
}
