package routing

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/pprof"
	"testing"
	"time"

	"santral/backend/store"
	"santral/backend/stream"
	"santral/backend/wire"
)

// BenchmarkBulkAssign: 10,000 queued conversations and 1,000 agents online with a limit of 10,
// then automatic assignment is switched on — one decision assigns all of them (issue 8's storm,
// without the HTTP and socket side the bench suite adds).
func BenchmarkBulkAssign(b *testing.B) {
	const convs, agents, limit = 10000, 1000, 10
	for range b.N {
		b.StopTimer()
		ctx := context.Background()
		st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "santral.db"))
		if err != nil {
			b.Fatal(err)
		}
		log := slog.New(slog.NewTextHandler(io.Discard, nil))
		svc := New(st, stream.NewHub(st, time.Second, 1024, log), log)
		set, err := st.Settings(ctx)
		if err != nil {
			b.Fatal(err)
		}
		set.AutoAssign = false
		set.DefaultLimit = limit
		set.HardCap = limit
		if _, err := svc.PutSettings(ctx, set); err != nil {
			b.Fatal(err)
		}
		var ch int64
		if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
			ch, err = tx.EnsureChannel(wire.ChannelSandbox, "Sandbox")
			if err != nil {
				return err
			}
			for i := range agents {
				if _, err := tx.CreateUser(fmt.Sprintf("a%d", i), "A", "hash", wire.RoleAgent, nil, nil); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			b.Fatal(err)
		}
		users, err := st.Users(ctx)
		if err != nil {
			b.Fatal(err)
		}
		for _, u := range users {
			if u.Role == wire.RoleAgent {
				if _, err := svc.SetPresence(ctx, u.ID, wire.Online, ""); err != nil {
					b.Fatal(err)
				}
			}
		}
		for i := range convs {
			if _, err := svc.Ingest(ctx, Inbound{ChannelID: ch, SenderID: fmt.Sprint("c", i), ExternalID: fmt.Sprint("m", i), Body: "Merhaba"}); err != nil {
				b.Fatal(err)
			}
		}
		set.AutoAssign = true
		if f := os.Getenv("BULK_PROFILE"); f != "" {
			out, _ := os.Create(f)
			pprof.StartCPUProfile(out)
			defer pprof.StopCPUProfile()
		}
		b.StartTimer()
		if _, err := svc.PutSettings(ctx, set); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		if queued, _, err := st.QueueStats(ctx); err != nil || queued != 0 {
			b.Fatalf("still queued: %d %v", queued, err)
		}
		st.Close()
	}
}

// BenchmarkSimultaneousPulls: 100 online agents (limit 0: automatic assignment gives them
// nothing) pull from a queue at the same instant, as the bench suite's pull scenario does, but
// in process: what one burst costs the committer, without HTTP. PULL_PROFILE=file writes a CPU
// profile of the bursts.
func BenchmarkSimultaneousPulls(b *testing.B) {
	const agents = 100
	ctx := context.Background()
	st, err := store.OpenSQLite(ctx, filepath.Join(b.TempDir(), "santral.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	svc := New(st, stream.NewHub(st, time.Second, 1024, log), log)
	var ch int64
	var ids []int64
	zero := 0
	if _, err := st.Tx(ctx, func(tx *store.Tx) (err error) {
		ch, err = tx.EnsureChannel(wire.ChannelSandbox, "Sandbox")
		if err != nil {
			return err
		}
		ids = ids[:0]
		for i := range agents {
			id, err := tx.CreateUser(fmt.Sprintf("p%d", i), "P", "hash", wire.RoleAgent, &zero, nil)
			if err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	for _, id := range ids {
		if _, err := svc.SetPresence(ctx, id, wire.Online, ""); err != nil {
			b.Fatal(err)
		}
	}
	// The queue holds every burst's conversations before the clock (and the profile) starts.
	for i := range b.N * agents {
		if _, err := svc.Ingest(ctx, Inbound{ChannelID: ch, SenderID: fmt.Sprint("c", i), ExternalID: fmt.Sprint("m", i), Body: "Merhaba"}); err != nil {
			b.Fatal(err)
		}
	}
	if f := os.Getenv("PULL_PROFILE"); f != "" && b.N > 1 {
		out, _ := os.Create(f)
		pprof.StartCPUProfile(out)
		defer pprof.StopCPUProfile()
	}
	b.ResetTimer()
	for range b.N {
		start := make(chan struct{})
		errs := make(chan error, agents)
		for _, id := range ids {
			go func() {
				<-start
				_, err := svc.Pull(ctx, id)
				errs <- err
			}()
		}
		close(start)
		for range ids {
			if err := <-errs; err != nil {
				b.Fatal(err)
			}
		}
	}
}
