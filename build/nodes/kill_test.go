package nodes

// SIGKILL of a node under load: no acknowledged message lost, and the desktop apps that were
// connected to it — the real sync engine, cache and client of app/ — move to another node and
// resume without a gap or a duplicate.

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"santral/app/cache"
	appclient "santral/app/client"
	appsync "santral/app/sync"
	"santral/backend/wire"
)

// desktop is one agent's desktop app: its sync engine over its own cache file, given the nodes
// of the Santral in the order it tries them.
type desktop struct {
	t        *testing.T
	name     string
	cache    *cache.Cache
	client   *appclient.Client
	state    atomic.Value // appsync.ConnectionState
	start    int64        // the cursor once first connected: what the stream delivers comes after it
	mu       sync.Mutex
	seqs     []int64       // every event the stream delivered, in order, across reconnections
	notified map[int64]int // customer messages in conversations the agent holds, as the app raised them
	stop     func()
}

func openDesktop(t *testing.T, agent *client, nodes ...*node) *desktop {
	t.Helper()
	c, err := cache.Open(filepath.Join(t.TempDir(), "cache.db"))
	if err != nil {
		t.Fatal(err)
	}
	var urls []string
	for _, n := range nodes {
		urls = append(urls, n.url)
	}
	d := &desktop{t: t, name: agent.user.Username, cache: c, client: appclient.New(strings.Join(urls, ", "), agent.token), notified: map[int64]int{}}
	d.state.Store(appsync.ConnectionState(""))
	hooks := appsync.Hooks{
		State: func(s appsync.State) { d.state.Store(s.State) },
		Effects: func(fx cache.Effects) {
			d.mu.Lock()
			for _, m := range fx.CustomerMessages {
				d.notified[m.ID]++
			}
			d.mu.Unlock()
		},
		Received: func(events []wire.Event) {
			d.mu.Lock()
			for _, e := range events {
				d.seqs = append(d.seqs, e.Seq)
			}
			d.mu.Unlock()
		},
	}
	engine := appsync.New(c, d.client, agent.user.ID, hooks,
		appsync.Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 500 * time.Millisecond, ReadTimeout: 10 * time.Second}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { engine.Run(ctx); close(done) }()
	var once sync.Once
	d.stop = func() { once.Do(func() { cancel(); <-done; c.Close() }) }
	t.Cleanup(d.stop)
	eventually(t, 30*time.Second, d.name+"'s app to connect", func() bool { return d.state.Load() == appsync.StateConnected })
	if d.start, err = c.Cursor(); err != nil {
		t.Fatal(err)
	}
	return d
}

func (d *desktop) delivered() []int64 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.seqs)
}

func TestKilledNodeUnderLoad(t *testing.T) {
	c := newCluster(t, options{})
	n1, n2, n3 := c.nodes[0], c.nodes[1], c.nodes[2]
	admin := c.admin(n1)
	admin.settings(func(s *wire.Settings) { s.AutoAssign, s.DefaultLimit = true, 20 })
	channel := c.whatsapp(admin, newGraph(t, "").URL)
	ayse := c.agent(admin, n2, "ayse", nil)
	mehmet := c.agent(admin, n2, "mehmet", nil)
	zeynep := c.agent(admin, n3, "zeynep", nil)
	for _, a := range []*client{ayse, mehmet, zeynep} {
		a.presence(wire.Online)
	}
	// Two apps on node 2, the one that will be killed, each knowing the other nodes too.
	apps := []*desktop{openDesktop(t, ayse, n2, n3, n1), openDesktop(t, mehmet, n2, n1, n3), openDesktop(t, zeynep, n3, n1, n2)}
	agentOf := map[*desktop]*client{apps[0]: ayse, apps[1]: mehmet, apps[2]: zeynep}

	// Meta delivers signed webhooks to the three nodes in turn, six at a time.
	const customers, total, killAfter = 45, 450, 150
	type delivery struct {
		wamid string
		body  []byte
	}
	jobs := make(chan int)
	var mu sync.Mutex
	acked := map[string]bool{}
	var unacked []delivery
	var acks atomic.Int64
	var kill sync.Once
	killed := make(chan struct{})
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for i := range jobs {
				d := delivery{wamid: fmt.Sprintf("wamid.kill.%04d", i)}
				d.body = whatsappText(fmt.Sprintf("90532400%04d", i%customers), d.wamid, fmt.Sprintf("mesaj %d", i))
				res, err := deliver(c.nodes[i%3], channel, d.body)
				mu.Lock()
				if err != nil {
					unacked = append(unacked, d) // no 200: Meta delivers it again later
				} else if res.Messages != 1 {
					t.Errorf("the first delivery of %s stored %d messages (%d duplicates)", d.wamid, res.Messages, res.Duplicates)
				} else {
					acked[d.wamid] = true
				}
				mu.Unlock()
				if err == nil && acks.Add(1) == killAfter {
					kill.Do(func() { n2.kill(); close(killed) })
				}
			}
		})
	}
	for i := range total {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	select {
	case <-killed:
	default:
		t.Fatalf("node2 was never killed: only %d deliveries acknowledged", acks.Load())
	}
	if len(unacked) == 0 {
		t.Fatal("no delivery met the killed node: the load did not overlap the kill")
	}
	// Meta's redelivery of what got no 200, to a node that is up: stored once, whether or not
	// node 2 had committed it before it died.
	redelivered, stored := 0, 0
	for _, d := range unacked {
		res, err := deliver(n1, channel, d.body)
		if err != nil {
			t.Fatalf("redelivery of %s to node1: %v", d.wamid, err)
		}
		redelivered++
		stored += res.Messages
	}

	// Every message sent is stored exactly once.
	counts := map[string]int{}
	rows, err := c.db.Query(`SELECT external_id, COUNT(*) FROM messages WHERE direction = 'in' GROUP BY external_id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var n int
		rows.Scan(&id, &n)
		counts[id] = n
	}
	rows.Close()
	for i := range total {
		wamid := fmt.Sprintf("wamid.kill.%04d", i)
		if counts[wamid] != 1 {
			t.Errorf("%s (acknowledged: %v) is stored %d times", wamid, acked[wamid], counts[wamid])
		}
	}
	if len(counts) != total {
		t.Errorf("%d distinct messages stored, %d sent", len(counts), total)
	}
	t.Logf("%d deliveries acknowledged before and after the kill, %d got no answer and were delivered again (%d of them new, %d stored by node2 before it died)",
		len(acked), redelivered, stored, redelivered-stored)

	// The apps on node 2 are on another node now, and every app has every message of the
	// conversations its agent holds, each raised once; what each stream delivered is exactly
	// what the log holds for that agent: no gap, no duplicate.
	for _, d := range apps[:2] {
		eventually(t, 30*time.Second, d.name+"'s app to reconnect to another node", func() bool {
			return d.client.Base() != n2.url && d.state.Load() == appsync.StateConnected
		})
	}
	var marker int64
	admin.settings(func(*wire.Settings) {}) // a change every stream carries: how far each has read
	if err := c.db.QueryRow(`SELECT MAX(seq) FROM events WHERE type = 'settings.changed'`).Scan(&marker); err != nil {
		t.Fatal(err)
	}
	for _, d := range apps {
		agent := agentOf[d]
		eventually(t, 30*time.Second, d.name+"'s app to read up to the settings change", func() bool {
			return slices.Contains(d.delivered(), marker)
		})
		seqs := d.delivered()
		for i := 1; i < len(seqs); i++ {
			if seqs[i] <= seqs[i-1] {
				t.Fatalf("%s's app was delivered event %d after event %d", d.name, seqs[i], seqs[i-1])
			}
		}
		var live []int64
		for _, s := range seqs {
			if s > d.start && s <= marker {
				live = append(live, s)
			}
		}
		var logged []int64
		for _, e := range agent.on(n1).replay(n1, d.start, marker) {
			logged = append(logged, e.Seq)
		}
		if !slices.Equal(live, logged) {
			t.Fatalf("%s's app was delivered %d events after %d up to %d; the log holds %d for them: %s", d.name, len(live), d.start, marker, len(logged), firstDifference(live, logged))
		}
		held := agent.on(n3).mine()
		if len(held) == 0 {
			t.Fatalf("%s holds no conversation: the load did not reach them", d.name)
		}
		for _, conv := range held {
			var want []int64
			rows, err := c.db.Query(`SELECT id FROM messages WHERE conversation_id = $1 ORDER BY id`, conv.ID)
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var id int64
				rows.Scan(&id)
				want = append(want, id)
			}
			rows.Close()
			detail, ok, err := d.cache.Detail(conv.ID)
			if err != nil || !ok {
				t.Fatalf("%s's app does not have conversation %d: %v", d.name, conv.ID, err)
			}
			var got []int64
			for _, m := range detail.Messages {
				got = append(got, m.ID)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("%s's app shows messages %v of conversation %d, the server holds %v", d.name, got, conv.ID, want)
			}
		}
		d.mu.Lock()
		for id, n := range d.notified {
			if n != 1 {
				t.Errorf("%s's app raised message %d %d times", d.name, id, n)
			}
		}
		d.mu.Unlock()
	}
}
