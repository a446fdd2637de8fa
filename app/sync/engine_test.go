package sync_test

// The sync engine and cache against a real santrald started in-process on a temp SQLite file.
// A TCP proxy between them stands for the network, so a test can cut and restore the link.

import (
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"santral/app/cache"
	"santral/app/client"
	appsync "santral/app/sync"
	"santral/backend/server/servertest"
	"santral/backend/wire"
)

// proxy forwards a local port to the server; cut drops every connection and refuses new ones
// until restore.
type proxy struct {
	t      *testing.T
	addr   string
	target string
	mu     gosync.Mutex
	ln     net.Listener
	conns  []net.Conn
}

func newProxy(t *testing.T, target string) *proxy {
	p := &proxy{t: t, target: target}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.cut)
	return p
}

func (p *proxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", p.target)
			if err != nil {
				c.Close()
				continue
			}
			p.mu.Lock()
			p.conns = append(p.conns, c, s)
			p.mu.Unlock()
			go func() { io.Copy(s, c); s.Close() }()
			go func() { io.Copy(c, s); c.Close() }()
		}
	}()
}

func (p *proxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for _, c := range p.conns {
		c.Close()
	}
	p.conns = nil
}

func (p *proxy) restore() {
	ln, err := net.Listen("tcp", p.addr)
	if err != nil {
		p.t.Fatalf("proxy restore: %v", err)
	}
	p.serve(ln)
}

// app is one desktop app's sync side: cache file, client, engine.
type app struct {
	t        *testing.T
	cache    *cache.Cache
	engine   *appsync.Engine
	stop     context.CancelFunc
	done     chan struct{}
	state    atomic.Value
	received atomic.Int64 // customer messages applied from the stream
	client   *client.Client
	mu       gosync.Mutex
	seqs     []int64 // every event the stream delivered, in order
}

func (a *app) delivered() []int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]int64(nil), a.seqs...)
}

func startApp(t *testing.T, path, base string, login wire.LoginResponse) *app {
	t.Helper()
	c, err := cache.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	a := &app{t: t, cache: c, done: make(chan struct{})}
	a.state.Store(appsync.ConnectionState(""))
	hooks := appsync.Hooks{
		State:   func(s appsync.State) { a.state.Store(s.State) },
		Effects: func(fx cache.Effects) { a.received.Add(int64(len(fx.CustomerMessages))) },
		Received: func(events []wire.Event) {
			a.mu.Lock()
			for _, e := range events {
				a.seqs = append(a.seqs, e.Seq)
			}
			a.mu.Unlock()
		},
	}
	a.client = client.New(base, login.Token)
	a.engine = appsync.New(c, a.client, login.User.ID, hooks,
		appsync.Options{MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond, ReadTimeout: 5 * time.Second}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	a.stop = cancel
	go func() { a.engine.Run(ctx); close(a.done) }()
	t.Cleanup(a.close)
	return a
}

func (a *app) close() {
	if a.stop == nil {
		return
	}
	a.stop()
	<-a.done
	a.cache.Close()
	a.stop = nil
}

func (a *app) waitState(want appsync.ConnectionState) {
	a.t.Helper()
	eventually(a.t, 10*time.Second, "state "+string(want), func() bool { return a.state.Load() == want })
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func online(t *testing.T, s *servertest.Server, l wire.LoginResponse) {
	t.Helper()
	if err := s.Call(l.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Online}, nil); err != nil {
		t.Fatal(err)
	}
}

func messagesIn(t *testing.T, c *cache.Cache, convID int64) []wire.Message {
	t.Helper()
	d, ok, err := c.Detail(convID)
	if err != nil || !ok {
		t.Fatalf("conversation %d not cached: %v", convID, err)
	}
	return d.Messages
}

func TestResumeAfterHundredMissedEvents(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	online(t, srv, ayse)
	path := filepath.Join(t.TempDir(), "cache.db")

	a := startApp(t, path, srv.URL, ayse)
	a.waitState(appsync.StateConnected)
	conv := srv.Customer("905321112233", "m-0", "Merhaba").ConversationID
	// The first message arrives while the conversation is still queued (it is assigned in the
	// same transaction, after): it is cached, but is not "a customer message in a held one".
	eventually(t, 5*time.Second, "first message", func() bool {
		d, ok, _ := a.cache.Detail(conv)
		return ok && len(d.Messages) == 1
	})
	a.close()

	// The app is closed while 50 customer messages arrive: 100 events (message + conversation).
	for i := 1; i <= 50; i++ {
		srv.Customer("905321112233", fmt.Sprintf("m-%d", i), fmt.Sprintf("mesaj %d", i))
	}
	b := startApp(t, path, srv.URL, ayse)
	eventually(t, 10*time.Second, "the missed messages", func() bool { return b.received.Load() >= 50 })
	time.Sleep(300 * time.Millisecond) // anything extra would arrive now
	if got := b.received.Load(); got != 50 {
		t.Fatalf("applied %d customer messages after resume, want exactly 50", got)
	}
	msgs := messagesIn(t, b.cache, conv)
	if len(msgs) != 51 {
		t.Fatalf("cache holds %d messages, want 51", len(msgs))
	}
	for i, m := range msgs {
		if i > 0 && m.Body != fmt.Sprintf("mesaj %d", i) {
			t.Fatalf("message %d is %q", i, m.Body)
		}
	}
	lists, _ := b.cache.Lists(ayse.User.ID)
	if len(lists.Mine) != 1 || lists.Mine[0].Unread != 51 {
		t.Fatalf("inbox %+v, want one conversation with 51 unread", lists.Mine)
	}
}

func TestOfflineReplyIsSentExactlyOnceOnReconnect(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	online(t, srv, ayse)
	net := newProxy(t, srv.Addr)
	a := startApp(t, filepath.Join(t.TempDir(), "cache.db"), "http://"+net.addr, ayse)
	a.waitState(appsync.StateConnected)
	conv := srv.Customer("905339998877", "w-1", "Kargom nerede?").ConversationID

	net.cut()
	a.waitState(appsync.StateReconnecting)
	key := "outbox-1"
	if err := a.cache.Enqueue(cache.OutboxEntry{Key: key, ConversationID: conv, Body: "Kargonuz yolda 🚚", CreatedAt: time.Now().UnixMilli()}); err != nil {
		t.Fatal(err)
	}
	a.engine.Kick()
	time.Sleep(300 * time.Millisecond)
	if e, _, _ := a.cache.Entry(key); e.State != cache.OutboxQueued {
		t.Fatalf("offline, the reply stays queued; got %s", e.State)
	}
	if len(srv.Received("905339998877")) != 0 {
		t.Fatal("nothing reaches the customer while offline")
	}

	net.restore()
	eventually(t, 10*time.Second, "the reply is sent", func() bool {
		e, _, _ := a.cache.Entry(key)
		return e.State == cache.OutboxSent
	})
	// Reconnect again: nothing is sent twice.
	net.cut()
	a.waitState(appsync.StateReconnecting)
	net.restore()
	a.waitState(appsync.StateConnected)
	time.Sleep(300 * time.Millisecond)
	got := srv.Received("905339998877")
	if len(got) != 1 || got[0].Body != "Kargonuz yolda 🚚" {
		t.Fatalf("the customer should receive the reply exactly once: %+v", got)
	}
}

func TestRefusedReplyIsMarkedFailedWithReason(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	online(t, srv, ayse)
	a := startApp(t, filepath.Join(t.TempDir(), "cache.db"), srv.URL, ayse)
	a.waitState(appsync.StateConnected)
	conv := srv.Customer("905054443322", "x-1", "Merhaba").ConversationID
	if err := srv.Call(ayse.Token, "PUT", "/api/v1/me/presence", wire.PresenceRequest{Presence: wire.Break}, nil); err != nil {
		t.Fatal(err)
	}
	a.cache.Enqueue(cache.OutboxEntry{Key: "k-break", ConversationID: conv, Body: "Merhaba", CreatedAt: time.Now().UnixMilli()})
	a.engine.Kick()
	eventually(t, 5*time.Second, "the refusal", func() bool {
		e, _, _ := a.cache.Entry("k-break")
		return e.State == cache.OutboxFailed && e.Error != nil && e.Error.Code == wire.CodeAgentOnBreak
	})
}

func TestCacheSurvivesRestartWithoutServer(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	online(t, srv, ayse)
	net := newProxy(t, srv.Addr)
	path := filepath.Join(t.TempDir(), "cache.db")
	a := startApp(t, path, "http://"+net.addr, ayse)
	a.waitState(appsync.StateConnected)
	for i := 0; i < 3; i++ {
		srv.Customer(fmt.Sprintf("c%d", i), fmt.Sprintf("s-%d", i), "Merhaba")
	}
	eventually(t, 5*time.Second, "three conversations", func() bool {
		l, _ := a.cache.Lists(ayse.User.ID)
		return len(l.Mine) == 3
	})
	a.close()
	net.cut() // the server is unreachable from now on

	c, err := cache.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	l, err := c.Lists(ayse.User.ID)
	if err != nil || len(l.Mine) != 3 {
		t.Fatalf("after a restart the inbox comes from the cache: %d conversations, %v", len(l.Mine), err)
	}
	if me, ok, _ := c.Me(); !ok || me.ID != ayse.User.ID {
		t.Fatal("the signed-in user is cached")
	}
}

func TestResyncWhenTheServerCannotContinue(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	online(t, srv, ayse)
	conv := srv.Customer("905301234567", "r-1", "Merhaba").ConversationID
	path := filepath.Join(t.TempDir(), "cache.db")

	// A cursor from another database: far beyond this server's head.
	c, err := cache.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	c.ApplySnapshot(cache.Snapshot{}, 1_000_000)
	c.Close()

	a := startApp(t, path, srv.URL, ayse)
	eventually(t, 10*time.Second, "a full resync", func() bool {
		l, _ := a.cache.Lists(ayse.User.ID)
		cur, _ := a.cache.Cursor()
		return len(l.Mine) == 1 && l.Mine[0].ID == conv && cur > 0 && cur < 1_000_000
	})
	a.waitState(appsync.StateConnected)
	srv.Customer("905301234567", "r-2", "Orada mısınız?")
	eventually(t, 5*time.Second, "live events after the resync", func() bool { return a.received.Load() == 1 })
}

func TestSignedOutWhenTheTokenIsRevoked(t *testing.T) {
	srv := servertest.Start(t, "")
	ayse := srv.Agent("ayse", "Ayşe", 5)
	a := startApp(t, filepath.Join(t.TempDir(), "cache.db"), srv.URL, ayse)
	a.waitState(appsync.StateConnected)
	if err := srv.Call(ayse.Token, "POST", "/api/v1/auth/logout", nil, nil); err != nil {
		t.Fatal(err)
	}
	srv.Srv.Hub.Wake()
	// The stream drops only on the next reconnect; force one by restarting the engine's link.
	a.close()
	b := startApp(t, filepath.Join(t.TempDir(), "cache2.db"), srv.URL, ayse)
	b.waitState(appsync.StateSignedOut)
}

func TestAnotherServerDatabaseEmptiesTheCache(t *testing.T) {
	first := servertest.Start(t, "")
	ayse := first.Agent("ayse", "Ayşe", 5)
	online(t, first, ayse)
	link := newProxy(t, first.Addr)
	a := startApp(t, filepath.Join(t.TempDir(), "cache.db"), "http://"+link.addr, ayse)
	a.waitState(appsync.StateConnected)
	conv := first.Customer("905321112233", "d-1", "Merhaba").ConversationID
	eventually(t, 5*time.Second, "the conversation", func() bool {
		l, _ := a.cache.Lists(ayse.User.ID)
		return len(l.Mine) == 1
	})
	link.cut()
	a.waitState(appsync.StateReconnecting)
	a.cache.Enqueue(cache.OutboxEntry{Key: "old-db", ConversationID: conv, Body: "Merhaba", CreatedAt: time.Now().UnixMilli()})

	// The same address now answers from a new database (a restore, a reinstall), where the same
	// user exists again with the same id and token semantics.
	second := servertest.Start(t, "")
	again := second.Agent("ayse", "Ayşe", 5)
	if again.User.ID != ayse.User.ID {
		t.Fatalf("setup: expected the same user id, got %d and %d", again.User.ID, ayse.User.ID)
	}
	a.close()
	link.target = second.Addr
	link.restore()
	b := startApp(t, a.cache.Path(), "http://"+link.addr, again)
	b.waitState(appsync.StateConnected)
	eventually(t, 5*time.Second, "the old data gone", func() bool {
		l, _ := b.cache.Lists(ayse.User.ID)
		e, _, _ := b.cache.Entry("old-db")
		return len(l.Mine) == 0 && e.State == cache.OutboxFailed && e.Error != nil && e.Error.Code == "server_changed"
	})
	if len(second.Received("905321112233")) != 0 {
		t.Fatal("a reply meant for the old database must not reach anyone on the new one")
	}
}

// Two nodes of one Santral on one database; the app knows both. Its node becomes unreachable
// while customers go on writing on the other: the app moves to the other node and resumes
// from its cursor — every message once, in order, no event twice.
func TestMovesToAnotherNodeWhenItsNodeCannotBeReached(t *testing.T) {
	dir := t.TempDir()
	first := servertest.StartOn(t, "", dir)
	second := servertest.StartOn(t, "", dir)
	ayse := first.Agent("ayse", "Ayşe", 5)
	online(t, first, ayse)
	link := newProxy(t, first.Addr)
	a := startApp(t, filepath.Join(t.TempDir(), "cache.db"), "http://"+link.addr+", "+second.URL, ayse)
	a.waitState(appsync.StateConnected)
	if a.client.Base() != "http://"+link.addr {
		t.Fatalf("the app should start on the first node of its list, not %s", a.client.Base())
	}
	conv := first.Customer("905321112233", "n-0", "Merhaba").ConversationID
	eventually(t, 5*time.Second, "the first message", func() bool {
		d, ok, _ := a.cache.Detail(conv)
		return ok && len(d.Messages) == 1
	})

	link.cut() // the first node is gone for this app: its link drops, new ones are refused
	for i := 1; i <= 20; i++ {
		second.Customer("905321112233", fmt.Sprintf("n-%d", i), fmt.Sprintf("mesaj %d", i))
	}
	eventually(t, 10*time.Second, "the messages written meanwhile", func() bool { return a.received.Load() >= 20 })
	if a.client.Base() != second.URL {
		t.Fatalf("the app is on %s, want the second node %s", a.client.Base(), second.URL)
	}
	a.waitState(appsync.StateConnected)
	msgs := messagesIn(t, a.cache, conv)
	if len(msgs) != 21 {
		t.Fatalf("the cache holds %d messages, want 21", len(msgs))
	}
	for i, m := range msgs[1:] {
		if m.Body != fmt.Sprintf("mesaj %d", i+1) {
			t.Fatalf("message %d is %q", i+1, m.Body)
		}
	}
	seqs := a.delivered()
	for i := 1; i < len(seqs); i++ {
		if seqs[i] <= seqs[i-1] {
			t.Fatalf("the stream delivered event %d after %d", seqs[i], seqs[i-1])
		}
	}
	if got := a.received.Load(); got != 20 {
		t.Fatalf("%d customer messages applied after the move, want exactly 20", got)
	}
}
