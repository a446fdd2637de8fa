// Package stream is the node's one reader of the event log and its fan-out to sockets. After a
// commit (a wake), or on a slow safety-net poll for other processes' commits, the reader reads
// each new batch of events once, encodes each event once, and hands it to the sockets whose
// audience it names: agents' streams by user (staff see everything) and website-chat visitors'
// sockets by visitor. No socket runs a query per commit, and no socket polls.
//
// The log stays the source of truth (ARCHITECTURE.md invariant 3): a socket that connects with
// a cursor, or falls behind (its bounded queue overflows), catches up by reading the log itself,
// a bounded page at a time, and then rejoins the live hand-off at the point it left off —
// nothing a client needs exists only in memory.
package stream

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"santral/backend/store"
	"santral/backend/wire"
)

// Log is what the hub reads.
type Log interface {
	ReadLog(ctx context.Context, after int64, limit int) ([]store.LogEvent, error)
	EventBounds(ctx context.Context) (oldest, newest int64, err error)
}

const readBatch = 1000

// Hub hands events to subscribers.
type Hub struct {
	log  Log
	poll time.Duration
	lg   *slog.Logger
	// maxQueue bounds what a socket may have waiting: past it the socket stops receiving live
	// events and catches up from the log, so a client that does not read costs a bounded amount.
	maxQueue int

	wake chan struct{}

	mu       sync.Mutex
	cursor   int64 // the last sequence number handed out
	users    map[int64]map[*Subscriber]struct{}
	staff    map[*Subscriber]struct{}
	agents   map[*Subscriber]struct{} // subscribers who are not staff
	visitors map[string]map[*Visitor]struct{}
	allVis   map[*Visitor]struct{}
	closing  chan struct{} // closed when the node shuts down
	closed   bool
	running  bool  // Run is following the log (readiness)
	readErr  error // the last read's error (readiness)
}

// NewHub returns a hub reading log; poll is the safety net for commits no wake announces
// (another process on the same database); maxQueue bounds each socket's waiting events.
func NewHub(log Log, poll time.Duration, maxQueue int, lg *slog.Logger) *Hub {
	if poll <= 0 {
		poll = time.Second
	}
	if maxQueue <= 0 {
		maxQueue = 1024
	}
	return &Hub{log: log, poll: poll, maxQueue: maxQueue, lg: lg, wake: make(chan struct{}, 1),
		users: map[int64]map[*Subscriber]struct{}{}, staff: map[*Subscriber]struct{}{}, agents: map[*Subscriber]struct{}{},
		visitors: map[string]map[*Visitor]struct{}{}, allVis: map[*Visitor]struct{}{}, closing: make(chan struct{})}
}

// Closing is closed when the node shuts down: every socket says "going away" and ends, so
// apps reconnect (to another node, or to this one when it is back).
func (h *Hub) Closing() <-chan struct{} { return h.closing }

// Shutdown tells every socket to go away.
func (h *Hub) Shutdown() {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.closed {
		h.closed = true
		close(h.closing)
	}
}

// Wake tells the reader that events were committed.
func (h *Hub) Wake() {
	select {
	case h.wake <- struct{}{}:
	default:
	}
}

// Start sets the reader's cursor at the log's head; Run then follows it.
func (h *Hub) Start(ctx context.Context) error {
	_, newest, err := h.log.EventBounds(ctx)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.cursor = newest
	h.mu.Unlock()
	return nil
}

// Starting marks the reader as running, by whoever is about to start Run in a goroutine: a
// /readyz that comes in before that goroutine is scheduled must not report it stopped.
func (h *Hub) Starting() { h.setReading(true, nil) }

// Run reads the log after each wake (and every poll) until ctx ends. Call Start first.
func (h *Hub) Run(ctx context.Context) {
	t := time.NewTicker(h.poll)
	defer t.Stop()
	h.setReading(true, nil)
	defer h.setReading(false, nil)
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.wake:
		case <-t.C:
		}
		err := h.readNew(ctx)
		if err != nil && ctx.Err() == nil {
			h.lg.Error("stream: unable to read the event log", "err", err)
		}
		h.setReading(true, err)
	}
}

func (h *Hub) setReading(running bool, err error) {
	h.mu.Lock()
	h.running, h.readErr = running, err
	h.mu.Unlock()
}

// ErrNotReading is Reading's answer while Run is not following the log.
var ErrNotReading = errors.New("stream: the node's event reader is not running")

// Reading reports whether the node's reader follows the log (readiness): nil while Run runs
// and its last read succeeded.
func (h *Hub) Reading() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if !h.running {
		return ErrNotReading
	}
	return h.readErr
}

// Head is the last sequence number handed to subscribers.
func (h *Hub) Head() int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cursor
}

func (h *Hub) readNew(ctx context.Context) error {
	for {
		h.mu.Lock()
		after := h.cursor
		h.mu.Unlock()
		batch, err := h.log.ReadLog(ctx, after, readBatch)
		if err != nil || len(batch) == 0 {
			return err
		}
		encoded := make([]Event, len(batch))
		for i, e := range batch {
			raw, err := encodeEvent(e.Event)
			if err != nil {
				return err
			}
			encoded[i] = Event{Seq: e.Seq, JSON: raw}
		}
		h.mu.Lock()
		for i, e := range batch {
			if e.Seq <= h.cursor { // read twice (the poll and a wake raced): hand out once
				continue
			}
			h.dispatch(e, encoded[i])
			h.cursor = e.Seq
		}
		h.mu.Unlock()
		if len(batch) < readBatch {
			return nil
		}
	}
}

// encodeEvent is json.Marshal(e), written out by hand: the reader encodes every event of the
// node once, and Marshal re-scans each event's data (a stored json.Marshal output, compact and
// escaped already) to compact it again, the larger part of the reader's encoding time in an
// assignment storm. A type that would need escaping (never one of ours) goes through Marshal.
func encodeEvent(e wire.Event) ([]byte, error) {
	if !plainType(e.Type) {
		return json.Marshal(e)
	}
	data := []byte(e.Data)
	if len(data) == 0 {
		data = []byte("null")
	}
	b := make([]byte, 0, 64+len(e.Type)+len(data))
	b = append(b, `{"seq":`...)
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, `,"type":"`...)
	b = append(b, e.Type...)
	b = append(b, `","at":`...)
	b = strconv.AppendInt(b, e.At, 10)
	if e.ConversationID != 0 {
		b = append(b, `,"conversation_id":`...)
		b = strconv.AppendInt(b, e.ConversationID, 10)
	}
	b = append(b, `,"data":`...)
	b = append(b, data...)
	return append(b, '}'), nil
}

// plainType reports whether an event type is written as it is in a JSON string.
func plainType(t string) bool {
	for i := 0; i < len(t); i++ {
		c := t[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// dispatch hands one event to its audience. Called with h.mu held.
func (h *Hub) dispatch(e store.LogEvent, enc Event) {
	if e.Visitor != "" {
		for v := range h.visitors[e.Visitor] {
			v.kick(false)
		}
	}
	switch {
	case e.Type == wire.InternalSessionsEnded:
		var d wire.SessionsEndedData
		if json.Unmarshal(e.Data, &d) == nil {
			for s := range h.users[d.UserID] {
				s.recheckSession()
			}
		}
		return
	case e.Type == wire.EventChannelsChanged:
		for v := range h.allVis {
			v.kick(true)
		}
	}
	aud := string(e.Audience)
	switch {
	case aud == string(store.Everyone):
		for s := range h.staff {
			s.enqueue(enc, h.maxQueue)
		}
		for s := range h.agents {
			s.enqueue(enc, h.maxQueue)
		}
	case strings.HasPrefix(aud, "-"):
		for s := range h.agents {
			if !listed(aud, s.UserID) {
				s.enqueue(enc, h.maxQueue)
			}
		}
	case strings.HasPrefix(aud, "="):
		for _, id := range ids(aud) {
			for s := range h.users[id] {
				if !s.Staff {
					s.enqueue(enc, h.maxQueue)
				}
			}
		}
	default:
		for s := range h.staff {
			s.enqueue(enc, h.maxQueue)
		}
		for _, id := range ids(aud) {
			for s := range h.users[id] {
				if !s.Staff {
					s.enqueue(enc, h.maxQueue)
				}
			}
		}
	}
}

func listed(aud string, id int64) bool {
	return strings.Contains(aud, ","+strconv.FormatInt(id, 10)+",")
}

func ids(aud string) []int64 {
	var out []int64
	for _, part := range strings.Split(strings.Trim(aud, ",-="), ",") {
		if id, err := strconv.ParseInt(part, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// Event is one event encoded once for every socket.
type Event struct {
	Seq  int64
	JSON []byte
}

// Subscriber is one agent stream.
type Subscriber struct {
	UserID int64
	Staff  bool

	signal chan struct{} // cap 1: something to do

	mu      sync.Mutex
	queue   []Event
	live    bool // receiving from the hub; false: must catch up from the log
	recheck bool // the user's sessions changed: check this one is still valid
}

// NewSubscriber returns a subscriber for a user's stream; Attach makes it live.
func NewSubscriber(userID int64, staff bool) *Subscriber {
	return &Subscriber{UserID: userID, Staff: staff, signal: make(chan struct{}, 1)}
}

// Signal is readable when the subscriber has events, fell behind, or must recheck its session.
func (s *Subscriber) Signal() <-chan struct{} { return s.signal }

func (s *Subscriber) notify() {
	select {
	case s.signal <- struct{}{}:
	default:
	}
}

func (s *Subscriber) enqueue(e Event, max int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		return
	}
	if len(s.queue) >= max {
		// Too far behind to keep in memory: it catches up from the log instead.
		s.queue, s.live = nil, false
		s.notify()
		return
	}
	s.queue = append(s.queue, e)
	s.notify()
}

func (s *Subscriber) recheckSession() {
	s.mu.Lock()
	s.recheck = true
	s.mu.Unlock()
	s.notify()
}

// Take returns the events waiting, whether the subscriber is still live (false: it must catch
// up from the log through Attach), and whether its session must be rechecked.
func (s *Subscriber) Take() (events []Event, live, recheck bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	events, s.queue = s.queue, nil
	recheck, s.recheck = s.recheck, false
	return events, s.live, recheck
}

// Attach registers s (again) and makes it live: every event after the returned sequence
// number will be queued for it; the caller reads the log up to it.
func (h *Hub) Attach(s *Subscriber) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.users[s.UserID] == nil {
		h.users[s.UserID] = map[*Subscriber]struct{}{}
	}
	h.users[s.UserID][s] = struct{}{}
	if s.Staff {
		h.staff[s] = struct{}{}
	} else {
		h.agents[s] = struct{}{}
	}
	s.mu.Lock()
	s.live, s.queue = true, nil
	s.mu.Unlock()
	return h.cursor
}

// Detach forgets s.
func (h *Hub) Detach(s *Subscriber) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.users[s.UserID]; m != nil {
		delete(m, s)
		if len(m) == 0 {
			delete(h.users, s.UserID)
		}
	}
	delete(h.staff, s)
	delete(h.agents, s)
}

// Subscribers counts the open agent streams (metrics, tests).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.staff) + len(h.agents)
}

// Visitors counts the open website-chat visitor sockets (metrics).
func (h *Hub) Visitors() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.allVis)
}

// Visitor is one website-chat visitor's socket: it is only woken, and reads the visitor's own
// messages itself (one indexed query, for this visitor alone).
type Visitor struct {
	ID     string
	signal chan struct{}

	mu      sync.Mutex
	channel bool // the channels changed: check the website chat is still on
}

// NewVisitor returns a visitor subscriber.
func NewVisitor(id string) *Visitor { return &Visitor{ID: id, signal: make(chan struct{}, 1)} }

// Signal is readable when the visitor has something new.
func (v *Visitor) Signal() <-chan struct{} { return v.signal }

func (v *Visitor) kick(channel bool) {
	if channel {
		v.mu.Lock()
		v.channel = true
		v.mu.Unlock()
	}
	select {
	case v.signal <- struct{}{}:
	default:
	}
}

// ChannelChanged reports (and clears) whether the channels changed since the last call.
func (v *Visitor) ChannelChanged() bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	c := v.channel
	v.channel = false
	return c
}

// AddVisitor registers a visitor socket.
func (h *Hub) AddVisitor(v *Visitor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.visitors[v.ID] == nil {
		h.visitors[v.ID] = map[*Visitor]struct{}{}
	}
	h.visitors[v.ID][v] = struct{}{}
	h.allVis[v] = struct{}{}
}

// RemoveVisitor forgets a visitor socket.
func (h *Hub) RemoveVisitor(v *Visitor) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.visitors[v.ID]; m != nil {
		delete(m, v)
		if len(m) == 0 {
			delete(h.visitors, v.ID)
		}
	}
	delete(h.allVis, v)
}
