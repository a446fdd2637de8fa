package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"santral/backend/wire"
)

// delivery is what an open-loop run to a socket saw.
type delivery struct {
	offered, accepted, delivered int
	postFailed                   int
	firstErr                     error
	lat                          *samples // send → event on the socket
	span                         time.Duration
}

// deliveredRate is messages per second that reached the socket, from the first send to the
// last arrival.
func (d delivery) deliveredRate() float64 {
	if d.span <= 0 {
		return 0
	}
	return float64(d.delivered) / d.span.Seconds()
}

// tracker matches messages sent with their arrival on a socket by message id.
type tracker struct {
	mu        sync.Mutex
	sent      map[string]time.Time
	lat       samples
	delivered atomic.Int64
	first     time.Time
	last      time.Time
}

func newTracker() *tracker { return &tracker{sent: map[string]time.Time{}} }

func (t *tracker) send(id string) {
	now := time.Now()
	t.mu.Lock()
	t.sent[id] = now
	if t.first.IsZero() {
		t.first = now
	}
	t.mu.Unlock()
}

func (t *tracker) arrived(id string, at time.Time) {
	t.mu.Lock()
	sent, ok := t.sent[id]
	if ok {
		delete(t.sent, id)
		t.last = at
	}
	t.mu.Unlock()
	if ok {
		t.lat.add(at.Sub(sent))
		t.delivered.Add(1)
	}
}

// runOpen fires rate messages a second for d through send (which reports acceptance), then
// waits up to linger for the accepted ones to arrive.
func (t *tracker) runOpen(ctx context.Context, rate int, d, linger time.Duration, send func(ctx context.Context, id string) error, prefix string) delivery {
	var accepted, failed atomic.Int64
	var firstErr atomic.Value
	offered := openLoop(ctx, rate, d, func(seq int64) {
		id := prefix + strconv.FormatInt(seq, 10)
		t.send(id)
		if err := send(ctx, id); err != nil {
			failed.Add(1)
			firstErr.CompareAndSwap(nil, err)
			t.mu.Lock()
			delete(t.sent, id)
			t.mu.Unlock()
			return
		}
		accepted.Add(1)
	})
	waitFor(ctx, linger, "the accepted messages on the socket", func() (bool, error) {
		return t.delivered.Load() >= accepted.Load(), nil
	})
	t.mu.Lock()
	span := t.last.Sub(t.first)
	t.mu.Unlock()
	out := delivery{offered: offered, accepted: int(accepted.Load()), delivered: int(t.delivered.Load()), postFailed: int(failed.Load()), lat: &t.lat, span: span}
	if e, _ := firstErr.Load().(error); e != nil {
		out.firstErr = e
	}
	return out
}

// liteFrame is the part of a stream frame the load generator reads.
type liteFrame struct {
	Kind   string `json:"kind"`
	Events []struct {
		Type string          `json:"type"`
		Data json.RawMessage `json:"data"`
	} `json:"events"`
}

// onMessages calls fn with the provider id (external_id) of every message.created in a frame.
func onMessages(fn func(externalID string, at time.Time)) func(raw []byte, at time.Time) {
	return func(raw []byte, at time.Time) {
		var f liteFrame
		if json.Unmarshal(raw, &f) != nil {
			return
		}
		for _, e := range f.Events {
			if e.Type != wire.EventMessageCreated {
				continue
			}
			var d struct {
				Message struct {
					ExternalID string `json:"external_id"`
				} `json:"message"`
			}
			if json.Unmarshal(e.Data, &d) == nil && d.Message.ExternalID != "" {
				fn(d.Message.ExternalID, at)
			}
		}
	}
}

// toAgent measures signed webhooks to one agent's socket on a fresh santrald: customers write,
// their conversations held by one online agent; others idle agents (online, limit 0) have
// their streams open and see none of it.
func toAgent(ctx context.Context, b *bench, name string, rate int, d time.Duration, customers, others, round int) (delivery, error) {
	p, err := b.santrald(ctx, name)
	if err != nil {
		return delivery{}, err
	}
	defer b.release(p)
	return toAgentAcross(ctx, p.base, p.base, rate, d, customers, others, round)
}

// toAgentAcross is toAgent with the webhooks posted to the santrald at in and the agents'
// apps connected to the one at at (another node on the same database, or the same one).
func toAgentAcross(ctx context.Context, in, at string, rate int, d time.Duration, customers, others, round int) (delivery, error) {
	adm, err := admin(ctx, in)
	if err != nil {
		return delivery{}, err
	}
	ch, err := createWhatsApp(ctx, adm)
	if err != nil {
		return delivery{}, err
	}
	url := fmt.Sprintf("%s/webhooks/%d", in, ch)
	var idle []*eventStream
	defer func() { closeStreams(idle) }()
	if others > 0 {
		agents, err := createAgents(ctx, adm, others, intp(0), "watcher")
		if err != nil {
			return delivery{}, err
		}
		idle = make([]*eventStream, others)
		if err := parallel(ctx, others, 16, func(i int) error {
			agents[i].base = at
			if err := agents[i].presence(ctx, wire.Online); err != nil {
				return err
			}
			s, err := agents[i].stream(ctx, nil)
			idle[i] = s
			return err
		}); err != nil {
			return delivery{}, err
		}
	}
	holders, err := createAgents(ctx, adm, 1, intp(customers), "holder")
	if err != nil {
		return delivery{}, err
	}
	holder := holders[0]
	holder.base = at // a login is valid on every node of the database
	// The warm-up's messages are tracked apart from the measured ones.
	var current atomic.Pointer[tracker]
	current.Store(newTracker())
	s, err := holder.stream(ctx, onMessages(func(id string, at time.Time) { current.Load().arrived(id, at) }))
	if err != nil {
		return delivery{}, err
	}
	defer s.close()
	if err := holder.presence(ctx, wire.Online); err != nil {
		return delivery{}, err
	}
	send := func(ctx context.Context, id string) error {
		seq, _ := strconv.Atoi(id[strings.LastIndexByte(id, '.')+1:])
		from := fmt.Sprintf("90533%07d", seq%customers)
		return postWebhook(ctx, url, whatsappText(from, id, "Müşteri "+from, "Kargom nerede? Sipariş numaram 100"+strconv.Itoa(seq), time.Now()))
	}
	// Each customer's first message opens a conversation that goes to the holder at once.
	for i := range customers {
		if err := send(ctx, fmt.Sprintf("wamid.warm.%d.%d", round, i)); err != nil {
			return delivery{}, err
		}
	}
	if err := waitFor(ctx, 30*time.Second, "the holder holding every customer's conversation", func() (bool, error) {
		mine, err := holder.list(ctx, "mine")
		return len(mine) == customers, err
	}); err != nil {
		return delivery{}, err
	}
	t := newTracker()
	current.Store(t)
	return t.runOpen(ctx, rate, d, 60*time.Second, send, fmt.Sprintf("wamid.bench.%d.", round)), nil
}

// broadcastBaseline: a bare gorilla/websocket server; each message POSTed to it is written to
// the one socket, measured the same way (send → arrival).
func broadcastBaseline(ctx context.Context, b *bench, rate int, d time.Duration) (delivery, error) {
	base, err := startBaseline(ctx, b.dir("baseline"))
	if err != nil {
		return delivery{}, err
	}
	defer b.release(base)
	t := newTracker()
	conn, _, err := dialer.DialContext(ctx, "ws"+strings.TrimPrefix(base.base, "http")+"/ws", nil)
	if err != nil {
		return delivery{}, err
	}
	defer conn.Close()
	go func() {
		for {
			_, raw, err := conn.ReadMessage()
			if err != nil {
				return
			}
			t.arrived(string(raw), time.Now())
		}
	}()
	send := func(ctx context.Context, id string) error {
		return postBytes(ctx, base.base+"/broadcast", []byte(id))
	}
	return t.runOpen(ctx, rate, d, 10*time.Second, send, "m"), nil
}

// runFanout: signed webhooks at a fixed offered rate, each message timed from its send to its
// message.created event on the holding agent's socket; baseline: the bare broadcast.
func runFanout(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var p50, p99, rate, bp50, bp99, brate []float64
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: santrald, %d msg/s offered for %s", round, sz.Rounds, sz.FanoutRate, sz.FanoutFor)
		r, err := toAgent(ctx, b, "fanout", sz.FanoutRate, sz.FanoutFor, sz.FanoutCustomers, 0, round)
		if err != nil {
			return nil, notes, err
		}
		notes = append(notes, deliveryNote(round, "santrald", r))
		p50, p99, rate = append(p50, r.lat.pct(50)), append(p99, r.lat.pct(99)), append(rate, r.deliveredRate())
		b.progress("round %d/%d: bare gorilla broadcast", round, sz.Rounds)
		br, err := broadcastBaseline(ctx, b, sz.FanoutRate, sz.FanoutFor)
		if err != nil {
			return nil, notes, err
		}
		bp50, bp99, brate = append(bp50, br.lat.pct(50)), append(bp99, br.lat.pct(99)), append(brate, br.deliveredRate())
	}
	at := fmt.Sprintf(", %d msg/s offered", sz.FanoutRate)
	return []Figure{
		figure("delivered rate"+at, "msg/s", rate, "bare gorilla broadcast", brate),
		figure("p50 send → socket"+at, "ms", p50, "bare gorilla broadcast", bp50),
		figure("p99 send → socket"+at, "ms", p99, "bare gorilla broadcast", bp99).goal("≤ 3× bare gorilla broadcast", ratioAtMost(3)),
	}, notes, nil
}

// runQuiet: one agent receives messages at a fixed rate while other agents' streams are open
// and see none of it; the baseline is the same santrald scenario with no other streams.
func runQuiet(ctx context.Context, b *bench) ([]Figure, []string, error) {
	sz := b.sz
	var p50, p99, rate, bp50, bp99, brate []float64
	var notes []string
	for round := 1; round <= sz.Rounds; round++ {
		b.progress("round %d/%d: santrald, %d msg/s with %d other agents' streams", round, sz.Rounds, sz.QuietRate, sz.QuietOthers)
		r, err := toAgent(ctx, b, "quiet", sz.QuietRate, sz.QuietFor, sz.QuietCustomers, sz.QuietOthers, round)
		if err != nil {
			return nil, notes, err
		}
		notes = append(notes, deliveryNote(round, fmt.Sprintf("%d other streams", sz.QuietOthers), r))
		p50, p99, rate = append(p50, r.lat.pct(50)), append(p99, r.lat.pct(99)), append(rate, r.deliveredRate())
		b.progress("round %d/%d: santrald, %d msg/s, no other streams", round, sz.Rounds, sz.QuietRate)
		br, err := toAgent(ctx, b, "quiet-alone", sz.QuietRate, sz.QuietFor, sz.QuietCustomers, 0, round)
		if err != nil {
			return nil, notes, err
		}
		notes = append(notes, deliveryNote(round, "no other streams", br))
		bp50, bp99, brate = append(bp50, br.lat.pct(50)), append(bp99, br.lat.pct(99)), append(brate, br.deliveredRate())
	}
	at := fmt.Sprintf(", %d msg/s, %d other streams", sz.QuietRate, sz.QuietOthers)
	alone := "no other streams"
	notes = append(notes, "the issue sets no separate goal for this row; its CPU goal counts such streams (see cpu)")
	return []Figure{
		figure("delivered rate"+at, "msg/s", rate, alone, brate),
		figure("p50 send → socket"+at, "ms", p50, alone, bp50),
		figure("p99 send → socket"+at, "ms", p99, alone, bp99),
	}, notes, nil
}

func deliveryNote(round int, what string, d delivery) string {
	s := fmt.Sprintf("round %d, %s: %d offered, %d accepted (200), %d reached the socket", round, what, d.offered, d.accepted, d.delivered)
	if d.postFailed > 0 {
		s += fmt.Sprintf(", %d refused (first: %v)", d.postFailed, d.firstErr)
	}
	return s
}

func intp(n int) *int { return &n }
