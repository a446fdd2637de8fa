package routing

// The rules with several nodes deciding at once. Each node is a Service over a Store of its
// own (its own connections and committer) on one database: a SQLite file, where the single
// writer serialises them, and a fresh PostgreSQL database, where row locks must.

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"santral/backend/store"
	"santral/backend/store/storetest"
	"santral/backend/stream"
	"santral/backend/wire"
)

// cluster is n nodes on one database.
type cluster struct {
	t       *testing.T
	nodes   []*Service
	stores  []*store.Store
	raw     *sql.DB // fixtures only: what no rule can do (an offer's deadline moved closer)
	channel int64
}

func forEachBackendNodes(t *testing.T, n int, f func(t *testing.T, c *cluster)) {
	open := func(t *testing.T, opener func() (*store.Store, error), raw *sql.DB) *cluster {
		c := &cluster{t: t, raw: raw}
		t.Cleanup(func() { raw.Close() })
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		for range n {
			st, err := opener()
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			c.stores = append(c.stores, st)
			c.nodes = append(c.nodes, New(st, stream.NewHub(st, time.Second, 1024, log), log))
		}
		if _, err := c.stores[0].Tx(context.Background(), func(tx *store.Tx) (err error) {
			c.channel, err = tx.EnsureChannel(wire.ChannelSandbox, "Sandbox")
			return err
		}); err != nil {
			t.Fatal(err)
		}
		return c
	}
	t.Run("sqlite", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "santral.db")
		raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000")
		if err != nil {
			t.Fatal(err)
		}
		f(t, open(t, func() (*store.Store, error) { return store.OpenSQLite(context.Background(), path) }, raw))
	})
	t.Run("postgres", func(t *testing.T) {
		dsn := storetest.Postgres(t)
		raw, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		f(t, open(t, func() (*store.Store, error) { return store.OpenPostgres(context.Background(), dsn) }, raw))
	})
}

// node is the node the i-th actor uses: actors spread over every node.
func (c *cluster) node(i int) *Service { return c.nodes[i%len(c.nodes)] }

func (c *cluster) settings(set wire.Settings) {
	c.t.Helper()
	if _, err := c.nodes[0].PutSettings(context.Background(), set); err != nil {
		c.t.Fatal(err)
	}
}

func (c *cluster) agent(name string, autoLimit *int) int64 {
	c.t.Helper()
	var id int64
	if _, err := c.stores[0].Tx(context.Background(), func(tx *store.Tx) (err error) {
		id, err = tx.CreateUser(name, name, "hash", wire.RoleAgent, autoLimit, nil)
		return err
	}); err != nil {
		c.t.Fatal(err)
	}
	return id
}

func (c *cluster) presence(node int, agent int64, p wire.Presence) {
	c.t.Helper()
	if _, err := c.node(node).SetPresence(context.Background(), agent, p, ""); err != nil {
		c.t.Fatal(err)
	}
}

// customer writes a first message on a node; it returns the conversation.
func (c *cluster) customer(node int, id string) (int64, error) {
	res, err := c.node(node).Ingest(context.Background(), Inbound{ChannelID: c.channel, SenderID: id, ExternalID: "m-" + id, Body: "Merhaba"})
	return res.ConversationID, err
}

func (c *cluster) conversation(id int64) wire.Conversation {
	c.t.Helper()
	conv, err := c.stores[0].Conversation(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return conv
}

// assignments counts the times the conversation was assigned (its timeline).
func (c *cluster) assignments(id int64) int {
	c.t.Helper()
	tl, err := c.stores[0].Timeline(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	n := 0
	for _, e := range tl {
		if e.Kind == "assigned" {
			n++
		}
	}
	return n
}

func (c *cluster) user(id int64) store.UserRow {
	c.t.Helper()
	u, err := c.stores[0].User(context.Background(), id)
	if err != nil {
		c.t.Fatal(err)
	}
	return u
}

// Fifty agents on three nodes pull at the same instant from a queue of twenty: each
// conversation goes to exactly one of them, twenty pulls succeed, the others are told the queue
// is empty, and the queue is empty.
func TestConcurrentPullsOnSeveralNodes(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: false, OfferTimeoutSeconds: 120, OfflineGraceSeconds: 60})
		const queued, agents = 20, 50
		var convs []int64
		for i := range queued {
			id, err := c.customer(i, fmt.Sprint("c", i))
			if err != nil {
				t.Fatal(err)
			}
			convs = append(convs, id)
		}
		ids := make([]int64, agents)
		for i := range agents {
			ids[i] = c.agent(fmt.Sprint("agent", i), nil)
			c.presence(i, ids[i], wire.Online)
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		won := map[int64][]int64{} // conversation → agents whose pull returned it
		empty := 0
		for i, agent := range ids {
			wg.Go(func() {
				<-start
				conv, err := c.node(i).Pull(ctx, agent)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case wire.CodeOf(err) == wire.CodeQueueEmpty:
					empty++
				case err != nil:
					t.Errorf("pull by %d: %v", agent, err)
				default:
					won[conv.ID] = append(won[conv.ID], agent)
				}
			})
		}
		close(start)
		wg.Wait()
		if len(won) != queued || empty != agents-queued {
			t.Fatalf("%d conversations pulled and %d pulls found the queue empty; want %d and %d", len(won), empty, queued, agents-queued)
		}
		for _, id := range convs {
			if len(won[id]) != 1 {
				t.Fatalf("conversation %d pulled by %v, want exactly one agent", id, won[id])
			}
			if got := c.conversation(id); got.State != wire.Assigned || *got.AgentID != won[id][0] || c.assignments(id) != 1 {
				t.Fatalf("conversation %d is %s with %v, assigned %d times; want held by its one puller %d", id, got.State, got.AgentID, c.assignments(id), won[id][0])
			}
		}
		if n, _, _ := c.stores[1].QueueStats(ctx); n != 0 {
			t.Fatalf("queue length %d after every conversation was pulled", n)
		}
	})
}

// One agent pulls many times at once through three nodes: the hard cap holds.
func TestHardCapHoldsAcrossNodes(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: false, HardCap: 3, OfferTimeoutSeconds: 120, OfflineGraceSeconds: 60})
		for i := range 10 {
			if _, err := c.customer(i, fmt.Sprint("c", i)); err != nil {
				t.Fatal(err)
			}
		}
		ayse := c.agent("ayse", nil)
		c.presence(0, ayse, wire.Online)
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		pulled, capped := 0, 0
		for i := range 12 {
			wg.Go(func() {
				<-start
				_, err := c.node(i).Pull(ctx, ayse)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case wire.CodeOf(err) == wire.CodeHardCapReached:
					capped++
				case err != nil:
					t.Errorf("pull: %v", err)
				default:
					pulled++
				}
			})
		}
		close(start)
		wg.Wait()
		if u := c.user(ayse); pulled != 3 || capped != 9 || u.Active != 3 {
			t.Fatalf("%d pulls succeeded, %d hit the cap, she holds %d; want 3, 9 and the cap of 3", pulled, capped, u.Active)
		}
	})
}

// Agents come online on three nodes while customers write on all of them, with automatic
// assignment on: no agent is ever given more than their limit, no conversation is assigned
// twice, and once things settle (the sweep's round) the queue holds only what no agent can take.
func TestAgentsComingOnlineWhileConversationsArrive(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: true, DefaultLimit: 2, OfferTimeoutSeconds: 120, OfflineGraceSeconds: 60})
		const agents, customers = 24, 70
		one, three := 1, 3
		limits := map[int64]int{}
		var ids []int64
		for i := range agents {
			var own *int
			limit := 2
			switch i % 4 {
			case 1:
				own, limit = &one, 1
			case 2:
				own, limit = &three, 3
			}
			id := c.agent(fmt.Sprint("agent", i), own)
			ids = append(ids, id)
			limits[id] = limit
		}
		start := make(chan struct{})
		var wg sync.WaitGroup
		var mu sync.Mutex
		var convs []int64
		for i, id := range ids {
			wg.Go(func() {
				<-start
				// Some come back from a break on the way: online, break, online.
				if _, err := c.node(i).SetPresence(ctx, id, wire.Online, ""); err != nil {
					t.Error(err)
				}
				if i%3 == 0 {
					if _, err := c.node(i+1).SetPresence(ctx, id, wire.Break, "çay"); err != nil {
						t.Error(err)
					}
					if _, err := c.node(i+2).SetPresence(ctx, id, wire.Online, ""); err != nil {
						t.Error(err)
					}
				}
			})
		}
		for i := range customers {
			wg.Go(func() {
				<-start
				conv, err := c.customer(i, fmt.Sprint("c", i))
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				convs = append(convs, conv)
				mu.Unlock()
			})
		}
		close(start)
		wg.Wait()
		if t.Failed() {
			return
		}
		check := func(when string) int {
			t.Helper()
			total := 0
			for _, id := range ids {
				u := c.user(id)
				if u.Active > limits[id] {
					t.Fatalf("%s: agent %d holds %d, above their limit %d", when, id, u.Active, limits[id])
				}
				total += u.Active
			}
			for _, conv := range convs {
				if n := c.assignments(conv); n > 1 {
					t.Fatalf("%s: conversation %d was assigned %d times", when, conv, n)
				}
			}
			return total
		}
		check("after the rush")
		if err := c.nodes[1].Sweep(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
		capacity := 0
		for _, l := range limits {
			capacity += l
		}
		if total := check("settled"); total != min(customers, capacity) {
			n, _, _ := c.stores[0].QueueStats(ctx)
			t.Fatalf("settled: %d assigned, %d still queued; want %d assigned (every agent full or the queue empty)", total, n, min(customers, capacity))
		}
	})
}

// A transfer offer races its expiry and the receiver going on break, each on its own node,
// round after round: it is accepted only while the receiver is online (the acceptance commits
// before the break), and it is never left pending to a receiver on break. A transfer that races
// the break is refused or withdrawn.
func TestAcceptRacesExpiryAndBreak(t *testing.T) {
	forEachBackendNodes(t, 3, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: false, OfferTimeoutSeconds: 60, OfflineGraceSeconds: 60})
		ali, berk := c.agent("ali", nil), c.agent("berk", nil)
		c.presence(0, ali, wire.Online)
		outcomes := map[string]int{}
		for round := range 30 {
			conv, err := c.customer(round, fmt.Sprint("c", round))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := c.node(round).Pull(ctx, ali); err != nil {
				t.Fatal(err)
			}
			c.presence(round, berk, wire.Online)

			// The offer against the break.
			var offer wire.TransferOffer
			var transferErr error
			race(func() {
				offer, transferErr = c.node(round).Transfer(ctx, ali, conv, wire.TransferRequest{ToAgentID: berk})
			}, func() {
				c.presence(round+1, berk, wire.Break)
			})
			if transferErr != nil {
				if code := wire.CodeOf(transferErr); code != wire.CodeAgentOnBreak {
					t.Fatalf("round %d: transfer refused with %v, want %s", round, transferErr, wire.CodeAgentOnBreak)
				}
				outcomes["transfer refused: on break"]++
			} else if o, _ := c.stores[0].Offer(ctx, offer.ID); o.State == wire.OfferPending {
				t.Fatalf("round %d: offer %d left pending to a receiver on break", round, offer.ID)
			} else {
				outcomes["offer withdrawn by the break"]++
			}

			// Accept against expiry against the break.
			c.presence(round, berk, wire.Online)
			if offer, err = c.node(round).Transfer(ctx, ali, conv, wire.TransferRequest{ToAgentID: berk}); err != nil {
				t.Fatal(err)
			}
			due := store.Now() + int64(rand.IntN(4))
			if _, err := c.raw.Exec(fmt.Sprintf(`UPDATE transfer_offers SET expires_at = %d WHERE id = %d`, due, offer.ID)); err != nil {
				t.Fatal(err)
			}
			var acceptErr error
			race(func() {
				_, acceptErr = c.node(round).Accept(ctx, berk, offer.ID)
			}, func() {
				for store.Now() <= due { // the sweep runs until the deadline has passed
					if err := c.node(round+1).Sweep(ctx, time.Hour); err != nil {
						t.Error(err)
					}
				}
				if err := c.node(round+1).Sweep(ctx, time.Hour); err != nil {
					t.Error(err)
				}
			}, func() {
				c.presence(round+2, berk, wire.Break)
			})
			o, err := c.stores[0].Offer(ctx, offer.ID)
			if err != nil {
				t.Fatal(err)
			}
			holder := *c.conversation(conv).AgentID
			switch o.State {
			case wire.OfferAccepted:
				if acceptErr != nil || holder != berk {
					t.Fatalf("round %d: offer accepted but accept said %v and %d holds it", round, acceptErr, holder)
				}
				if accepted, onBreak := c.order(conv, berk); accepted > onBreak {
					t.Fatalf("round %d: accepted (event %d) after the receiver went on break (event %d)", round, accepted, onBreak)
				}
			case wire.OfferExpired, wire.OfferWithdrawn:
				if acceptErr == nil || holder != ali {
					t.Fatalf("round %d: offer %s but accept said %v and %d holds it", round, o.State, acceptErr, holder)
				}
			default:
				t.Fatalf("round %d: offer %s with the receiver on break", round, o.State)
			}
			outcomes["offer "+string(o.State)]++
			if list, err := c.stores[0].OffersFor(ctx, berk, false); err != nil || len(list) != 0 {
				t.Fatalf("round %d: pending offers to the receiver on break: %v %v", round, list, err)
			}
			// Back to the sender for the next round, if it moved.
			if holder == berk {
				c.presence(round, berk, wire.Online)
				back, err := c.node(round).Transfer(ctx, berk, conv, wire.TransferRequest{ToAgentID: ali})
				if err == nil {
					_, err = c.node(round).Accept(ctx, ali, back.ID)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
		}
		t.Logf("outcomes: %v", outcomes)
	})
}

// order returns the sequence numbers of the conversation's last acceptance and of the
// receiver's last presence change to break: the log's order is the commit order.
func (c *cluster) order(conv, receiver int64) (accepted, onBreak int64) {
	c.t.Helper()
	events, err := c.stores[0].EventsAfter(context.Background(), 0, 0, 0, true, 1_000_000, 0)
	if err != nil {
		c.t.Fatal(err)
	}
	for _, e := range events {
		switch {
		case e.Type == wire.EventTransferResolved && e.ConversationID == conv && contains(e.Data, `"state":"accepted"`):
			accepted = e.Seq
		case e.Type == wire.EventPresenceChanged && contains(e.Data, fmt.Sprintf(`"id":%d,`, receiver)) && contains(e.Data, `"presence":"break"`):
			onBreak = e.Seq
		}
	}
	if accepted == 0 || onBreak == 0 {
		c.t.Fatalf("no acceptance (%d) or break (%d) in the log", accepted, onBreak)
	}
	return accepted, onBreak
}

func contains(data []byte, s string) bool { return bytes.Contains(data, []byte(s)) }

// race runs the functions at once and waits for all.
func race(fns ...func()) {
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, fn := range fns {
		wg.Go(func() {
			<-start
			fn()
		})
	}
	close(start)
	wg.Wait()
}

// An agent's app moves from one node to another: the old connection drops on one node while
// the new one opens on another, at the same instant. Still connected, they get no offline
// deadline — round after round, whichever commits first.
func TestReconnectingToAnotherNodeKeepsTheAgentOnline(t *testing.T) {
	forEachBackendNodes(t, 2, func(t *testing.T, c *cluster) {
		ctx := context.Background()
		c.settings(wire.Settings{AutoAssign: false, OfferTimeoutSeconds: 60, OfflineGraceSeconds: 60})
		ayse := c.agent("ayse", nil)
		if err := c.nodes[0].Connected(ctx, "conn-0", ayse, "node-a"); err != nil {
			t.Fatal(err)
		}
		c.presence(0, ayse, wire.Online)
		for round := range 40 {
			old, next := fmt.Sprint("conn-", round), fmt.Sprint("conn-", round+1)
			from, to := c.nodes[round%2], c.nodes[(round+1)%2]
			race(func() {
				if err := from.Disconnected(ctx, old, ayse); err != nil {
					t.Error(err)
				}
			}, func() {
				if err := to.Connected(ctx, next, ayse, fmt.Sprint("node-", (round+1)%2)); err != nil {
					t.Error(err)
				}
			})
			if u := c.user(ayse); u.OfflineDeadline != 0 {
				t.Fatalf("round %d: connected on another node, yet an offline deadline %d", round, u.OfflineDeadline)
			}
		}
	})
}
