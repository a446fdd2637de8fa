package server_test

// What exists, made exact: automatic assignment that never stalls, the timeline naming its
// actors, idempotency keys bound to one conversation, the server's queue order and windows on
// every summary, and streams that stay exact and bounded when a client falls far behind.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/config"
	"santral/backend/wire"
)

// A conversation at the head that may not go back to the one agent with room must not hold up
// the conversations behind it (seen: an agent online with room for 3 and nothing held while
// the queue stayed unassigned).
func TestAssignmentSkipsAHeadOnlyItsPreviousHolderCouldTake(t *testing.T) {
	e := start(t)
	selin := e.user(wire.RoleSupervisor, "selin", limit(0))
	ayse := e.agent("ayse", limit(3))
	ayse.online()
	first := e.customer("h1", "ilk").ConversationID
	selin.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", first), nil, nil, http.StatusOK)
	if len(ayse.mine()) != 0 {
		t.Fatal("the returned conversation went straight back to its holder")
	}
	second := e.customer("h2", "ikinci").ConversationID
	third := e.customer("h3", "üçüncü").ConversationID
	mine := held(ayse.mine())
	if !mine[second] || !mine[third] || mine[first] {
		t.Fatalf("ayşe holds %v with room for 3; want the two behind the returned head", ids(ayse.mine()))
	}
	if q := ayse.queue(); len(q) != 1 || q[0].ID != first {
		t.Fatalf("the queue is %v, want only the returned conversation", ids(q))
	}
	// Another agent coming online takes the head at once.
	mehmet := e.agent("mehmet", limit(1))
	mehmet.online()
	if !held(mehmet.mine())[first] {
		t.Fatal("the returned conversation waits although another agent has room")
	}
}

// Bulk assignment stays exact: fewest active first, ties to the longest wait, limits never
// exceeded, each conversation to one agent.
func TestBulkAssignmentIsFairAndWithinLimits(t *testing.T) {
	e := start(t)
	e.admin().settings(func(s *wire.Settings) { s.AutoAssign = false })
	for i := 0; i < 25; i++ {
		e.customer(fmt.Sprintf("b%02d", i), "merhaba")
	}
	agents := []*client{e.agent("a", limit(2)), e.agent("b", limit(5)), e.agent("c", limit(10)), e.agent("d", limit(3))}
	for _, a := range agents {
		a.online()
	}
	e.admin().settings(func(s *wire.Settings) { s.AutoAssign = true })
	got := map[int64]int{}
	total := 0
	for _, a := range agents {
		n := len(a.mine())
		got[a.user.ID] = n
		total += n
	}
	// 2 + 5 + 10 + 3 = 20 places for 25 conversations: every place filled, 5 left queued.
	want := []int{2, 5, 10, 3}
	for i, a := range agents {
		if got[a.user.ID] != want[i] {
			t.Errorf("agent %s holds %d, want %d (its limit)", a.user.Username, got[a.user.ID], want[i])
		}
	}
	if q := agents[0].queue(); total != 20 || len(q) != 5 {
		t.Fatalf("%d assigned, %d queued; want 20 and 5", total, len(q))
	}
	// The order: fewest active first, so the four oldest conversations went one to each agent
	// before anyone got a second.
	var firstFour []int64
	page := e.admin().historyAll()
	sort.Slice(page, func(i, j int) bool { return page[i].ID < page[j].ID })
	for _, c := range page[:4] {
		if c.AgentID == nil {
			t.Fatalf("one of the oldest conversations is still queued: %d", c.ID)
		}
		firstFour = append(firstFour, *c.AgentID)
	}
	seen := map[int64]bool{}
	for _, id := range firstFour {
		if seen[id] {
			t.Fatalf("the four oldest conversations went to %v: someone got a second before everyone had one", firstFour)
		}
		seen[id] = true
	}
}

func (c *client) historyAll() []wire.Conversation {
	c.t.Helper()
	var page wire.ConversationPage
	c.mustDo("GET", "/api/v1/conversations?view=history&limit=200", nil, &page, http.StatusOK)
	return page.Conversations
}

// The timeline names who rejected or cancelled a transfer.
func TestTimelineNamesWhoEndedAnOffer(t *testing.T) {
	e := start(t)
	ayse, mehmet := e.agent("ayse", limit(1)), e.agent("mehmet", limit(0))
	ayse.online()
	mehmet.online()
	conv := e.customer("o1", "Merhaba").ConversationID
	o := ayse.transfer(conv, mehmet.user.ID, "")
	mehmet.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/reject", o.ID), nil, nil, http.StatusOK)
	o2 := ayse.transfer(conv, mehmet.user.ID, "")
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/transfers/%d/cancel", o2.ID), nil, nil, http.StatusOK)
	actors := map[string]int64{}
	for _, en := range ayse.conversation(conv).Timeline {
		if en.ActorID != nil {
			actors[en.Kind] = *en.ActorID
		}
	}
	if actors["transfer_rejected"] != mehmet.user.ID {
		t.Errorf("transfer_rejected names %d, want the receiver %d", actors["transfer_rejected"], mehmet.user.ID)
	}
	if actors["transfer_cancelled"] != ayse.user.ID {
		t.Errorf("transfer_cancelled names %d, want the sender %d", actors["transfer_cancelled"], ayse.user.ID)
	}
}

// An idempotency key names one send in one conversation: reused in another, it is refused,
// not answered with the first conversation's message.
func TestIdempotencyKeyReusedInAnotherConversationIsRefused(t *testing.T) {
	e := start(t)
	ayse := e.agent("ayse", limit(2))
	ayse.online()
	one := e.customer("k1", "bir").ConversationID
	two := e.customer("k2", "iki").ConversationID
	send := wire.SendMessageRequest{Body: "tamam", IdempotencyKey: "key-1"}
	var first wire.Message
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", one), send, &first, http.StatusCreated)
	var again wire.Message
	ayse.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/messages", one), send, &again, http.StatusCreated)
	if again.ID != first.ID {
		t.Fatalf("a retried send stored twice: %d and %d", first.ID, again.ID)
	}
	ayse.refused(wire.CodeIdempotencyKeyReused, "POST", fmt.Sprintf("/api/v1/conversations/%d/messages", two), send)
	if got := e.received("k2"); len(got) != 0 {
		t.Fatalf("the second customer received %v", got)
	}
}

// The queue as the server serves it: a conversation returned to the head sorts first by its
// queue_key, and every summary carries the server's window.
func TestSummariesCarryQueueOrderAndWindow(t *testing.T) {
	e := start(t)
	e.admin().settings(func(s *wire.Settings) { s.AutoAssign = false })
	selin := e.user(wire.RoleSupervisor, "selin", limit(0))
	ayse := e.agent("ayse", limit(0))
	ayse.online()
	older := e.customer("q1", "bir").ConversationID
	newer := e.customer("q2", "iki").ConversationID
	if got := ayse.pull(); got.ID != older {
		t.Fatalf("pulled %d, want the oldest %d", got.ID, older)
	}
	selin.mustDo("POST", fmt.Sprintf("/api/v1/conversations/%d/return-to-queue", older), nil, nil, http.StatusOK)
	q := ayse.queue()
	if len(q) != 2 || q[0].ID != older || q[1].ID != newer {
		t.Fatalf("queue %v, want the returned one first", ids(q))
	}
	if q[0].QueueKey == "" || q[1].QueueKey == "" || !(q[0].QueueKey < q[1].QueueKey) {
		t.Fatalf("queue keys %q, %q do not sort in the server's order", q[0].QueueKey, q[1].QueueKey)
	}
	// Sandbox: no window. (WhatsApp/Messenger windows on summaries are checked in the channel
	// scenario tests.)
	if q[0].WindowClosesAt != 0 {
		t.Fatalf("a sandbox conversation has a window closing at %d", q[0].WindowClosesAt)
	}
}

// A staff stream that stops reading while a flood of events arrives falls out of the live
// hand-off and catches up from the log when it reads again: no gap, no duplicate.
func TestStreamThatFellBehindCatchesUpWithoutGap(t *testing.T) {
	// A small queue bound, so the flood surely overflows it while the client does not read.
	e := startWith(t, func(c *config.Config) { c.StreamQueue = 16 })
	selin := e.user(wire.RoleSupervisor, "selin", limit(0))
	s, hello := selin.stream(-1)
	defer s.close()
	big := strings.Repeat("ş", 3000)
	for i := 0; i < 400; i++ {
		customer(t, e.url, fmt.Sprintf("f%d", i%40), fmt.Sprintf("flood-%d", i), fmt.Sprintf("%d %s", i, big))
	}
	// Every event is visible to staff: the stream must carry each sequence number once, in order.
	_, newest := e.eventBounds()
	prev := hello.Head
	for prev < newest {
		f := s.frame(10 * time.Second)
		if f.Kind != "events" {
			t.Fatalf("unexpected %q frame", f.Kind)
		}
		for _, ev := range f.Events {
			if ev.Seq != prev+1 {
				t.Fatalf("after %d came %d: a gap or a duplicate", prev, ev.Seq)
			}
			prev = ev.Seq
		}
	}
}

func (e *env) eventBounds() (int64, int64) {
	e.t.Helper()
	oldest, newest, err := e.srv.Store.EventBounds(context.Background())
	if err != nil {
		e.t.Fatal(err)
	}
	return oldest, newest
}

// A client resuming from far behind, or one that never reads, costs a bounded amount of the
// server's memory (seen: 100 such streams took santrald from 23 MB to 486 MB).
func TestStreamsFarBehindHoldBoundedMemory(t *testing.T) {
	e := start(t)
	selin := e.user(wire.RoleSupervisor, "selin", limit(0))
	// 8 KB per message: more than the sockets' kernel buffers can take, so the server's writers
	// block with whatever page of the log they hold.
	big := strings.Repeat("ğ", 4000)
	for i := 0; i < 1000; i++ {
		customer(t, e.url, fmt.Sprintf("m%d", i%50), fmt.Sprintf("mem-%d", i), fmt.Sprintf("%d %s", i, big))
	}
	base := liveHeap()
	var conns []*websocket.Conn
	for i := 0; i < 100; i++ {
		u := "ws" + strings.TrimPrefix(e.url, "http") + "/api/v1/stream?after=0"
		conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + selin.token}})
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, conn) // never read
	}
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	// Sample the live heap while the streams sit behind: each may hold one page of the log.
	peak := uint64(0)
	for i := 0; i < 40; i++ {
		if h := liveHeap(); h > peak {
			peak = h
		}
		time.Sleep(25 * time.Millisecond) // a sampling interval, not a synchronisation
	}
	growth := int64(peak) - int64(base)
	t.Logf("live heap %d MB before, peak %d MB with 100 streams far behind", base>>20, peak>>20)
	if growth > 64<<20 {
		t.Fatalf("100 streams far behind grew the live heap by %d MB; each must hold one bounded page", growth>>20)
	}
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

var _ = json.Marshal
