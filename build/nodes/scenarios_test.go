package nodes

// Scenarios with three santrald processes on one PostgreSQL database, each client on a node of
// its choosing, asserting what the agents and customers would notice.

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"sync"
	"testing"
	"time"

	"santral/backend/wire"
)

func limit(n int) *int { return &n }

// Fifty agents, their apps spread over the three nodes, press "pull" at the same instant with
// 35 customers waiting: 35 of them get a conversation each, the other 15 are told the queue is
// empty, no conversation reaches two agents, each lists exactly the one it pulled on whichever
// node it asks, and every conversation's timeline shows one assignment.
func TestFiftyPullsAtOnceOverThreeNodes(t *testing.T) {
	c := newCluster(t, options{})
	admin := c.admin(c.nodes[0])
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })
	const queued, agents = 35, 50
	for i := range queued {
		c.customer(c.nodes[i%3], fmt.Sprintf("90532100%04d", i), fmt.Sprintf("q-%d", i), fmt.Sprintf("Sırada %d", i))
	}
	waiting := admin.on(c.nodes[1]).queue()
	if len(waiting) != queued {
		t.Fatalf("node2 lists %d waiting customers, want %d", len(waiting), queued)
	}
	var pullers []*client
	for i := range agents {
		a := c.agent(admin, c.nodes[i%3], fmt.Sprintf("agent%02d", i), nil)
		a.presence(wire.Online)
		pullers = append(pullers, a)
	}

	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	pulledBy := map[int64][]string{}
	got := map[string]int64{}
	empty := 0
	for _, a := range pullers {
		wg.Go(func() {
			<-start
			var conv wire.Conversation
			status, code, err := a.try("POST", "/api/v1/queue/pull", nil, &conv)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case err != nil:
				t.Errorf("%s's pull on %s: %v", a.user.Username, a.n.name, err)
			case code == wire.CodeQueueEmpty:
				empty++
			case status != http.StatusOK:
				t.Errorf("%s's pull on %s: %d %s", a.user.Username, a.n.name, status, code)
			default:
				pulledBy[conv.ID] = append(pulledBy[conv.ID], a.user.Username)
				got[a.user.Username] = conv.ID
			}
		})
	}
	close(start)
	wg.Wait()
	if t.Failed() {
		return
	}
	if len(pulledBy) != queued || empty != agents-queued {
		t.Fatalf("%d conversations pulled and %d agents told the queue is empty; want %d and %d", len(pulledBy), empty, queued, agents-queued)
	}
	for _, w := range waiting {
		if by := pulledBy[w.ID]; len(by) != 1 {
			t.Errorf("conversation %d was pulled by %v, want exactly one agent", w.ID, by)
		}
	}
	for i, a := range pullers {
		asked := a.on(c.nodes[(i+1)%3]) // another node than the one it pulled on
		mine := asked.mine()
		want, pulled := got[a.user.Username]
		switch {
		case !pulled && len(mine) != 0:
			t.Errorf("%s pulled nothing but %s lists %d conversations", a.user.Username, asked.n.name, len(mine))
		case pulled && (len(mine) != 1 || mine[0].ID != want):
			t.Errorf("%s pulled %d but %s lists %v", a.user.Username, want, asked.n.name, ids(mine))
		}
	}
	for _, n := range c.nodes {
		if q := admin.on(n).queue(); len(q) != 0 {
			t.Errorf("%s still lists %d waiting customers", n.name, len(q))
		}
	}
	for _, w := range waiting {
		assigned := 0
		for _, e := range admin.on(c.nodes[2]).detail(w.ID).Timeline {
			if e.Kind == "assigned" {
				assigned++
			}
		}
		if assigned != 1 {
			t.Errorf("conversation %d's timeline shows %d assignments", w.ID, assigned)
		}
	}
}

func ids(cs []wire.Conversation) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ID)
	}
	slices.Sort(out)
	return out
}

// Ayşe, her app on node 1, offers a conversation to Mehmet, whose app is on node 3: his app
// shows the offer with her note; he accepts on node 3; her app learns on node 1 that it went to
// him (without the customer's details any more), her reply is refused, his reaches the customer,
// and the timeline — read on node 2 — has the offer and the acceptance with the note.
func TestTransferOfferedOnOneNodeAcceptedOnAnother(t *testing.T) {
	c := newCluster(t, options{})
	a, b, cc := c.nodes[0], c.nodes[1], c.nodes[2]
	admin := c.admin(b)
	ayse := c.agent(admin, a, "ayse", nil)
	mehmet := c.agent(admin, cc, "mehmet", nil)
	ayse.presence(wire.Online)
	conv := c.customer(b, "905321234567", "t-1", "İade etmek istiyorum").ConversationID
	if mine := ids(ayse.mine()); !slices.Equal(mine, []int64{conv}) {
		t.Fatalf("ayse, alone online, should hold the conversation; she holds %v", mine)
	}
	mehmet.presence(wire.Online)
	ayseApp, mehmetApp := ayse.stream(a, -1), mehmet.stream(cc, -1)
	defer ayseApp.close()
	defer mehmetApp.close()

	const note = "Kargo iadesi istiyor, fatura ekte"
	var offer wire.TransferOffer
	ayse.must("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conv), wire.TransferRequest{ToAgentID: mehmet.user.ID, Note: note}, &offer, http.StatusCreated)
	mehmetApp.waitFor(15*time.Second, "the transfer offer with its note", func(ev []seen) bool {
		return slices.ContainsFunc(ev, func(e seen) bool {
			var d wire.OfferData
			return e.Type == wire.EventTransferOffered && json.Unmarshal(e.Data, &d) == nil && d.Offer.ID == offer.ID && d.Offer.Note == note
		})
	})
	var offers []wire.TransferOffer
	mehmet.must("GET", "/api/v1/transfers", nil, &offers, http.StatusOK)
	if len(offers) != 1 || offers[0].ID != offer.ID || offers[0].FromAgentID != ayse.user.ID {
		t.Fatalf("node3 lists mehmet's offers as %+v", offers)
	}

	var got wire.Conversation
	mehmet.must("POST", fmt.Sprintf("/api/v1/transfers/%d/accept", offer.ID), nil, &got, http.StatusOK)
	if got.AgentID == nil || *got.AgentID != mehmet.user.ID {
		t.Fatalf("the accepted conversation is held by %v", got.AgentID)
	}
	events := ayseApp.waitFor(15*time.Second, "the conversation leaving ayse", func(ev []seen) bool {
		return slices.ContainsFunc(ev, func(e seen) bool {
			var d wire.AssignedData
			return e.Type == wire.EventConversationAssigned && e.ConversationID == conv && json.Unmarshal(e.Data, &d) == nil &&
				d.Conversation.AgentID != nil && *d.Conversation.AgentID == mehmet.user.ID
		})
	})
	for _, e := range events {
		var d wire.AssignedData
		if e.Type == wire.EventConversationAssigned && json.Unmarshal(e.Data, &d) == nil && d.Conversation.ID == conv &&
			*d.Conversation.AgentID != ayse.user.ID && !d.Conversation.Redacted {
			t.Fatalf("ayse, who no longer holds it, was sent the conversation whole: %+v", d.Conversation)
		}
	}
	if !has(events, wire.EventTransferResolved, conv) {
		t.Fatal("ayse's app was not told her offer was accepted")
	}
	if status, code := ayse.do("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), wire.SendMessageRequest{Body: "Merhaba"}, nil); code != wire.CodeNotHolder {
		t.Fatalf("ayse's reply after the transfer: %d %s, want not_holder", status, code)
	}
	mehmet.must("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", conv), wire.SendMessageRequest{Body: "İadenizi başlattım."}, nil, http.StatusCreated)
	var received []wire.SandboxOutbound
	c.anon(b).must("GET", "/sandbox/messages?sender_id=905321234567", nil, &received, http.StatusOK)
	if len(received) != 1 || received[0].Body != "İadenizi başlattım." {
		t.Fatalf("the customer received %+v", received)
	}
	if mine := ids(mehmet.on(a).mine()); !slices.Equal(mine, []int64{conv}) {
		t.Fatalf("node1 lists mehmet's conversations as %v", mine)
	}
	if mine := ayse.on(cc).mine(); len(mine) != 0 {
		t.Fatalf("node3 still lists %v as ayse's", ids(mine))
	}
	var offered, accepted int
	for _, e := range admin.detail(conv).Timeline {
		var d struct {
			Note string `json:"note"`
		}
		json.Unmarshal(e.Data, &d)
		switch e.Kind {
		case "transfer_offered":
			offered++
		case "transfer_accepted":
			accepted++
			if d.Note != note {
				t.Errorf("the acceptance in the timeline carries the note %q", d.Note)
			}
		}
	}
	if offered != 1 || accepted != 1 {
		t.Fatalf("the timeline shows %d offers and %d acceptances, want one each", offered, accepted)
	}
}

// Customers write to node 1 while two agents are online: Ayşe's app on node 2, Mehmet's on
// node 1 itself. Each conversation is assigned on node 1 as it arrives; every assignment reaches
// the holder's app, whichever node it is on. The time from the customer's message to the
// assignment on the agent's socket is a figure (printed, not asserted): node 2 hears node 1's
// commits through NATS when the nodes have it, else by its poll of the event log (1 s); Mehmet's
// figure, on the deciding node, is the single-node baseline of the same run.
func TestAssignmentOnOneNodeReachesAnAgentOnAnother(t *testing.T) {
	c := newCluster(t, options{})
	deciding, other := c.nodes[0], c.nodes[1]
	admin := c.admin(other)
	ayse := c.agent(admin, other, "ayse", limit(100))
	mehmet := c.agent(admin, deciding, "mehmet", limit(100))
	ayse.presence(wire.Online)
	mehmet.presence(wire.Online)
	apps := map[*client]*stream{ayse: ayse.stream(other, -1), mehmet: mehmet.stream(deciding, -1)}
	for _, s := range apps {
		defer s.close()
	}

	const customers = 160
	sentAt := map[int64]time.Time{}
	for i := range customers {
		at := time.Now()
		conv := c.customer(deciding, fmt.Sprintf("90532300%04d", i), fmt.Sprintf("l-%d", i), "Merhaba").ConversationID
		sentAt[conv] = at
		time.Sleep(25 * time.Millisecond) // a steady 40 customers a second, not a measured wait
	}
	latency := map[int64][]time.Duration{}
	for cl, s := range apps {
		agent, holds := cl.user.ID, len(cl.mine())
		events := s.waitFor(30*time.Second, "every assignment to its agent", func(ev []seen) bool {
			n := 0
			for _, e := range ev {
				if e.Type == wire.EventConversationAssigned {
					n++
				}
			}
			return n >= holds
		})
		for _, e := range events {
			var d wire.AssignedData
			if e.Type == wire.EventConversationAssigned && json.Unmarshal(e.Data, &d) == nil && *d.Conversation.AgentID == agent {
				latency[agent] = append(latency[agent], e.at.Sub(sentAt[e.ConversationID]))
			}
		}
	}
	if got := len(latency[ayse.user.ID]) + len(latency[mehmet.user.ID]); got != customers {
		t.Fatalf("%d assignments reached their agents, want %d", got, customers)
	}
	wake := "polls the event log every 1s"
	if c.nats != "" {
		wake = "woken through NATS"
	}
	cross, same := percentiles(latency[ayse.user.ID]), percentiles(latency[mehmet.user.ID])
	verdict := "MISS"
	if cross[1] <= 200*time.Millisecond {
		verdict = "PASS"
	}
	t.Logf("customer's message on node1 → its assignment on the agent's socket (node2 %s), %d samples: p50 %s, p99 %s; on node1 itself (baseline), %d samples: p50 %s, p99 %s; ratio of p99s %.1f×; goal p99 ≤ 200 ms on another node: %s",
		wake, len(latency[ayse.user.ID]), cross[0], cross[1], len(latency[mehmet.user.ID]), same[0], same[1],
		float64(cross[1])/float64(max(same[1], time.Microsecond)), verdict)
}

// percentiles returns p50 and p99.
func percentiles(d []time.Duration) [2]time.Duration {
	if len(d) == 0 {
		return [2]time.Duration{}
	}
	d = slices.Clone(d)
	sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
	at := func(p float64) time.Duration {
		return d[min(len(d)-1, int(p*float64(len(d))))].Round(100 * time.Microsecond)
	}
	return [2]time.Duration{at(0.50), at(0.99)}
}
