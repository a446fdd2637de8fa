package ratelimit

import (
	"fmt"
	"testing"
	"time"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{t: time.Unix(1_700_000_000, 0)} }

func TestLimiterBurstThenOnePerInterval(t *testing.T) {
	c := newClock()
	l := NewLimiter(3, 10*time.Second, 100)
	l.now = c.now
	for i := 0; i < 3; i++ {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("a")
	if ok || wait != 10*time.Second {
		t.Fatalf("past the burst: ok=%v wait=%v, want refused for 10s", ok, wait)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Fatal("another key shares the bucket")
	}
	c.advance(4 * time.Second)
	if ok, wait := l.Allow("a"); ok || wait != 6*time.Second {
		t.Fatalf("4 s later: ok=%v wait=%v, want 6 s more", ok, wait)
	}
	c.advance(6 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Fatal("a token did not come back after the interval")
	}
}

func TestLimiterHoldsBoundedKeys(t *testing.T) {
	c := newClock()
	l := NewLimiter(5, time.Second, 1000)
	l.now = c.now
	for i := 0; i < 100_000; i++ {
		l.Allow(fmt.Sprintf("10.%d.%d.%d", i>>16, (i>>8)&255, i&255))
	}
	if n := l.Keys(); n > 1000 {
		t.Fatalf("%d keys held after 100,000 distinct callers, want at most 1000", n)
	}
	// Idle keys (full buckets) are forgotten as new requests come.
	c.advance(time.Minute)
	for i := 0; i < 300; i++ {
		l.Allow("fresh")
	}
	if n := l.Keys(); n != 1 {
		t.Fatalf("%d keys held after the old ones went idle", n)
	}
}

func TestFailuresAreForgottenAfterTheirMemory(t *testing.T) {
	c := newClock()
	f := NewFailures(15*time.Minute, 100)
	f.now = c.now
	f.Add("u")
	f.Add("u")
	if n, _ := f.Count("u"); n != 2 {
		t.Fatalf("count %d, want 2", n)
	}
	f.Undo("u")
	if n, _ := f.Count("u"); n != 1 {
		t.Fatalf("after undo: %d, want 1", n)
	}
	c.advance(15 * time.Minute)
	if n, _ := f.Count("u"); n != 0 {
		t.Fatalf("after the memory: %d, want 0", n)
	}
	if n := f.Add("u"); n != 1 {
		t.Fatalf("a failure after the memory counts from %d, want 1", n)
	}
	f.Reset("u")
	if n, _ := f.Count("u"); n != 0 {
		t.Fatal("reset kept the count")
	}
}

func TestCounterLimitsEachKey(t *testing.T) {
	c := NewCounter()
	var releases []func()
	for i := 0; i < 2; i++ {
		r, _, ok := c.Take([]string{"visitor", "addr"}, []int{2, 3})
		if !ok {
			t.Fatalf("take %d refused", i+1)
		}
		releases = append(releases, r)
	}
	if _, full, ok := c.Take([]string{"visitor", "addr"}, []int{2, 3}); ok || full != 0 {
		t.Fatalf("a third for the visitor: ok=%v full=%d", ok, full)
	}
	if c.Open("addr") != 2 {
		t.Fatal("a refused take was counted")
	}
	releases[0]()
	releases[0]() // twice counts once
	if c.Open("visitor") != 1 || c.Open("addr") != 1 {
		t.Fatalf("after release: visitor %d addr %d", c.Open("visitor"), c.Open("addr"))
	}
	releases[1]()
	if len(c.n) != 0 {
		t.Fatalf("keys at zero are kept: %v", c.n)
	}
}
