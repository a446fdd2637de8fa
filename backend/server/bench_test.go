package server_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http/httptest"
	"testing"
	"time"

	"santral/backend/server"
	"santral/backend/wire"
)

// startBench is the harness's startOn for a benchmark: a real santrald (server.New) on a new
// SQLite file, served over real HTTP by httptest, with its workers running.
func startBench(b *testing.B) string {
	b.Helper()
	cfg := testConfig(b, b.TempDir())
	ctx, cancel := context.WithCancel(context.Background())
	srv, err := server.New(ctx, cfg, testLogger(b), io.Discard)
	if err != nil {
		cancel()
		b.Fatalf("start santrald: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	done := make(chan struct{})
	go func() { srv.RunWorkers(ctx); close(done) }()
	b.Cleanup(func() {
		ts.CloseClientConnections()
		ts.Close()
		cancel()
		<-done
		srv.Close()
	})
	return ts.URL
}

// BenchmarkSandboxInboundToEvent measures a customer message's whole path: POST /sandbox/messages
// over real HTTP (one committed transaction, synchronous=FULL) until its message.created event
// arrives on a staff member's open WebSocket stream. One message at a time, customers rotating.
//
// Automatic assignment is turned OFF (and no agent is online anyway), so conversations stay
// queued and this measures ingest + event log + stream push, not the assignment rule.
func BenchmarkSandboxInboundToEvent(b *testing.B) {
	base := startBench(b)
	admin := login(b, base, "admin", adminPassword)
	admin.settings(func(s *wire.Settings) { s.AutoAssign = false })
	stream, _ := admin.stream(-1)
	defer stream.close()

	const customers = 5
	n := 0
	var posting time.Duration // time until the 200 (commit), of the total until the event
	send := func() {
		sender := fmt.Sprintf("bench-c%d", n%customers)
		t0 := time.Now()
		res := customer(b, base, sender, fmt.Sprintf("bench-m%d", n), fmt.Sprintf("mesaj %d", n))
		posting += time.Since(t0)
		n++
		stream.until(5*time.Second, fmt.Sprintf("message.created for message %d", res.MessageID), func(e wire.Event) bool {
			if e.Type != wire.EventMessageCreated {
				return false
			}
			var d wire.MessageData
			return json.Unmarshal(e.Data, &d) == nil && d.Message.ID == res.MessageID
		})
	}
	for range customers { // warm up: every customer's conversation exists before timing
		send()
	}

	iterations := 0
	posting = 0
	for b.Loop() {
		send()
		iterations++
	}
	b.ReportMetric(float64(iterations)/b.Elapsed().Seconds(), "msgs/s")
	b.ReportMetric(float64(posting.Nanoseconds())/float64(iterations), "post-ns/op")
}
