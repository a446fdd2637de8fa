package main

// Load generation: closed loop (N workers, each sending its next request when the previous one
// is answered: throughput) and open loop (requests fired at a fixed rate whatever the answers:
// latency at an offered load). Percentiles come from every sample.

import (
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// samples are latencies; safe for concurrent add.
type samples struct {
	mu sync.Mutex
	d  []time.Duration
}

func (s *samples) add(d time.Duration) {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
}

func (s *samples) len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.d)
}

// pct is the p-th percentile (nearest rank) in milliseconds; NaN without samples.
func (s *samples) pct(p float64) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return percentile(s.d, p)
}

func percentile(d []time.Duration, p float64) float64 {
	if len(d) == 0 {
		return math.NaN()
	}
	sorted := slices.Clone(d)
	slices.Sort(sorted)
	rank := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	rank = max(0, min(rank, len(sorted)-1))
	return float64(sorted[rank]) / float64(time.Millisecond)
}

type closedResult struct {
	requests int
	errors   int
	firstErr error
	elapsed  time.Duration
	lat      *samples
}

func (r closedResult) rate() float64 { return float64(r.requests) / r.elapsed.Seconds() }

// closedLoop runs workers for d; each calls fn(seq) back to back. Failed requests count as
// errors and are not samples.
func closedLoop(ctx context.Context, workers int, d time.Duration, fn func(ctx context.Context, seq int64) error) closedResult {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var seq atomic.Int64
	var ok, bad atomic.Int64
	var firstErr atomic.Value
	lat := &samples{}
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				t0 := time.Now()
				err := fn(context.WithoutCancel(ctx), seq.Add(1))
				if err != nil {
					bad.Add(1)
					firstErr.CompareAndSwap(nil, err)
					continue
				}
				lat.add(time.Since(t0))
				ok.Add(1)
			}
		}()
	}
	wg.Wait()
	r := closedResult{requests: int(ok.Load()), errors: int(bad.Load()), elapsed: time.Since(start), lat: lat}
	if e, _ := firstErr.Load().(error); e != nil {
		r.firstErr = e
	}
	return r
}

// openLoop calls fire(seq) at rate per second for d, each on its own goroutine, never waiting
// for earlier ones; it returns when every call has returned.
func openLoop(ctx context.Context, rate int, d time.Duration, fire func(seq int64)) int {
	interval := time.Second / time.Duration(rate)
	n := int(d / interval)
	start := time.Now()
	var wg sync.WaitGroup
	for i := range n {
		at := start.Add(time.Duration(i) * interval)
		if wait := time.Until(at); wait > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return i
			case <-time.After(wait):
			}
		}
		wg.Add(1)
		go func(seq int64) { defer wg.Done(); fire(seq) }(int64(i))
	}
	wg.Wait()
	return n
}

// median of the rounds' figures (NaN ignored).
func median(v []float64) float64 {
	var ok []float64
	for _, x := range v {
		if !math.IsNaN(x) {
			ok = append(ok, x)
		}
	}
	if len(ok) == 0 {
		return math.NaN()
	}
	slices.Sort(ok)
	if len(ok)%2 == 1 {
		return ok[len(ok)/2]
	}
	return (ok[len(ok)/2-1] + ok[len(ok)/2]) / 2
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
