package server_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"santral/backend/wire"
)

// resumingSocket is one of many agent streams held by TestResumeWithTwoThousandSockets: a
// reader goroutine appends every event's sequence number, and the socket reconnects from the
// last one it saw, as the desktop app's sync engine does.
type resumingSocket struct {
	agent int
	mu    sync.Mutex
	seqs  []int64
	last  int64 // cursor: the hello's head, then the last event seen
	conn  *websocket.Conn
	err   error         // why reading stopped other than by a closed connection (a resync, bad JSON)
	done  chan struct{} // closed when the reader stops
}

func (s *resumingSocket) dial(base, token string) error {
	u := "ws" + strings.TrimPrefix(base, "http") + "/api/v1/stream"
	s.mu.Lock()
	if s.conn != nil || len(s.seqs) > 0 {
		u += fmt.Sprintf("?after=%d", s.last)
	}
	s.mu.Unlock()
	conn, _, err := websocket.DefaultDialer.Dial(u, http.Header{"Authorization": {"Bearer " + token}})
	if err != nil {
		return err
	}
	conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	var hello wire.StreamFrame
	if err := conn.ReadJSON(&hello); err != nil || hello.Kind != "hello" {
		conn.Close()
		return fmt.Errorf("hello: %q, %v", hello.Kind, err)
	}
	s.mu.Lock()
	if s.conn == nil && len(s.seqs) == 0 {
		s.last = hello.Head
	}
	s.conn = conn
	s.mu.Unlock()
	s.done = make(chan struct{})
	go s.read(conn)
	return nil
}

func (s *resumingSocket) read(conn *websocket.Conn) {
	defer close(s.done)
	for {
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		var f wire.StreamFrame
		if err := conn.ReadJSON(&f); err != nil {
			return // closed by us or by the server's death
		}
		if f.Kind != "events" {
			s.mu.Lock()
			s.err = fmt.Errorf("unexpected %q frame", f.Kind)
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		for _, ev := range f.Events {
			s.seqs = append(s.seqs, ev.Seq)
			s.last = ev.Seq
		}
		s.mu.Unlock()
	}
}

func (s *resumingSocket) saw(seq int64) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err != nil || slices.Contains(s.seqs, seq)
}

// TestResumeWithTwoThousandSockets: 2,000 agent streams (10 agents × 200) follow customer
// traffic, drop, miss more of it, santrald is SIGKILLed and restarted, and every socket
// reconnects from its own cursor while traffic goes on. Each socket must end with exactly the events its agent may see
// — the log's own answer to a fresh replay — with no gap, no duplicate, no reordering.
func TestResumeWithTwoThousandSockets(t *testing.T) {
	const agents, socketsPerAgent, messagesPerPhase = 10, 200, 60
	bin := buildSantrald(t)
	dir := t.TempDir()
	logPath := filepath.Join(t.TempDir(), "santrald.log")
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("santrald output in %s", logPath)
		}
	})
	port := freePort(t)
	p := startSantrald(t, bin, dir, port, logPath)
	admin := login(t, p.url, "admin", adminPassword)
	var clients []*client
	for i := range agents {
		c := crashAgent(t, admin, fmt.Sprintf("resume-%d", i))
		c.online()
		clients = append(clients, c)
	}

	sockets := make([]*resumingSocket, 0, agents*socketsPerAgent)
	for a := range agents {
		for range socketsPerAgent {
			sockets = append(sockets, &resumingSocket{agent: a})
		}
	}
	dialAll := func(base string) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, len(sockets))
		work := make(chan *resumingSocket)
		for range 32 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for s := range work {
					if err := s.dial(base, clients[s.agent].token); err != nil {
						errs <- err
					}
				}
			}()
		}
		for _, s := range sockets {
			work <- s
		}
		close(work)
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("stream dial: %v", err)
		}
	}
	dialAll(p.url)
	// The replay that every socket is compared with starts after the newest hello.
	var from int64
	for _, s := range sockets {
		from = max(from, s.last)
	}

	traffic := func(base string, phase int) {
		var wg sync.WaitGroup
		for w := range 8 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				hc := &http.Client{Timeout: 10 * time.Second}
				for n := w; n < messagesPerPhase; n += 8 {
					in := wire.SandboxInbound{SenderID: fmt.Sprintf("resume-c%d", n%20), Name: fmt.Sprintf("Müşteri %d", n%20),
						MessageID: fmt.Sprintf("resume-p%d-m%d", phase, n), Text: fmt.Sprintf("mesaj %d/%d", phase, n)}
					postInbound(hc, base, in) // cut by the kill in phase 1: what committed is in the log
				}
			}()
		}
		wg.Wait()
	}

	// Phase 1 while every socket is connected; then every socket drops, phase 1b is committed
	// while they are away (they must get it by replay), and santrald is SIGKILLed.
	traffic(p.url, 1)
	for _, s := range sockets {
		s.conn.Close()
		<-s.done
	}
	traffic(p.url, 15)
	if err := p.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	p.exited(t, 10*time.Second)
	p = startSantrald(t, bin, dir, port, logPath)
	for _, c := range clients {
		c.base = p.url
	}

	// Phase 2 runs while all 2,000 reconnect from their own cursors.
	var tw sync.WaitGroup
	tw.Add(1)
	go func() { defer tw.Done(); traffic(p.url, 2) }()
	dialAll(p.url)
	tw.Wait()

	// A barrier each agent's sockets must see: the agent's own break, after all traffic. The
	// log's answer per agent is a fresh replay from the same starting point up to it.
	barrier := make([]int64, agents)
	want := make([][]int64, agents)
	for a, c := range clients {
		c.presence(wire.Break, "çay")
		s, _ := c.stream(from)
		for {
			f := s.frame(10 * time.Second)
			if f.Kind != "events" {
				t.Fatalf("replay: unexpected %q frame", f.Kind)
			}
			for _, e := range f.Events {
				if barrier[a] == 0 {
					want[a] = append(want[a], e.Seq)
				}
				var pd wire.PresenceData
				if barrier[a] == 0 && e.Type == wire.EventPresenceChanged && json.Unmarshal(e.Data, &pd) == nil &&
					pd.User.ID == c.user.ID && pd.User.Presence == wire.Break {
					barrier[a] = e.Seq
				}
			}
			if barrier[a] != 0 {
				break
			}
		}
		s.close()
		if len(want[a]) < 10 {
			t.Fatalf("agent %d's replay has only %d events: the traffic exercised nothing", a, len(want[a]))
		}
	}
	eventually(t, 60*time.Second, "every socket to reach its agent's barrier", func() bool {
		for _, s := range sockets {
			if !s.saw(barrier[s.agent]) {
				return false
			}
		}
		return true
	})

	bad := 0
	total := 0
	for i, s := range sockets {
		s.conn.Close()
		<-s.done
		if s.err != nil {
			t.Errorf("socket %d: %v", i, s.err)
			bad++
			continue
		}
		var got []int64
		for _, seq := range s.seqs {
			if seq > from && seq <= barrier[s.agent] {
				got = append(got, seq)
			}
		}
		total += len(got)
		if !slices.Equal(got, want[s.agent]) {
			bad++
			if bad <= 3 {
				d := firstDifference(got, want[s.agent])
				t.Errorf("socket %d (agent %d) saw %d events, the log has %d; from index %d: %v ≠ %v", i, s.agent, len(got),
					len(want[s.agent]), d, got[d:min(len(got), d+8)], want[s.agent][d:min(len(want[s.agent]), d+8)])
			}
		}
	}
	if bad > 0 {
		t.Fatalf("%d of %d sockets have a gap, a duplicate or a reordering after the resume", bad, len(sockets))
	}
	t.Logf("%d sockets resumed after a SIGKILL with no gap or duplicate: %d events delivered in all", len(sockets), total)
}

func firstDifference(a, b []int64) int {
	i := 0
	for i < len(a) && i < len(b) && a[i] == b[i] {
		i++
	}
	return i
}
