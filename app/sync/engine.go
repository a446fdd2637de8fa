// Package sync keeps the desktop app's cache in step with santrald over one WebSocket: an
// ordered event stream resumed from the cache's cursor after any disconnect, with no gap and no
// duplicate; a full resync when the server asks; reconnection with backoff and jitter; and the
// outbox delivered exactly once (the server honours each reply's idempotency key).
package sync

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	gosync "sync"
	"time"

	"github.com/gorilla/websocket"

	"santral/app/cache"
	"santral/app/client"
	"santral/backend/wire"
)

// ConnectionState is where the engine's connection is.
type ConnectionState string

// Connection states.
const (
	StateConnecting   ConnectionState = "connecting"
	StateConnected    ConnectionState = "connected"
	StateReconnecting ConnectionState = "reconnecting"
	StateSignedOut    ConnectionState = "signed_out"
)

// State is the engine's connection state.
type State struct {
	State   ConnectionState
	Since   time.Time
	Attempt int
	Err     string // for the log: the Go error, in English
	// Reason is why the link is down, as a code the UI puts in words (never Err itself):
	// unreachable (no answer from the node), server_restarting (it went away on purpose) or
	// connection_lost (anything else); empty while connected.
	Reason string
}

// Reasons the link is down (State.Reason).
const (
	ReasonUnreachable      = "unreachable"
	ReasonServerRestarting = "server_restarting"
	ReasonConnectionLost   = "connection_lost"
)

// reasonOf names why err ended or prevented a session.
func reasonOf(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, errGoingAway):
		return ReasonServerRestarting
	case errors.Is(err, errUnreachable):
		return ReasonUnreachable
	default:
		return ReasonConnectionLost
	}
}

// Hooks are how the engine tells the app what happened. All are optional.
type Hooks struct {
	State     func(State)
	Effects   func(cache.Effects)
	Outbox    func(cache.OutboxEntry) // an outbox entry was sent or refused (its new state)
	SignedOut func()                  // the server no longer accepts the token
	// Received sees each batch of events as the server sent it, before the cache applies it
	// (diagnostics: what the stream delivered, in order).
	Received func([]wire.Event)
}

// Options tune the engine (tests shorten them).
type Options struct {
	MinBackoff, MaxBackoff time.Duration
	ReadTimeout            time.Duration // no frame or ping for this long: the link is dead
}

// Engine syncs one signed-in user's cache.
type Engine struct {
	cache  *cache.Cache
	client *client.Client
	me     int64
	hooks  Hooks
	opt    Options
	log    *slog.Logger

	kick    chan struct{}
	mu      gosync.Mutex
	open    int64 // the conversation shown in the UI: its messages are not unread
	st      State
	revoked bool // the server refused the token on an API call
}

// New returns an engine; call Run to start it.
func New(c *cache.Cache, cl *client.Client, me int64, hooks Hooks, opt Options, log *slog.Logger) *Engine {
	if opt.MinBackoff <= 0 {
		opt.MinBackoff = 500 * time.Millisecond
	}
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 30 * time.Second
	}
	if opt.ReadTimeout <= 0 {
		opt.ReadTimeout = 60 * time.Second
	}
	return &Engine{cache: c, client: cl, me: me, hooks: hooks, opt: opt, log: log, kick: make(chan struct{}, 1),
		st: State{State: StateConnecting, Since: time.Now()}}
}

// SetOpen tells the engine which conversation the UI shows.
func (e *Engine) SetOpen(id int64) {
	e.mu.Lock()
	e.open = id
	e.mu.Unlock()
}

func (e *Engine) openID() int64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.open
}

// State returns the current connection state.
func (e *Engine) State() State {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.st
}

func (e *Engine) setState(s ConnectionState, attempt int, err error) {
	e.mu.Lock()
	if e.st.State != s {
		e.st.Since = time.Now()
	}
	e.st.State, e.st.Attempt, e.st.Err, e.st.Reason = s, attempt, "", reasonOf(err)
	if err != nil {
		e.st.Err = err.Error()
	}
	st := e.st
	e.mu.Unlock()
	if e.hooks.State != nil {
		e.hooks.State(st)
	}
}

// Kick asks the engine to deliver the outbox now.
func (e *Engine) Kick() {
	select {
	case e.kick <- struct{}{}:
	default:
	}
}

var errSignedOut = errors.New("sync: signed out by the server")

// errUnreachable: the node the client is on did not answer (refused, timed out, no hello).
var errUnreachable = errors.New("sync: the server cannot be reached")

// errGoingAway: the node closed the stream on purpose (a restart, a deploy: close code 1001).
var errGoingAway = errors.New("the node is shutting down")

// Run syncs until ctx is done or the server rejects the token.
func (e *Engine) Run(ctx context.Context) {
	attempt := 0
	for ctx.Err() == nil {
		connected, err := e.session(ctx)
		if errors.Is(err, errSignedOut) {
			e.setState(StateSignedOut, 0, nil)
			if e.hooks.SignedOut != nil {
				e.hooks.SignedOut()
			}
			return
		}
		if ctx.Err() != nil {
			return
		}
		if connected {
			attempt = 0
		}
		// A link that dropped is tried again on the same node first; a node that cannot be
		// reached hands over to the next one the client knows (several nodes of one Santral
		// share one database: the cursor is valid on every one).
		if errors.Is(err, errUnreachable) && e.client.Failover() && e.log != nil {
			e.log.Info("sync: trying another node", "server", e.client.Base())
		}
		attempt++
		e.setState(StateReconnecting, attempt, err)
		if e.log != nil {
			e.log.Info("sync: disconnected", "attempt", attempt, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(e.backoff(attempt)):
		}
	}
}

// backoff doubles from MinBackoff to MaxBackoff, with jitter so a restarted server is not hit
// by every app at the same instant.
func (e *Engine) backoff(attempt int) time.Duration {
	d := e.opt.MinBackoff << min(attempt-1, 16)
	if d > e.opt.MaxBackoff || d <= 0 {
		d = e.opt.MaxBackoff
	}
	return d/2 + time.Duration(rand.Int64N(int64(d/2)+1))
}

// session is one connection: dial from the cursor, resync if told, apply events until it drops.
func (e *Engine) session(ctx context.Context) (connected bool, err error) {
	cursor, err := e.cache.Cursor()
	if err != nil {
		return false, err
	}
	after := cursor
	if cursor == 0 {
		after = -1 // never synced: start at the head and load a snapshot
	}
	dialer := websocket.Dialer{HandshakeTimeout: 10 * time.Second}
	dialed := e.client.Clock().Local()
	conn, res, err := dialer.DialContext(ctx, e.client.StreamURL(after), http.Header{"Authorization": {"Bearer " + e.client.Token()}})
	if err != nil {
		if res != nil && res.StatusCode == http.StatusUnauthorized {
			return false, errSignedOut
		}
		return false, fmt.Errorf("%w: %v", errUnreachable, err)
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()

	conn.SetReadLimit(64 << 20)
	conn.SetReadDeadline(time.Now().Add(e.opt.ReadTimeout))
	conn.SetPingHandler(func(data string) error {
		conn.SetReadDeadline(time.Now().Add(e.opt.ReadTimeout))
		return conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(10*time.Second))
	})
	var hello wire.StreamFrame
	if err := conn.ReadJSON(&hello); err != nil {
		return false, fmt.Errorf("%w: %v", errUnreachable, err)
	}
	// The server's clock: written just before the hello left, seen within this round trip.
	if hello.ServerTime > 0 {
		clock := e.client.Clock()
		clock.ObserveServerTime(hello.ServerTime, dialed, clock.Local())
		if off, ok := clock.Offset(); ok {
			e.cache.SetClockOffset(off)
		}
	}
	if changed, err := e.cache.ServerDatabase(hello.Database); err != nil {
		return false, err
	} else if changed {
		return false, errors.New("sync: the server's database changed; loading everything again")
	}
	switch hello.Kind {
	case "resync":
		// The server cannot continue from our cursor: forget it, reconnect from the head and
		// reload everything. The outbox stays.
		if err := e.cache.ResetCursor(); err != nil {
			return false, err
		}
		return true, errors.New("sync: server asked for a full resync")
	case "hello":
	default:
		return false, errors.New("sync: unexpected first frame " + hello.Kind)
	}
	if cursor == 0 {
		if err := e.resync(ctx, hello.Head); err != nil {
			return false, err
		}
	}
	e.setState(StateConnected, 0, nil)

	flushDone := make(chan struct{})
	flushCtx, stopFlush := context.WithCancel(ctx)
	signOut := func() { go conn.Close(); e.mu.Lock(); e.revoked = true; e.mu.Unlock() }
	go func() { defer close(flushDone); e.deliver(flushCtx, signOut) }()
	defer func() { stopFlush(); <-flushDone }()

	for {
		var f wire.StreamFrame
		if err := conn.ReadJSON(&f); err != nil {
			e.mu.Lock()
			revoked := e.revoked
			e.mu.Unlock()
			if revoked {
				return true, errSignedOut
			}
			if websocket.IsCloseError(err, websocket.CloseGoingAway) {
				return true, fmt.Errorf("%w: %w (%v)", errUnreachable, errGoingAway, err) // another node at once
			}
			return true, err
		}
		conn.SetReadDeadline(time.Now().Add(e.opt.ReadTimeout))
		switch f.Kind {
		case "events":
			if e.hooks.Received != nil {
				e.hooks.Received(f.Events)
			}
			fx, err := e.cache.ApplyEvents(f.Events, e.me, e.openID())
			if err != nil {
				// Replaying the same batch would fail the same way: start over from a snapshot.
				if rerr := e.cache.ResetCursor(); rerr != nil {
					return false, rerr
				}
				return false, err
			}
			if fx.CatalogChanged {
				e.reloadCatalog(ctx)
			}
			if e.hooks.Effects != nil {
				e.hooks.Effects(fx)
			}
		case "resync":
			if err := e.cache.ResetCursor(); err != nil {
				return true, err
			}
			return true, errors.New("sync: server asked for a full resync")
		}
	}
}

// resync loads the whole inbox state over HTTP and sets the cursor to head.
func (e *Engine) resync(ctx context.Context, head int64) error {
	s, err := e.client.Snapshot(ctx)
	if err != nil {
		var we *wire.Error
		if errors.As(err, &we) && we.Code == wire.CodeUnauthorized {
			return errSignedOut
		}
		return err
	}
	if err := e.cache.ApplySnapshot(cache.Snapshot{Me: s.Me, Mine: s.Mine, Queue: s.Queue, Offers: s.Offers, Agents: s.Agents,
		EndReasons: s.EndReasons, QuickMessages: s.QuickMessages, Workspace: s.Settings}, head); err != nil {
		return err
	}
	if e.hooks.Effects != nil {
		e.hooks.Effects(cache.Effects{InboxChanged: true, MeChanged: true})
	}
	return nil
}

func (e *Engine) reloadCatalog(ctx context.Context) {
	var reasons []wire.EndReason
	var quick []wire.QuickMessage
	if e.client.Do(ctx, "GET", "/api/v1/end-reasons", nil, &reasons) != nil || e.client.Do(ctx, "GET", "/api/v1/quick-messages", nil, &quick) != nil {
		return // the next resync or change reloads them
	}
	e.cache.SetCatalog(reasons, quick)
}

// deliver sends queued replies while connected: now, and whenever kicked. Each carries its
// idempotency key, so a reply whose answer was lost is stored once when sent again. Transient
// failures (network, 5xx, 429) are retried with backoff; only the server's refusal of the reply
// itself marks it failed.
func (e *Engine) deliver(ctx context.Context, signOut func()) {
	attempt := 0
	for {
		queued, err := e.cache.Queued()
		if err != nil && e.log != nil {
			e.log.Error("sync: unable to read outbox", "err", err)
		}
		retry := false
		for _, q := range queued {
			m, err := e.client.Send(ctx, q.ConversationID, q.Body, q.Key, q.Attachments)
			var we *wire.Error
			switch {
			case err == nil:
				err = e.cache.MarkSent(q.Key, m)
			case errors.As(err, &we) && we.Code == wire.CodeUnauthorized:
				signOut()
				return
			case errors.As(err, &we) && !transient(we):
				err = e.cache.MarkFailed(q.Key, we)
			default:
				retry = true // offline, or the server is restarting: keep it queued
			}
			if retry {
				break
			}
			if err != nil && e.log != nil {
				e.log.Error("sync: unable to record outbox state", "err", err)
			}
			if e.hooks.Outbox != nil {
				if now, ok, _ := e.cache.Entry(q.Key); ok {
					e.hooks.Outbox(now)
				}
			}
		}
		var wait <-chan time.Time
		if retry {
			attempt++
			wait = time.After(e.backoff(attempt))
		} else {
			attempt = 0
		}
		select {
		case <-ctx.Done():
			return
		case <-e.kick:
		case <-wait:
		}
	}
}

// transient reports a server answer worth retrying: it says nothing about the reply itself.
func transient(e *wire.Error) bool {
	return e.Code == wire.CodeInternal
}
