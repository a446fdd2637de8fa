package api

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// keepalive pings every open socket (agents' streams, website-chat visitors) once per interval
// from one goroutine, and closes a socket whose peer has not answered the previous ping by its
// next turn. An idle socket so costs one ping and one pong per interval and nothing else: no
// ticker or timer of its own, no goroutine woken but its reader for the pong, no read deadline
// moved on every pong. With 10,000 idle streams the per-socket tickers and deadlines were most
// of the node's idle CPU.
//
// The sockets are spread over turnsPerInterval turns, one turn per tick, so the pings of a
// large node go out a slice at a time instead of in one burst. The sweep runs while there are
// sockets and stops with the last one.
type keepalive struct {
	interval time.Duration

	mu      sync.Mutex
	turns   [turnsPerInterval]map[*liveSocket]struct{}
	next    int // the turn the next socket joins (round robin)
	count   int
	running bool
}

const turnsPerInterval = 20

// pingWait bounds a ping the sweep writes itself, to a socket nothing was written to for an
// interval: its kernel buffer has long drained unless the peer stopped reading, and one such
// peer must not hold up every other socket's ping. A socket written to recently is pinged from
// a goroutine of its own with the usual write wait (its buffer may still hold a large frame).
const pingWait = 100 * time.Millisecond

// liveSocket is one socket the keepalive pings.
type liveSocket struct {
	conn     *websocket.Conn
	turn     int
	pingedAt atomic.Int64 // unix ns of the oldest ping not answered yet; 0: none
	wroteAt  atomic.Int64 // unix ns of the last frame the server started writing
}

func newKeepalive(interval time.Duration) *keepalive {
	k := &keepalive{interval: interval}
	for i := range k.turns {
		k.turns[i] = map[*liveSocket]struct{}{}
	}
	return k
}

// add starts pinging conn. The caller sets conn's pong handler (and its reader's frames) to
// call seen, and calls remove when the socket ends.
func (k *keepalive) add(conn *websocket.Conn) *liveSocket {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := &liveSocket{conn: conn, turn: k.next}
	k.next = (k.next + 1) % turnsPerInterval
	k.turns[s.turn][s] = struct{}{}
	k.count++
	if !k.running {
		k.running = true
		go k.run()
	}
	return s
}

func (k *keepalive) remove(s *liveSocket) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if _, ok := k.turns[s.turn][s]; ok {
		delete(k.turns[s.turn], s)
		k.count--
	}
}

// seen records that the peer answered (a pong, or any frame it sent).
func (s *liveSocket) seen() { s.pingedAt.Store(0) }

// writing records that the server is writing a frame to the socket.
func (s *liveSocket) writing() { s.wroteAt.Store(time.Now().UnixNano()) }

func (k *keepalive) run() {
	tick := time.NewTicker(k.interval / turnsPerInterval)
	defer tick.Stop()
	turn := 0
	var due []*liveSocket
	for range tick.C {
		k.mu.Lock()
		if k.count == 0 {
			k.running = false
			k.mu.Unlock()
			return
		}
		due = due[:0]
		for s := range k.turns[turn] {
			due = append(due, s)
		}
		k.mu.Unlock()
		turn = (turn + 1) % turnsPerInterval
		now := time.Now()
		for _, s := range due {
			k.ping(s, now)
		}
		clear(due)
	}
}

// ping checks that s answered its last ping (a full interval ago) and sends the next one. A
// peer that did not answer is gone (a dead link, a sleeping laptop): the socket is closed, so
// its reader ends and the stream is let go, as a read deadline would have.
func (k *keepalive) ping(s *liveSocket, now time.Time) {
	ns := now.UnixNano()
	if p := s.pingedAt.Load(); p != 0 {
		if time.Duration(ns-p) >= k.interval/2 {
			s.conn.Close()
			return
		}
	} else {
		s.pingedAt.CompareAndSwap(0, ns) // before the write: the pong may come back at once
	}
	if time.Duration(ns-s.wroteAt.Load()) < k.interval {
		go func() {
			if s.conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(writeWait)) != nil {
				s.conn.Close()
			}
		}()
		return
	}
	if s.conn.WriteControl(websocket.PingMessage, nil, now.Add(pingWait)) != nil {
		s.conn.Close()
	}
}
