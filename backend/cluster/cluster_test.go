package cluster_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"santral/backend/cluster"
	"santral/backend/cluster/natstest"
)

// reader counts the wakes a node's event reader gets.
type reader struct{ n atomic.Int64 }

func (r *reader) Wake() { r.n.Add(1) }

// logs keeps what the bell logged.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, string(p))
	return len(p), nil
}

func (l *logs) count(s string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, line := range l.lines {
		if strings.Contains(line, s) {
			n++
		}
	}
	return n
}

func (l *logs) all() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "")
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

var subjects atomic.Int64

func subject() string {
	return fmt.Sprintf("santral.test%d_%d.wake", time.Now().UnixNano(), subjects.Add(1))
}

// A commit on one node wakes its own reader at once and the other nodes' through NATS; a node
// never hears its own wake back.
func TestAWakeReachesTheOtherNodesAndNotItself(t *testing.T) {
	url := natstest.URL(t)
	subj := subject()
	readers := make([]*reader, 3)
	bells := make([]*cluster.Bell, 3)
	for i := range bells {
		readers[i] = &reader{}
		bells[i] = cluster.New(readers[i], fmt.Sprintf("node%d", i+1), slog.New(slog.DiscardHandler))
		if err := bells[i].Connect(cluster.Options{Servers: url, Redacted: url, Subject: subj}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(bells[i].Close)
	}
	bells[0].Wake()
	if readers[0].n.Load() != 1 {
		t.Fatalf("the committing node's own reader was woken %d times, want once, at once", readers[0].n.Load())
	}
	eventually(t, "nodes 2 and 3 woken by node 1's commit", func() bool {
		return readers[1].n.Load() >= 1 && readers[2].n.Load() >= 1
	})
	// A barrier: node 2's wake reaches node 1 after anything node 1 could have heard of its own.
	bells[1].Wake()
	eventually(t, "node 1 woken by node 2", func() bool { return readers[0].n.Load() == 2 })
	if _, _, heard := bells[0].Wakes(); heard != 1 {
		t.Fatalf("node 1 heard %d wakes, want node 2's only (never its own)", heard)
	}
	if sent, failed, _ := bells[0].Wakes(); sent != 1 || failed != 0 {
		t.Fatalf("node 1 published %d wakes (%d failed), want 1", sent, failed)
	}
}

// With NATS unreachable the node still starts, a commit's wake returns at once and wakes the
// node's own reader, the failed publishes are counted, the readiness check names the outage
// without the credentials, and the outage is logged once however many attempts fail.
func TestAnUnreachableServerNeverHoldsUpACommit(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens here now
	var out logs
	r := &reader{}
	b := cluster.New(r, "node1", slog.New(slog.NewTextHandler(&out, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err := b.Connect(cluster.Options{Servers: "nats://santral:hunter2@" + addr, Redacted: "nats://" + addr, Subject: subject(), MaxBackoff: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	for range 10_000 {
		b.Wake()
	}
	if r.n.Load() != 10_000 {
		t.Fatalf("the node's own reader was woken %d times, want every one", r.n.Load())
	}
	eventually(t, "failed publishes counted", func() bool { _, failed, _ := b.Wakes(); return failed > 0 })
	err = b.Connected(context.Background())
	if !errors.Is(err, cluster.ErrDisconnected) || !strings.Contains(err.Error(), addr) {
		t.Fatalf("readiness during the outage: %v, want ErrDisconnected naming %s", err, addr)
	}
	eventually(t, "five more attempts to connect", func() bool { return out.count("connection attempt failed") >= 5 })
	if n := out.count("level=WARN"); n != 1 {
		t.Fatalf("the outage was logged %d times, want once:\n%s", n, out.all())
	}
	if strings.Contains(out.all()+err.Error(), "hunter2") {
		t.Fatalf("the credentials of the URL were logged:\n%s", out.all())
	}
}

// A server that goes away and comes back: readiness follows it, and on reconnecting the node
// reads the log at once (the wakes sent meanwhile were lost) and hears the others again.
func TestAServerThatComesBackWakesTheNodesAgain(t *testing.T) {
	srv := natstest.Start(t)
	subj := subject()
	var out logs
	r1, r2 := &reader{}, &reader{}
	b1 := cluster.New(r1, "node1", slog.New(slog.NewTextHandler(&out, nil)))
	b2 := cluster.New(r2, "node2", slog.New(slog.DiscardHandler))
	for _, b := range []*cluster.Bell{b1, b2} {
		if err := b.Connect(cluster.Options{Servers: srv.URL, Redacted: srv.URL, Subject: subj, MaxBackoff: 50 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		defer b.Close()
	}
	srv.Stop()
	eventually(t, "node 1 not ready during the outage", func() bool { return b1.Connected(context.Background()) != nil })
	before := r1.n.Load()
	srv.Resume()
	eventually(t, "node 1 ready again", func() bool { return b1.Connected(context.Background()) == nil })
	eventually(t, "node 1 reads the log on reconnecting", func() bool { return r1.n.Load() > before })
	eventually(t, "node 2 ready again", func() bool { return b2.Connected(context.Background()) == nil })
	// Wakes flow again (node 2's subscription came back with its connection).
	eventually(t, "node 2 hears node 1 after the outage", func() bool {
		b1.Wake()
		_, _, heard := b2.Wakes()
		return heard > 0
	})
	if out.count("nats: not connected") != 1 || out.count("nats: connected") != 2 {
		t.Fatalf("want the first connect, the outage and the return logged once each:\n%s", out.all())
	}
}
