package nodes

// Supervisor actions taken at the same instant on different nodes (issue 11 line 2: "each one
// exact on the server"): the hard cap and the single holder hold without SQLite's lock, and a
// supervisor's break withdraws an offer that another node is making at that moment.

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"santral/backend/wire"
)

// Three supervisors, one per node, hand nine waiting conversations to one agent at once while
// the workspace's hard cap is 3: exactly three reach her, the other six are refused with
// hard_cap_reached and stay in the queue, she lists the same three on every node, and each of
// the three has one assignment in its timeline, with its supervisor as the actor. Then the three
// supervisors, each seeing one conversation waiting, give it to three different agents at once:
// exactly one of them gets it, the others are told it moved (not silently taking it from the
// first).
func TestSupervisorsReassignAtOnceOverThreeNodes(t *testing.T) {
	c := newCluster(t, options{})
	admin := c.admin(c.nodes[0])
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false; s.HardCap = 3 })
	var sups []*client
	for i, n := range c.nodes {
		name := fmt.Sprintf("sup%d", i+1)
		c.newUser(admin, name, wire.RoleSupervisor, nil)
		sups = append(sups, c.login(n, name, "password-"+name))
	}
	hedef := c.agent(admin, c.nodes[1], "hedef", nil)
	hedef.presence(wire.Online)
	for i := range 9 {
		c.customer(c.nodes[i%3], fmt.Sprintf("90533200%04d", i), fmt.Sprintf("r-%d", i), fmt.Sprintf("Bekliyorum %d", i))
	}
	waiting := admin.queue()
	if len(waiting) != 9 {
		t.Fatalf("%d waiting, want 9", len(waiting))
	}

	type result struct {
		conv   int64
		by     *client
		status int
		code   wire.Code
	}
	results := make(chan result, len(waiting))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, w := range waiting {
		sup := sups[i%3]
		wg.Go(func() {
			<-start
			status, code, err := sup.try("POST", fmt.Sprintf("/api/v1/conversations/%d/reassign", w.ID), wire.ReassignRequest{ToAgentID: hedef.user.ID}, nil)
			if err != nil {
				t.Errorf("%s's reassign on %s: %v", sup.user.Username, sup.n.name, err)
			}
			results <- result{w.ID, sup, status, code}
		})
	}
	close(start)
	wg.Wait()
	close(results)
	given := map[int64]*client{}
	refused := 0
	for r := range results {
		switch {
		case r.status == http.StatusOK:
			given[r.conv] = r.by
		case r.code == wire.CodeHardCapReached:
			refused++
		default:
			t.Errorf("reassigning %d: %d %s, want 200 or hard_cap_reached", r.conv, r.status, r.code)
		}
	}
	if len(given) != 3 || refused != 6 {
		t.Fatalf("%d reassigned and %d refused at the hard cap; want 3 and 6", len(given), refused)
	}
	for _, n := range c.nodes {
		mine := hedef.on(n).mine()
		if len(mine) != 3 {
			t.Errorf("%s lists %d conversations for hedef, want the 3 reassigned", n.name, len(mine))
		}
		for _, m := range mine {
			if given[m.ID] == nil {
				t.Errorf("%s lists conversation %d for hedef, which no supervisor was told she got", n.name, m.ID)
			}
		}
		if q := admin.on(n).queue(); len(q) != 6 {
			t.Errorf("%s lists %d waiting, want the 6 refused", n.name, len(q))
		}
	}
	for conv, sup := range given {
		assigned := 0
		for _, e := range admin.on(c.nodes[2]).detail(conv).Timeline {
			if e.Kind != "assigned" {
				continue
			}
			assigned++
			if e.ActorID == nil || *e.ActorID != sup.user.ID {
				t.Errorf("conversation %d's assignment names actor %v, want %s (%d)", conv, e.ActorID, sup.user.Username, sup.user.ID)
			}
		}
		if assigned != 1 {
			t.Errorf("conversation %d's timeline shows %d assignments, want 1", conv, assigned)
		}
	}

	// One conversation, three supervisors, three agents.
	var agents []*client
	for i, n := range c.nodes {
		a := c.agent(admin, n, fmt.Sprintf("aday%d", i+1), nil)
		a.presence(wire.Online)
		agents = append(agents, a)
	}
	one := admin.queue()[0].ID
	fromQueue := int64(0) // each dashboard showed it waiting
	codes := make([]wire.Code, 3)
	statuses := make([]int, 3)
	start = make(chan struct{})
	for i := range 3 {
		wg.Go(func() {
			<-start
			var err error
			statuses[i], codes[i], err = sups[i].try("POST", fmt.Sprintf("/api/v1/conversations/%d/reassign", one), wire.ReassignRequest{ToAgentID: agents[i].user.ID, FromAgentID: &fromQueue}, nil)
			if err != nil {
				t.Errorf("reassign on %s: %v", sups[i].n.name, err)
			}
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i := range 3 {
		switch {
		case statuses[i] == http.StatusOK && winner == -1:
			winner = i
		case statuses[i] == http.StatusOK:
			t.Errorf("conversation %d was given to both %s and %s", one, agents[winner].user.Username, agents[i].user.Username)
		case codes[i] != wire.CodeConversationMoved:
			t.Errorf("%s's reassign: %d %s, want conversation_moved", sups[i].user.Username, statuses[i], codes[i])
		}
	}
	if winner == -1 {
		t.Fatalf("no supervisor could reassign conversation %d: %v", one, codes)
	}
	for i, a := range agents {
		held := 0
		for _, m := range a.on(c.nodes[(i+1)%3]).mine() {
			if m.ID == one {
				held++
			}
		}
		if want := map[bool]int{true: 1, false: 0}[i == winner]; held != want {
			t.Errorf("%s lists conversation %d %d times, want %d", a.user.Username, one, held, want)
		}
	}
}

// An agent offers a conversation to a colleague on node 1 while a supervisor on node 3 puts the
// colleague on break, twenty times over: whichever runs first, no offer is ever left pending to
// an agent on break — either the offer is refused (agent_on_break) or the break withdraws it.
func TestSupervisorsBreakRacesAnOfferOnAnotherNode(t *testing.T) {
	c := newCluster(t, options{})
	admin := c.admin(c.nodes[0])
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })
	c.newUser(admin, "selin", wire.RoleSupervisor, nil)
	sup := c.login(c.nodes[2], "selin", "password-selin")
	sender := c.agent(admin, c.nodes[0], "ayse", nil)
	receiver := c.agent(admin, c.nodes[1], "mehmet", nil)
	sender.presence(wire.Online)
	c.customer(c.nodes[0], "905334000001", "race-1", "Merhaba")
	var conv wire.Conversation
	sender.must("POST", "/api/v1/queue/pull", nil, &conv, http.StatusOK)

	outcomes := map[string]int{}
	for round := range 20 {
		receiver.presence(wire.Online)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var offerStatus, breakStatus int
		var offerCode, breakCode wire.Code
		wg.Go(func() {
			<-start
			var err error
			offerStatus, offerCode, err = sender.try("POST", fmt.Sprintf("/api/v1/conversations/%d/transfer", conv.ID), wire.TransferRequest{ToAgentID: receiver.user.ID, Note: fmt.Sprintf("tur %d", round)}, nil)
			if err != nil {
				t.Errorf("offer: %v", err)
			}
		})
		wg.Go(func() {
			<-start
			var err error
			breakStatus, breakCode, err = sup.try("PUT", fmt.Sprintf("/api/v1/users/%d/presence", receiver.user.ID), wire.AgentPresenceRequest{Presence: wire.Break, Reason: "toplantı"}, nil)
			if err != nil {
				t.Errorf("break: %v", err)
			}
		})
		close(start)
		wg.Wait()
		if breakStatus != http.StatusOK {
			t.Fatalf("round %d: the supervisor's break: %d %s", round, breakStatus, breakCode)
		}
		switch {
		case offerStatus == http.StatusCreated || offerStatus == http.StatusOK:
			outcomes["offered, then withdrawn by the break"]++
		case offerCode == wire.CodeAgentOnBreak:
			outcomes["refused: already on break"]++
		default:
			t.Fatalf("round %d: the offer: %d %s", round, offerStatus, offerCode)
		}
		for _, n := range c.nodes {
			var pending []wire.TransferOffer
			admin.on(n).must("GET", "/api/v1/transfers", nil, &pending, http.StatusOK)
			for _, o := range pending {
				if o.ToAgentID == receiver.user.ID && o.State == wire.OfferPending {
					t.Fatalf("round %d: %s lists offer %d pending to mehmet, who is on break", round, n.name, o.ID)
				}
			}
		}
		if mine := receiver.mine(); len(mine) != 0 {
			t.Fatalf("round %d: mehmet, on break, holds %d conversations", round, len(mine))
		}
	}
	t.Logf("outcomes over 20 rounds: %v", outcomes)
}
