// Package ratelimit holds santrald's in-process abuse limits: token buckets and failure
// counters per key (a client address, a username, a visitor). Each keeps at most a fixed number
// of keys, forgetting the least recently used first, so no caller can grow it without bound.
//
// The limits are per process: with several santrald nodes behind a load balancer each node
// counts on its own (README "Limits").
package ratelimit

import (
	"container/list"
	"sync"
	"time"
)

// table is a bounded map from key to value, least recently used at the back.
type table[V any] struct {
	max   int
	keys  map[string]*list.Element
	order *list.List // of *entry[V]; front: most recently used
}

type entry[V any] struct {
	key string
	val V
}

func newTable[V any](max int) table[V] {
	if max < 1 {
		max = 1
	}
	return table[V]{max: max, keys: map[string]*list.Element{}, order: list.New()}
}

// get returns the key's value, creating it with fresh() when absent (evicting the least
// recently used key when full), and marks it used.
func (t *table[V]) get(key string, fresh func() V) *V {
	if el, ok := t.keys[key]; ok {
		t.order.MoveToFront(el)
		return &el.Value.(*entry[V]).val
	}
	for len(t.keys) >= t.max {
		t.remove(t.order.Back())
	}
	e := &entry[V]{key: key, val: fresh()}
	t.keys[key] = t.order.PushFront(e)
	return &e.val
}

// peek returns the key's value without creating it or marking it used.
func (t *table[V]) peek(key string) (*V, bool) {
	el, ok := t.keys[key]
	if !ok {
		return nil, false
	}
	return &el.Value.(*entry[V]).val, true
}

func (t *table[V]) delete(key string) {
	if el, ok := t.keys[key]; ok {
		t.remove(el)
	}
}

func (t *table[V]) remove(el *list.Element) {
	delete(t.keys, el.Value.(*entry[V]).key)
	t.order.Remove(el)
}

// forgetIdle drops keys from the back while idle(value) says they carry nothing worth keeping
// (a full bucket, a failure count past its memory), a few per call.
func (t *table[V]) forgetIdle(idle func(*V) bool) {
	for i := 0; i < 4; i++ {
		el := t.order.Back()
		if el == nil || !idle(&el.Value.(*entry[V]).val) {
			return
		}
		t.remove(el)
	}
}

func (t *table[V]) len() int { return len(t.keys) }

// Limiter is a token bucket per key: Burst requests at once, then one per Every.
type Limiter struct {
	mu    sync.Mutex
	burst float64
	every time.Duration
	now   func() time.Time
	t     table[bucket]
}

type bucket struct {
	tokens float64
	at     time.Time
}

// NewLimiter returns a limiter allowing burst requests at once and one more per every, for
// at most maxKeys keys at a time.
func NewLimiter(burst int, every time.Duration, maxKeys int) *Limiter {
	return &Limiter{burst: float64(burst), every: every, now: time.Now, t: newTable[bucket](maxKeys)}
}

// Allow takes one token of key's bucket. When none is left it reports how long until one is.
func (l *Limiter) Allow(key string) (ok bool, wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	// A bucket idle long enough to be full is the same as no bucket.
	l.t.forgetIdle(func(b *bucket) bool { return now.Sub(b.at) >= time.Duration(l.burst*float64(l.every)) })
	b := l.t.get(key, func() bucket { return bucket{tokens: l.burst, at: now} })
	b.tokens = min(l.burst, b.tokens+float64(now.Sub(b.at))/float64(l.every))
	b.at = now
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(l.every))
}

// Keys is how many keys the limiter holds now.
func (l *Limiter) Keys() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.t.len()
}

// Failures counts failures per key; a key is forgotten Memory after its latest failure.
type Failures struct {
	mu     sync.Mutex
	memory time.Duration
	now    func() time.Time
	t      table[failures]
}

type failures struct {
	n    int
	last time.Time
}

// NewFailures returns a counter remembering a key's failures for memory after the latest,
// for at most maxKeys keys.
func NewFailures(memory time.Duration, maxKeys int) *Failures {
	return &Failures{memory: memory, now: time.Now, t: newTable[failures](maxKeys)}
}

// Count returns key's failures and when the latest was.
func (f *Failures) Count(key string) (int, time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	r, ok := f.t.peek(key)
	if !ok || f.now().Sub(r.last) >= f.memory {
		return 0, time.Time{}
	}
	return r.n, r.last
}

// Add counts a failure and returns the key's count.
func (f *Failures) Add(key string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	now := f.now()
	f.t.forgetIdle(func(r *failures) bool { return now.Sub(r.last) >= f.memory })
	r := f.t.get(key, func() failures { return failures{} })
	if now.Sub(r.last) >= f.memory {
		r.n = 0
	}
	r.n++
	r.last = now
	return r.n
}

// Undo takes back one failure (counted ahead of an attempt that then succeeded).
func (f *Failures) Undo(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r, ok := f.t.peek(key); ok && r.n > 0 {
		r.n--
	}
}

// Reset forgets key's failures.
func (f *Failures) Reset(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.t.delete(key)
}

// Keys is how many keys the counter holds now.
func (f *Failures) Keys() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.t.len()
}

// Counter counts things open per key (sockets), up to a limit per key. Keys at zero are
// dropped, so it holds only keys with something open.
type Counter struct {
	mu sync.Mutex
	n  map[string]int
}

// NewCounter returns an empty counter.
func NewCounter() *Counter { return &Counter{n: map[string]int{}} }

// Take counts one more open thing under every key if each stays within its limit (limits[i]
// for keys[i]); otherwise it takes none and reports which key is full.
func (c *Counter) Take(keys []string, limits []int) (release func(), full int, ok bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, k := range keys {
		if c.n[k] >= limits[i] {
			return nil, i, false
		}
	}
	for _, k := range keys {
		c.n[k]++
	}
	var once sync.Once
	return func() {
		once.Do(func() {
			c.mu.Lock()
			defer c.mu.Unlock()
			for _, k := range keys {
				if c.n[k]--; c.n[k] <= 0 {
					delete(c.n, k)
				}
			}
		})
	}, -1, true
}

// Open is how many things are open under key.
func (c *Counter) Open(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[key]
}
