package server_test

// Nodes waking each other through NATS: two santrald on one database (PostgreSQL, and one
// SQLite file), each with a safety-net poll of a minute, so that within the tests' deadlines
// only a wake through NATS can bring one node's commit to the other's sockets.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"santral/backend/cluster/natstest"
	"santral/backend/config"
	"santral/backend/store/storetest"
	"santral/backend/wire"
)

// nodesOn starts santrald nodes named names on one database (backend "sqlite": one file;
// "postgres": a new database) with NATS at natsURL ("" : none) and the given poll.
func nodesOn(t *testing.T, backend, natsURL string, poll time.Duration, names ...string) []*env {
	t.Helper()
	dir := t.TempDir() // shared: the SQLite file, and the secret key every node must hold
	db := ""
	if backend == "postgres" {
		db = storetest.Postgres(t)
	}
	var out []*env
	for _, name := range names {
		out = append(out, startWithOn(t, dir, func(c *config.Config) {
			c.DB, c.NATS, c.NodeID = db, natsURL, name
			c.StreamPoll = poll
			// The sweep's assignment round and the outbox wait a minute too: what the tests see
			// comes from the decisions themselves.
			c.SweepInterval = time.Minute
		}))
	}
	return out
}

func metricsOf(t *testing.T, e *env) func() map[string]float64 {
	ms := httptest.NewServer(e.srv.MetricsHandler())
	t.Cleanup(ms.Close)
	return func() map[string]float64 { return scrape(t, ms.URL+"/metrics") }
}

// A customer writes to node A while the only agent online is connected to node B: the
// conversation is assigned in node A's own decision, and the agent's app on node B hears of it
// at once — woken through NATS, not by its poll. The agent's reply through node B reaches a
// supervisor watching on node A the same way.
func TestNodesWakeEachOtherThroughNATS(t *testing.T) {
	url := natstest.URL(t)
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			nodes := nodesOn(t, backend, url, time.Minute, "node-a", "node-b")
			a, b := nodes[0], nodes[1]
			for _, n := range nodes {
				if status, body := readyz(t, n.url); status != http.StatusOK || body["checks"].(map[string]any)["nats"] != "ok" {
					t.Fatalf("a node connected to NATS: readyz %d %v, want 200 with the nats check ok", status, body)
				}
			}
			ayse := b.agent("ayse", limit(5))
			app, _ := ayse.stream(-1)
			defer app.close()
			ayse.online()
			supervisor := a.user(wire.RoleSupervisor, "sema", nil)
			watch, _ := supervisor.stream(-1)
			defer watch.close()

			in := a.customer("905551110001", "Merhaba, siparişim nerede?")
			ev := app.until(10*time.Second, "conversation.assigned committed on node A", func(e wire.Event) bool {
				return e.Type == wire.EventConversationAssigned && e.ConversationID == in.ConversationID
			})
			var d wire.AssignedData
			if err := json.Unmarshal(ev.Data, &d); err != nil || d.Conversation.AgentID == nil || *d.Conversation.AgentID != ayse.user.ID || d.By != "auto" {
				t.Fatalf("assignment on node B's socket: %s, want the conversation given to ayşe automatically", ev.Data)
			}

			reply := ayse.reply(in.ConversationID, "Kargonuz yolda, yarın elinizde.")
			watch.until(10*time.Second, "the reply committed on node B", func(e wire.Event) bool {
				var m wire.MessageData
				return e.Type == wire.EventMessageCreated && json.Unmarshal(e.Data, &m) == nil && m.Message.ID == reply.ID
			})

			ma, mb := metricsOf(t, a)(), metricsOf(t, b)()
			if series(t, ma, "santral_nats_connected") != 1 || series(t, ma, "santral_wakes_published_total") < 1 || series(t, mb, "santral_wakes_received_total") < 1 {
				t.Fatalf("metrics: connected %v, node A published %v, node B heard %v",
					ma["santral_nats_connected"], ma["santral_wakes_published_total"], mb["santral_wakes_received_total"])
			}
		})
	}
}

// With NATS unreachable the nodes still take every message and still hear each other, by the
// poll; readiness names NATS as what is missing (and nothing else), and the failed wakes show.
func TestNodesWithoutNATSCarryOnByThePoll(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "nats://" + ln.Addr().String()
	ln.Close()
	nodes := nodesOn(t, "sqlite", closed, 100*time.Millisecond, "node-a", "node-b")
	a, b := nodes[0], nodes[1]
	for _, n := range nodes {
		if status, body := readyz(t, n.url); status != http.StatusServiceUnavailable || failedChecks(body) != "nats" {
			t.Fatalf("a node whose NATS is unreachable: readyz %d %v, want 503 naming nats only", status, body)
		}
	}
	ayse := b.agent("ayse", limit(5))
	app, _ := ayse.stream(-1)
	defer app.close()
	ayse.online()
	// Each message is answered 200 (customer asserts it): a wake that cannot be sent fails nothing.
	var last wire.SandboxInboundResult
	for i := range 5 {
		last = a.customer(fmt.Sprintf("9055522200%02d", i), "Merhaba")
	}
	app.until(10*time.Second, "the last conversation, by node B's poll", func(e wire.Event) bool {
		return e.Type == wire.EventConversationAssigned && e.ConversationID == last.ConversationID
	})
	m := metricsOf(t, a)()
	if series(t, m, "santral_nats_connected") != 0 || series(t, m, "santral_wakes_failed_total") < 1 {
		t.Fatalf("metrics during the outage: connected %v, failed wakes %v", m["santral_nats_connected"], m["santral_wakes_failed_total"])
	}
}

// NATS goes away under two nodes on PostgreSQL and comes back: meanwhile they are not ready and
// go on taking messages; once it is back they are ready again, the message committed during the
// outage reaches the other node's socket without waiting for the (minute-long) poll, and so do
// the ones after.
func TestNodesRideOutANATSRestart(t *testing.T) {
	srv := natstest.Start(t)
	nodes := nodesOn(t, "postgres", srv.URL, time.Minute, "node-a", "node-b")
	a, b := nodes[0], nodes[1]
	ayse := b.agent("ayse", limit(5))
	app, _ := ayse.stream(-1)
	defer app.close()
	ayse.online()
	assigned := func(what string, conv int64) {
		t.Helper()
		app.until(10*time.Second, what, func(e wire.Event) bool {
			return e.Type == wire.EventConversationAssigned && e.ConversationID == conv
		})
	}
	assigned("a conversation before the outage", a.customer("905553330001", "Merhaba").ConversationID)

	srv.Stop()
	for _, n := range nodes {
		eventually(t, 10*time.Second, "not ready without NATS", func() bool {
			status, body := readyz(t, n.url)
			return status == http.StatusServiceUnavailable && failedChecks(body) == "nats"
		})
	}
	during := a.customer("905553330002", "NATS yokken yazdım") // 200: the outage fails nothing

	srv.Resume()
	for _, n := range nodes {
		eventually(t, 10*time.Second, "ready once NATS is back", func() bool {
			status, _ := readyz(t, n.url)
			return status == http.StatusOK
		})
	}
	assigned("the conversation committed during the outage", during.ConversationID)
	assigned("a conversation after the outage", a.customer("905553330003", "Merhaba yine").ConversationID)
}
