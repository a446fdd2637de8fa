package client

import (
	gosync "sync"
	"time"
)

// Clock is the server's "now" as the app estimates it: the local clock plus the offset last
// measured against the server. Every "now" comparison in the app (window countdowns, waiting
// times, offer countdowns) uses it, because the server's deadlines are in the server's time.
//
// The stream's hello frame carries the server's time in milliseconds: that is the measurement
// that counts. Before the first hello, the HTTP Date header (whole seconds) gives a rougher one.
type Clock struct {
	mu      gosync.Mutex
	offset  int64 // server − local, ms
	precise bool  // measured from a hello frame
	known   bool
	local   func() time.Time
}

// NewClock returns a clock with no measurement yet (offset 0: the local clock).
func NewClock() *Clock { return &Clock{local: time.Now} }

// Local is this machine's clock as the measurements read it.
func (c *Clock) Local() time.Time { return c.local() }

// Now is the server's current time, unix ms.
func (c *Clock) Now() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.local().UnixMilli() + c.offset
}

// Offset is server − local in ms, and whether it was measured at all.
func (c *Clock) Offset() (int64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.offset, c.known
}

// Restore sets an offset measured in an earlier run (the app starts offline with it).
func (c *Clock) Restore(offset int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.known {
		c.offset, c.known = offset, true
	}
}

// ObserveServerTime records the server's time serverMs seen between local instants sent and
// received (the request's round trip): the server's clock read at about their midpoint.
func (c *Clock) ObserveServerTime(serverMs int64, sent, received time.Time) {
	if serverMs <= 0 {
		return
	}
	mid := sent.UnixMilli() + (received.UnixMilli()-sent.UnixMilli())/2
	c.mu.Lock()
	c.offset, c.precise, c.known = serverMs-mid, true, true
	c.mu.Unlock()
}

// observeDate records an HTTP Date header (second resolution) unless a hello frame measured
// the clock already: then the offset is kept within the second the header names.
func (c *Clock) observeDate(date string, sent, received time.Time) {
	t, err := time.Parse(time.RFC1123, date)
	if err != nil || date == "" {
		return
	}
	mid := sent.UnixMilli() + (received.UnixMilli()-sent.UnixMilli())/2
	lo, hi := t.UnixMilli()-mid, t.UnixMilli()+999-mid // the server's clock was within [t, t+1s)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.precise && c.offset >= lo-1000 && c.offset <= hi+1000 {
		return // agrees with the precise measurement (allowing for the round trip)
	}
	c.offset, c.known = lo+500, true
	c.precise = false
}

// NewClockWith returns a clock over another machine clock than time.Now (a skewed machine, in
// tests).
func NewClockWith(local func() time.Time) *Clock { return &Clock{local: local} }
