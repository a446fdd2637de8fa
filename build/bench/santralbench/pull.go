package main

import (
	"context"
	"fmt"
	"sync"
	"time"

	"santral/backend/wire"
)

// runPull: N online agents (limit 0, so automatic assignment gives them nothing) behind a start
// barrier each pull from a queue twice their number, in two bursts. Each pull is timed and the
// conversation ids returned are compared: one conversation pulled twice is a duplicate.
// Baseline: N simultaneous PUTs to a writer that fsyncs each one before answering.
func runPull(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var p50, p99, dups, bp50, bp99 []float64
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: santrald, %d agents pulling at once from %d queued", round, sz.Rounds, sz.PullAgents, sz.PullQueued)
		lat, dup, failed, err := pullRound(ctx, b, round)
		if err != nil {
			return nil, notes, err
		}
		if failed > 0 {
			notes = append(notes, fmt.Sprintf("round %d: %d pulls failed", round, failed))
		}
		p50, p99, dups = append(p50, lat.pct(50)), append(p99, lat.pct(99)), append(dups, float64(dup))

		b.progress("round %d/%d: baseline, %d simultaneous PUTs each fsynced", round, sz.Rounds, sz.PullAgents)
		base, err := startBaseline(ctx, b.dir("baseline"))
		if err != nil {
			return nil, notes, err
		}
		blat := &samples{}
		for burst := 0; burst < sz.PullQueued/sz.PullAgents; burst++ {
			if err := barrier(ctx, sz.PullAgents, func(i int) error {
				t0 := time.Now()
				if err := putBytes(ctx, base.base+"/each", []byte(fmt.Sprintf("pull %d %d\n", burst, i))); err != nil {
					return err
				}
				blat.add(time.Since(t0))
				return nil
			}); err != nil {
				b.release(base)
				return nil, notes, err
			}
		}
		b.release(base)
		bp50, bp99 = append(bp50, blat.pct(50)), append(bp99, blat.pct(99))
	}
	n := fmt.Sprintf(", %d simultaneous", sz.PullAgents)
	return []Figure{
		figure("p50 pull"+n, "ms", p50, "bare writer, fsync per PUT", bp50),
		figure("p99 pull"+n, "ms", p99, "bare writer, fsync per PUT", bp99).goal("≤ 20 ms", atMost(20)),
		figure("duplicates (worst round)", "", []float64{maxOf(dups)}, "", nil).goal("0", atMost(0)),
	}, notes, nil
}

func pullRound(ctx context.Context, b *bench, round int) (*samples, int, int, error) {
	sz := b.sz
	p, err := b.santrald(ctx, "pull")
	if err != nil {
		return nil, 0, 0, err
	}
	defer b.release(p)
	adm, err := admin(ctx, p.base)
	if err != nil {
		return nil, 0, 0, err
	}
	if err := parallel(ctx, sz.PullQueued, 16, func(i int) error {
		_, err := sandboxMessage(ctx, p.base, fmt.Sprintf("pull-%d-%d", round, i), fmt.Sprintf("m-%d", i), "Siparişim nerede?")
		return err
	}); err != nil {
		return nil, 0, 0, err
	}
	agents, err := createAgents(ctx, adm, sz.PullAgents, intp(0), "puller")
	if err != nil {
		return nil, 0, 0, err
	}
	if err := parallel(ctx, len(agents), 16, func(i int) error { return agents[i].presence(ctx, wire.Online) }); err != nil {
		return nil, 0, 0, err
	}
	lat := &samples{}
	var mu sync.Mutex
	seen := map[int64]int{}
	failed := 0
	for burst := 0; burst < sz.PullQueued/sz.PullAgents; burst++ {
		// Warm connections: the pull is timed, not the TCP handshake.
		if err := barrier(ctx, len(agents), func(i int) error { return agents[i].do(ctx, "GET", "/api/v1/me", nil, nil) }); err != nil {
			return nil, 0, 0, err
		}
		barrier(ctx, len(agents), func(i int) error {
			var c wire.Conversation
			t0 := time.Now()
			err := agents[i].do(ctx, "POST", "/api/v1/queue/pull", nil, &c)
			d := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				failed++
				return nil
			}
			lat.add(d)
			seen[c.ID]++
			return nil
		})
	}
	dup := 0
	for _, n := range seen {
		dup += n - 1
	}
	return lat, dup, failed, nil
}

// barrier starts fn(0..n-1) on n goroutines at the same instant and waits for all.
func barrier(ctx context.Context, n int, fn func(i int) error) error {
	start := make(chan struct{})
	errs := make(chan error, n)
	var ready, done sync.WaitGroup
	for i := range n {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			errs <- fn(i)
		}()
	}
	ready.Wait()
	close(start)
	done.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return ctx.Err()
}

func putBytes(ctx context.Context, url string, body []byte) error {
	return sendBytes(ctx, "PUT", url, body)
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}
