// Package cluster is how santrald nodes sharing one database wake each other: after a commit
// that appended events, a node rings a bell on NATS, and every other node's event reader
// (stream.Hub) reads the log at once instead of at its next poll.
//
// A wake is a doorbell, not a message: it carries only the sending node's name, and the event
// log stays the one source of what happened (ARCHITECTURE.md invariant 3). So core NATS
// (at-most-once pub/sub) is enough, and JetStream would add nothing worth its cost: a wake lost
// in an outage or a reconnect is made good by the safety-net poll and by the local wake each
// node gives itself when its connection comes back, while a persisted, acknowledged,
// deduplicated stream of doorbells would be one more stored copy of what the log already holds
// — and would put a store round-trip after every commit.
//
// Nothing here may slow or fail a commit: Wake only drops a token into a one-slot channel (wakes
// that arrive while one is being published coalesce into the next), a goroutine of its own does
// the publishing, and while NATS is away publishing fails at once (no reconnect buffer: a wake
// that waited out the outage would be stale) and the poll carries the nodes.
package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
)

// Waker is the node's own event reader (stream.Hub).
type Waker interface{ Wake() }

// Bell wakes this node's reader and, once Connect has run, every other node's.
type Bell struct {
	local Waker
	node  string
	log   *slog.Logger

	ring chan struct{} // cap 1: a wake to publish

	nc      *nats.Conn // nil: NATS is not configured
	subject string
	servers string // for logs: the URLs without credentials
	stop    chan struct{}
	done    chan struct{}
	once    sync.Once

	down    atomic.Bool // an outage was logged: the next connect wakes the reader
	closing atomic.Bool // Close has begun: its disconnect is no outage

	sent, received, failed atomic.Uint64
}

// New returns a bell that wakes local (this node's reader) and, once connected, the other
// nodes. Without Connect it is the local wake alone: several processes on one SQLite file, or
// nodes without NATS, hear each other by their poll.
func New(local Waker, node string, log *slog.Logger) *Bell {
	return &Bell{local: local, node: node, log: log, ring: make(chan struct{}, 1)}
}

// Wake wakes this node's reader and asks for a wake of the others. It never blocks.
func (b *Bell) Wake() {
	b.local.Wake()
	select {
	case b.ring <- struct{}{}:
	default: // one is waiting to be published already: it covers this commit too
	}
}

// Options are the connection's settings; tests shorten them.
type Options struct {
	// Servers is the --nats value: one URL or several, comma-separated (may hold credentials).
	Servers string
	// Redacted names the servers in logs (config.RedactNATS).
	Redacted string
	// Subject is where the nodes of one database ring.
	Subject string
	// MaxBackoff bounds the wait between reconnect attempts (default 5 s); it starts at a tenth
	// of a second and doubles.
	MaxBackoff time.Duration
	// PingInterval is how often the connection is checked; a server gone silent (no reset) is
	// noticed after two unanswered pings (default 10 s).
	PingInterval time.Duration
}

// Connect joins the nodes on NATS: it subscribes to the subject and starts publishing wakes.
// An unreachable server is not an error: the bell keeps trying for ever, with backoff, and
// Connected reports the outage (readiness) meanwhile. Errors are settings NATS refuses.
func (b *Bell) Connect(opt Options) error {
	if opt.MaxBackoff <= 0 {
		opt.MaxBackoff = 5 * time.Second
	}
	if opt.PingInterval <= 0 {
		opt.PingInterval = 10 * time.Second
	}
	b.subject, b.servers = opt.Subject, opt.Redacted
	nc, err := nats.Connect(opt.Servers,
		nats.Name("santrald "+b.node),
		nats.NoEcho(), // a node's own wakes do not come back to it: it woke its reader itself
		nats.RetryOnFailedConnect(true),
		nats.MaxReconnects(-1),
		nats.CustomReconnectDelay(func(attempts int) time.Duration {
			d := min(100*time.Millisecond<<min(attempts, 10), opt.MaxBackoff)
			return d/2 + rand.N(d/2+1) // jittered, so nodes do not return in step
		}),
		nats.ReconnectBufSize(-1), // publishing while disconnected fails at once
		nats.PingInterval(opt.PingInterval),
		nats.MaxPingsOutstanding(2),
		nats.Timeout(2*time.Second),
		nats.ConnectHandler(func(*nats.Conn) { b.connected() }),
		nats.ReconnectHandler(func(*nats.Conn) { b.connected() }),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) { b.disconnected(err) }),
		// The first connection failing, and each failed attempt after an outage: logged once per
		// outage, by disconnected.
		nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
			b.log.Debug("nats: connection attempt failed", "servers", b.servers, "err", err)
			b.disconnected(err)
		}),
		nats.ErrorHandler(func(_ *nats.Conn, _ *nats.Subscription, err error) {
			b.log.Warn("nats: asynchronous error", "servers", b.servers, "err", err)
		}),
	)
	if err != nil {
		return fmt.Errorf("cluster: unable to use NATS at %s: %s", b.servers, scrub(err.Error(), opt.Servers))
	}
	if _, err := nc.Subscribe(b.subject, b.heard); err != nil {
		nc.Close()
		return fmt.Errorf("cluster: unable to subscribe to %s: %w", b.subject, err)
	}
	if nc.IsConnected() {
		// The subscription is in place on the server before this node serves anything: a
		// commit elsewhere from now on wakes it.
		if err := nc.FlushTimeout(2 * time.Second); err != nil {
			b.disconnected(err)
		}
	} else {
		b.disconnected(errors.New("not reachable"))
	}
	b.nc = nc
	b.stop, b.done = make(chan struct{}), make(chan struct{})
	go b.publish()
	return nil
}

// scrub removes the credentials of the servers' URLs from an error's text.
func scrub(text, servers string) string {
	for _, f := range strings.Split(servers, ",") {
		if u, err := url.Parse(strings.TrimSpace(f)); err == nil && u.User != nil && u.User.String() != "" {
			text = strings.ReplaceAll(text, u.User.String(), "REDACTED")
			if p, ok := u.User.Password(); ok && p != "" {
				text = strings.ReplaceAll(text, p, "REDACTED")
			}
			if name := u.User.Username(); name != "" {
				text = strings.ReplaceAll(text, name, "REDACTED") // a token when alone
			}
		}
	}
	return text
}

// heard is a wake from another node (NoEcho keeps this node's own away).
func (b *Bell) heard(*nats.Msg) {
	b.received.Add(1)
	b.local.Wake()
}

// publish rings for each wake until Close. A failed publish is counted, never retried: the
// poll reads what it announced.
func (b *Bell) publish() {
	defer close(b.done)
	payload := []byte(b.node)
	for {
		select {
		case <-b.stop:
			return
		case <-b.ring:
		}
		if err := b.nc.Publish(b.subject, payload); err != nil {
			b.failed.Add(1)
			continue
		}
		b.sent.Add(1)
	}
}

func (b *Bell) connected() {
	if b.down.Swap(false) {
		// Wakes sent while this node was away were lost: read what they announced now rather
		// than at the next poll.
		b.local.Wake()
	}
	b.log.Info("nats: connected; nodes wake each other through it", "servers", b.servers, "subject", b.subject)
}

func (b *Bell) disconnected(err error) {
	if b.closing.Load() || b.down.Swap(true) {
		return
	}
	if err == nil {
		err = errors.New("connection closed")
	}
	b.log.Warn("nats: not connected; other nodes' commits reach this node by the poll until it is back", "servers", b.servers, "err", err)
}

// Configured reports whether NATS is in use.
func (b *Bell) Configured() bool { return b.nc != nil }

// ErrDisconnected is Connected's answer during an outage.
var ErrDisconnected = errors.New("cluster: not connected to NATS")

// Connected is the readiness check: nil while the connection is up.
func (b *Bell) Connected(context.Context) error {
	if b.nc == nil || b.nc.IsConnected() {
		return nil
	}
	return fmt.Errorf("%w (%s: %s; reconnecting)", ErrDisconnected, b.servers, b.nc.Status())
}

// Wakes counts the wakes published, those that failed to publish (NATS away), and those heard
// from other nodes (metrics).
func (b *Bell) Wakes() (sent, failed, received uint64) {
	return b.sent.Load(), b.failed.Load(), b.received.Load()
}

// Close stops publishing and closes the connection. Safe to call more than once, and without
// Connect.
func (b *Bell) Close() {
	if b.nc == nil {
		return
	}
	b.once.Do(func() {
		b.closing.Store(true)
		close(b.stop)
		<-b.done
		b.nc.Close()
	})
}
