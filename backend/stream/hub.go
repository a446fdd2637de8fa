// Package stream wakes the WebSocket writers when events were committed. It carries no event
// content: every writer reads the event log from its own cursor, so a slow client never holds
// up another and nothing a client needs exists only in memory (ARCHITECTURE.md invariant 3).
package stream

import "sync"

// Hub is a broadcast "something changed" signal.
type Hub struct {
	mu sync.Mutex
	ch chan struct{}
}

// NewHub returns a hub.
func NewHub() *Hub { return &Hub{ch: make(chan struct{})} }

// Changed returns a channel closed at the next Wake. Take it before reading the log, so a
// commit between the read and the wait is not missed.
func (h *Hub) Changed() <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.ch
}

// Wake tells every waiting writer to read the log.
func (h *Hub) Wake() {
	h.mu.Lock()
	close(h.ch)
	h.ch = make(chan struct{})
	h.mu.Unlock()
}
